"""``python -m generator release``: turn the schema changes since the last release into a version and a changelog.

The last release is the git tag ``v<version>`` of the version the working schema declares (``--base`` names
another folder or revision). The diff against it decides the bump (``changelog.py``); releasing writes the new
``version`` into ``schema/api.yaml``, prepends the changelog section to ``schema/CHANGELOG.md`` and regenerates
``generated/`` (which copies the changelog). If regenerating fails, both schema files are restored.
Committing and tagging stay with the maintainer, who should review the result first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .changelog import Release, Version, plan_release, prepend_section, render_changelog
from .diff import Impact, SchemaDiff, diff_apis
from .pipeline import CHANGELOG, Generated, generate_files, load_api
from .revisions import GIT_PREFIX, LoadedSchema, SourceError, load_side, revision_exists
from .write import write_tree

API_FILE = "api.yaml"
_VERSION_LINE = re.compile(r"^version:[^\n]*$", flags=re.MULTILINE)


class ReleaseError(Exception):
    """A release that cannot be made as asked (no base, a version too small for the changes, ...)."""


@dataclass(frozen=True)
class ReleasePlan:
    base: LoadedSchema
    current: LoadedSchema
    diff: SchemaDiff
    release: Release
    version: Version
    section: str


def default_base(schema_dir: Path, declared: str) -> str:
    """``git:v<declared>``: the tag of the release the working schema still declares."""
    tag = f"v{declared}"
    if not revision_exists(tag, schema_dir):
        raise ReleaseError(
            f"no git tag {tag} marks the last release of version {declared}; "
            "pass --base git:<revision> (or a schema folder) to compare against"
        )
    return GIT_PREFIX + tag


def plan(schema_dir: Path, base: str | None, version: str | None, date: str | None) -> ReleasePlan:
    current = load_side(str(schema_dir), schema_dir)
    base_schema = load_side(base or default_base(schema_dir, current.api.service.version), schema_dir)
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
        write_tree(out_dir, generated.files)
    except BaseException:
        api_path.write_text(api_before, encoding="utf-8")
        if changelog_before is None:
            changelog_path.unlink(missing_ok=True)
        else:
            changelog_path.write_text(changelog_before, encoding="utf-8")
        raise
    return generated


__all__ = ["ReleaseError", "ReleasePlan", "SourceError", "apply", "default_base", "plan", "set_version"]
