"""What a schema diff means for a release: the version bump, the human report, the changelog section, JSON.

Semantic versioning of the generated package (``version`` in ``schema/api.yaml``):

- 1.0.0 and later: a breaking change bumps MAJOR, a feature (or deprecation) bumps MINOR, anything else PATCH.
- 0.y.z (y >= 1), the usual convention for unstable packages (Cargo's, and what ``~=0.y`` pins expect): a
  breaking change bumps MINOR (0.3.2 -> 0.4.0), everything else bumps PATCH (0.3.2 -> 0.3.3).
- 0.0.z: every release may break, so any change bumps PATCH.

A diff with no changes implies no release. The changelog source is ``schema/CHANGELOG.md`` (hand-editable prose,
new sections prepended by ``python -m generator release``); the generator copies it to ``generated/CHANGELOG.md``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from ..diagnostics import format_json_path
from ..ir.nodes import Api
from .diff import AREAS, Change, Impact, SchemaDiff

Bump = Literal["major", "minor", "patch", "none"]

_VERSION = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version:
        match = _VERSION.match(text.strip())
        if match is None:
            raise ValueError(f"{text!r} is not a MAJOR.MINOR.PATCH version")
        return cls(*(int(part) for part in match.groups()))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def bump(self, part: Bump) -> Version:
        if part == "major":
            return Version(self.major + 1, 0, 0)
        if part == "minor":
            return Version(self.major, self.minor + 1, 0)
        if part == "patch":
            return Version(self.major, self.minor, self.patch + 1)
        return self


def bump_for(version: Version, impact: Impact) -> Bump:
    """Which part of ``version`` a change of ``impact`` bumps (0.x rules in the module docstring)."""
    if impact is Impact.NONE:
        return "none"
    if version.major == 0:
        if version.minor == 0:
            return "patch"
        return "minor" if impact is Impact.BREAKING else "patch"
    by_impact: dict[Impact, Bump] = {Impact.BREAKING: "major", Impact.FEATURE: "minor", Impact.PATCH: "patch"}
    return by_impact[impact]


@dataclass(frozen=True)
class Release:
    """The version a diff implies, and whether the new schema's own version already says enough."""

    current: Version  # the old (released) version
    bump: Bump
    next: Version
    declared: Version  # the version the new schema states
    why: str

    @property
    def declared_is_enough(self) -> bool:
        return self.declared >= self.next


def plan_release(diff: SchemaDiff) -> Release:
    current = Version.parse(diff.old_version)
    impact = diff.impact
    bump = bump_for(current, impact)
    words = {
        Impact.BREAKING: "breaking changes",
        Impact.FEATURE: "new features or deprecations, nothing breaking",
        Impact.PATCH: "documentation or compatible metadata only",
        Impact.NONE: "no changes",
    }
    why = words[impact]
    if current.major == 0 and bump != "none":
        why += "; 0.x rules: breaking changes bump the minor version, anything else the patch"
        if current.minor == 0:
            why = words[impact] + "; 0.0.z rules: every change bumps the patch version"
    return Release(current, bump, current.bump(bump), Version.parse(diff.new_version), why)


# --- the human report -------------------------------------------------------------------------------------

_HEADINGS = {
    Impact.BREAKING: "BREAKING",
    Impact.FEATURE: "Features and deprecations",
    Impact.PATCH: "Patch-level (documentation, compatible metadata)",
}
_AREA_TITLES = {
    "service": "Service",
    "command": "Commands",
    "request field": "Request fields",
    "response field": "Response fields",
    "type": "Types",
    "type field": "Type fields",
    "enum": "Enums",
    "enum member": "Enum members",
    "error code": "Error codes",
    "subscription type": "Subscription types",
    "message": "Messages",
}


def _by_area(changes: Iterable[Change]) -> list[tuple[str, list[Change]]]:
    grouped: dict[str, list[Change]] = {}
    for change in changes:
        grouped.setdefault(change.area, []).append(change)
    return [(area, grouped[area]) for area in AREAS if area in grouped]


def render_report(diff: SchemaDiff, old_label: str, new_label: str, *, every_change: bool = False) -> str:
    """The report a maintainer reads before publishing: grouped by impact and area, each change located.

    Revised descriptions are summarised per definition unless ``every_change`` asks for one line each.
    """
    release = plan_release(diff)
    lines = [f"Schema diff: {old_label} (version {diff.old_version}) -> {new_label} (version {diff.new_version})"]
    if not diff.changes:
        lines.append("No differences in the API model.")
    else:
        counts = ", ".join(f"{diff.count(impact)} {impact.label}" for impact in reversed(Impact) if diff.count(impact))
        lines.append(f"{len(diff.changes)} change(s): {counts}")
    for impact in (Impact.BREAKING, Impact.FEATURE, Impact.PATCH):
        changes = [c for c in diff.changes if c.impact is impact]
        if not changes:
            continue
        lines += ["", f"{_HEADINGS[impact]} ({len(changes)})"]
        descriptions = [] if every_change else [c for c in changes if _is_description(c)]
        for area, group in _by_area(c for c in changes if c not in descriptions):
            lines.append(f"  {_AREA_TITLES[area]}")
            for change in group:
                lines.append(f"    - {change.summary}")
                if change.reason:
                    lines.append(f"        why: {change.reason}")
                if change.migration and change.breaking:
                    lines.append(f"        do:  {change.migration}")
                if change.location is not None:
                    lines.append(f"        at:  {change.location}")
        if descriptions:
            per_definition: dict[str, int] = {}
            for change in descriptions:
                root = change.subject.split(".")[0]
                per_definition[root] = per_definition.get(root, 0) + 1
            lines.append(f"  Descriptions revised ({len(descriptions)}; --all lists each with its location)")
            lines += _wrapped([f"{name} ({count})" for name, count in sorted(per_definition.items())], "    ")
    lines += ["", _version_line(release)]
    return "\n".join(lines) + "\n"


def _wrapped(items: list[str], indent: str, width: int = 116) -> list[str]:
    """Comma-separated items over several lines, never splitting an item."""
    lines: list[str] = []
    line = ""
    for index, item in enumerate(items):
        piece = item + ("," if index < len(items) - 1 else "")
        if line and len(indent) + len(line) + 1 + len(piece) > width:
            lines.append(indent + line)
            line = piece
        else:
            line = f"{line} {piece}" if line else piece
    if line:
        lines.append(indent + line)
    return lines


def _is_description(change: Change) -> bool:
    return change.action == "documented" and change.summary.endswith("description revised")


def _version_line(release: Release) -> str:
    if release.bump == "none":
        return f"Version: {release.current} stays (no changes)."
    line = f"Version: {release.current} -> {release.next} ({release.bump} bump: {release.why})."
    if release.declared != release.current:
        verdict = "enough" if release.declared_is_enough else f"NOT enough, needs at least {release.next}"
        line += f"\nThe new schema already declares {release.declared}: {verdict}."
    return line


# --- the changelog section --------------------------------------------------------------------------------

_DOC_LIMIT = 10


def _md(text: str) -> str:
    """Schema text inside a Markdown list item: one line, no raw HTML."""
    return " ".join(text.split()).replace("<", "&lt;").replace(">", "&gt;")


def render_changelog(diff: SchemaDiff, version: str, date: str | None = None) -> str:
    """A Markdown section for CHANGELOG.md: breaking changes first (with what to do), then the rest."""
    title = f"## {version}" + (f" ({date})" if date else "")
    lines = [title, ""]
    if not diff.changes:
        return "\n".join([*lines, "No API changes.", ""])
    breaking = [c for c in diff.changes if c.impact is Impact.BREAKING]
    added = [c for c in diff.changes if c.impact is not Impact.BREAKING and c.action == "added"]
    deprecated = [c for c in diff.changes if c.impact is not Impact.BREAKING and c.action == "deprecated"]
    docs = [c for c in diff.changes if c.impact is not Impact.BREAKING and c.action == "documented"]
    listed = {id(c) for c in (*breaking, *added, *deprecated, *docs)}
    changed = [c for c in diff.changes if id(c) not in listed]
    for heading, changes in (
        ("Breaking changes", breaking),
        ("Added", added),
        ("Deprecated", deprecated),
        ("Changed", changed),
    ):
        if not changes:
            continue
        lines += [f"### {heading}", ""]
        for change in changes:
            item = f"- {_md(change.summary)}"
            if change.description and change.action == "added":
                item += f": {_md(change.description)}"
            if change.impact is Impact.BREAKING and change.reason:
                item += f" ({_md(change.reason)})"
            lines.append(item)
            if change.impact is Impact.BREAKING:
                lines.append(f"  Migration: {_md(change.migration or 'see above')}.")
        lines.append("")
    if docs:
        lines += ["### Documentation", ""]
        if len(docs) <= _DOC_LIMIT:
            lines += [f"- {_md(c.summary)}" for c in docs]
        else:
            subjects = sorted({c.subject.split(".")[0] for c in docs})
            named = ", ".join(f"`{s}`" for s in subjects[:_DOC_LIMIT])
            more = f" and {len(subjects) - _DOC_LIMIT} more" if len(subjects) > _DOC_LIMIT else ""
            lines.append(f"- {len(docs)} descriptions revised, in {named}{more}.")
        lines.append("")
    return "\n".join(lines)


def render_first_release(api: Api, version: str, date: str | None = None) -> str:
    """The changelog section of the first release: what the package offers, counted."""
    title = f"## {version}" + (f" ({date})" if date else "")
    counts = api.counts()
    offered = ", ".join(f"{count} {kind}" for kind, count in counts.items() if count)
    return "\n".join([title, "", f"First release of `{api.service.package}`: {offered}.", ""])


CHANGELOG_HEADER = """# Changelog

Changes to the `{package}` package, newest first. Each section is written by `python -m generator release` from
the difference between the API descriptions of two releases; edit the wording in `schema/CHANGELOG.md` (the
generator copies it to `generated/CHANGELOG.md`).
"""


def prepend_section(changelog: str | None, section: str, package: str) -> str:
    """``changelog`` with ``section`` inserted before its first release section (after the header)."""
    text = changelog if changelog else CHANGELOG_HEADER.format(package=package)
    match = re.search(r"^## ", text, flags=re.MULTILINE)
    at = match.start() if match else len(text)
    head, tail = text[:at].rstrip("\n") + "\n\n", text[at:]
    return head + section.rstrip("\n") + "\n" + ("\n" + tail if tail else "")


# --- JSON -------------------------------------------------------------------------------------------------


def to_json(diff: SchemaDiff, old_label: str, new_label: str) -> str:
    release = plan_release(diff)
    data: dict[str, Any] = {
        "old": {"source": old_label, "version": diff.old_version},
        "new": {"source": new_label, "version": diff.new_version},
        "impact": diff.impact.label,
        "breaking": diff.impact is Impact.BREAKING,
        "version": {
            "current": str(release.current),
            "bump": release.bump,
            "next": str(release.next),
            "declared": str(release.declared),
            "declared_is_enough": release.declared_is_enough,
        },
        "counts": {impact.label: diff.count(impact) for impact in (Impact.BREAKING, Impact.FEATURE, Impact.PATCH)},
        "changes": [_change_json(c) for c in diff.changes],
    }
    return json.dumps(data, indent=2) + "\n"


def _change_json(change: Change) -> dict[str, Any]:
    location = None
    if change.location is not None:
        location = {
            "file": change.location.file,
            "path": format_json_path(change.location.path),
            "schema": change.location.side,
        }
    return {
        "impact": change.impact.label,
        "action": change.action,
        "area": change.area,
        "subject": change.subject,
        "summary": change.summary,
        "reason": change.reason,
        "old": change.old,
        "new": change.new,
        "description": change.description,
        "migration": change.migration,
        "location": location,
    }
