"""``python -m generator release``: turn the schema changes since the last release into a version and a changelog.

The last release is the git tag ``v<version>`` of the version the working schema declares (``--base`` names
another folder or revision). The diff against it decides the bump (``changelog.py``); releasing writes the new
``version`` into ``schema/api.yaml``, prepends the changelog section to ``schema/CHANGELOG.md`` and regenerates
``generated/`` (which copies the changelog). If regenerating fails, both schema files are restored.
Committing and tagging stay with the maintainer, who should review the result first.

The first release: while the repository has no ``v<MAJOR.MINOR.PATCH>`` tag at all, there is nothing to compare
with; the declared version (or ``--version``) is released with a changelog section that summarises the API.

``release --check`` is the CI gate: it fails (exit 1) when ``schema/`` has breaking changes since the newest
release tag that HEAD contains and the declared version does not make the bump they need. Without any release tag
(no release yet, or a clone made without tags) there is nothing to check and it passes, saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..pipeline import CHANGELOG, Generated, generate_files, load_api
from ..write.tree import write_tree
from .changelog import Release, Version, plan_release, prepend_section, render_changelog, render_first_release
from .diff import Impact, SchemaDiff, diff_apis
from .revisions import GIT_PREFIX, LoadedSchema, SourceError, load_side, revision_exists, tags

API_FILE = "api.yaml"
_VERSION_LINE = re.compile(r"^version:[^\n]*$", flags=re.MULTILINE)


class ReleaseError(Exception):
    """A release that cannot be made as asked (no base, a version too small for the changes, ...)."""


@dataclass(frozen=True)
class ReleasePlan:
    base: LoadedSchema | None  # None for the first release
    current: LoadedSchema
    diff: SchemaDiff
    release: Release
    version: Version
    section: str


_RELEASE_TAG = re.compile(r"^v(\d+\.\d+\.\d+)$")


def release_tags(schema_dir: Path) -> list[tuple[Version, str]]:
    """The release tags HEAD contains, oldest version first."""
    found = [(Version.parse(m.group(1)), tag) for tag in tags(schema_dir, "v*") if (m := _RELEASE_TAG.match(tag))]
    return sorted(found)


def default_base(schema_dir: Path, declared: str) -> str | None:
    """``git:v<declared>``: the tag of the release the working schema still declares; None before any release."""
    tag = f"v{declared}"
    if revision_exists(tag, schema_dir):
        return GIT_PREFIX + tag
    released = release_tags(schema_dir)
    if not released:
        return None
    latest = released[-1][1]
    raise ReleaseError(
        f"no git tag {tag} marks the last release of version {declared} (the newest release tag is {latest}); "
        f"pass --base git:{latest} (or another revision or schema folder) to compare against"
    )


def plan(schema_dir: Path, base: str | None, version: str | None, date: str | None) -> ReleasePlan:
    current = load_side(str(schema_dir), schema_dir)
    base = base or default_base(schema_dir, current.api.service.version)
    if base is None:
        return _first(current, version, date)
    base_schema = load_side(base, schema_dir)
    diff = diff_apis(base_schema.api, current.api)
    release = plan_release(diff)
    target = max(release.next, release.declared) if release.bump != "none" else release.current
    if version is not None:
        try:
            target = Version.parse(version)
        except ValueError as exc:
            raise ReleaseError(str(exc)) from exc
        if diff.impact is not Impact.NONE and target < release.next:
            raise ReleaseError(
                f"version {target} is too small: the changes since {base_schema.label} need at least "
                f"{release.next} ({release.why})"
            )
        if target <= release.current:
            raise ReleaseError(f"version {target} is not newer than the last release {release.current}")
    section = render_changelog(diff, str(target), date)
    return ReleasePlan(base_schema, current, diff, release, target, section)


def _first(current: LoadedSchema, version: str | None, date: str | None) -> ReleasePlan:
    """The first release: the declared version (or ``version``), nothing to compare with."""
    declared = current.api.service.version
    try:
        target = Version.parse(version or declared)
    except ValueError as exc:
        raise ReleaseError(str(exc)) from exc
    diff = SchemaDiff(declared, declared)
    section = render_first_release(current.api, str(target), date)
    return ReleasePlan(None, current, diff, plan_release(diff), target, section)


@dataclass(frozen=True)
class GateResult:
    ok: bool
    text: str


def check_gate(schema_dir: Path) -> GateResult:
    """Whether the declared version covers the breaking changes since the newest release tag (the CI gate)."""
    released = release_tags(schema_dir)
    if not released:
        return GateResult(True, "no release tag (v<MAJOR.MINOR.PATCH>) in this clone: nothing to compare with")
    tag = released[-1][1]
    current = load_side(str(schema_dir), schema_dir)
    base = load_side(GIT_PREFIX + tag, schema_dir)
    diff = diff_apis(base.api, current.api)
    release = plan_release(diff)
    if not diff.breaking:
        return GateResult(True, f"no breaking changes since {tag}")
    if release.declared_is_enough:
        return GateResult(True, f"{len(diff.breaking)} breaking change(s) since {tag}, released as {release.declared}")
    lines = [
        f"{len(diff.breaking)} breaking change(s) since {tag}, but schema/api.yaml still declares {release.declared} "
        f"(at least {release.next} is needed); run `python -m generator release`:"
    ]
    lines += [f"  - {change.summary}" for change in diff.breaking]
    return GateResult(False, "\n".join(lines))


def set_version(api_yaml: str, version: Version) -> str:
    """``api.yaml`` text with its top-level ``version:`` replaced; comments and layout stay as they are."""
    updated, count = _VERSION_LINE.subn(f"version: {version}", api_yaml, count=1)
    if count != 1:
        raise ReleaseError(f"{API_FILE} has no top-level `version:` line to update")
    return updated


def apply(release_plan: ReleasePlan, schema_dir: Path, out_dir: Path, cache_dir: Path | None) -> Generated:
    """Write the version and the changelog into schema/, then regenerate out_dir; undo schema/ on failure."""
    api_path, changelog_path = schema_dir / API_FILE, schema_dir / CHANGELOG
    api_before = api_path.read_text(encoding="utf-8")
    changelog_before = changelog_path.read_text(encoding="utf-8") if changelog_path.is_file() else None
    package = release_plan.current.api.service.package
    try:
        api_path.write_text(set_version(api_before, release_plan.version), encoding="utf-8")
        changelog_path.write_text(prepend_section(changelog_before, release_plan.section, package), encoding="utf-8")
        declared = load_api(schema_dir).service.version
        if declared != str(release_plan.version):
            raise ReleaseError(f"{API_FILE} still declares {declared} after the update")
        generated = generate_files(schema_dir, cache_dir)
        write_tree(out_dir, generated.files, generated.links)
    except BaseException:
        api_path.write_text(api_before, encoding="utf-8")
        if changelog_before is None:
            changelog_path.unlink(missing_ok=True)
        else:
            changelog_path.write_text(changelog_before, encoding="utf-8")
        raise
    return generated


__all__ = [
    "GateResult",
    "ReleaseError",
    "ReleasePlan",
    "SourceError",
    "apply",
    "check_gate",
    "default_base",
    "plan",
    "release_tags",
    "set_version",
]
