"""Versions, changelog sections, and the `diff` / `release` commands as a maintainer runs them (with git)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURE_SCHEMA, PROJECT, run_generator

from generator.maintainer.changelog import (
    Version,
    bump_for,
    plan_release,
    prepend_section,
    render_changelog,
    render_report,
)
from generator.maintainer.diff import Action, Change, Impact, SchemaDiff

# --- versions ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "impact", "expected"),
    [
        ("1.2.3", Impact.BREAKING, "2.0.0"),
        ("1.2.3", Impact.FEATURE, "1.3.0"),
        ("1.2.3", Impact.PATCH, "1.2.4"),
        ("1.2.3", Impact.NONE, "1.2.3"),
        ("0.3.2", Impact.BREAKING, "0.4.0"),  # 0.x: breaking bumps the minor
        ("0.3.2", Impact.FEATURE, "0.3.3"),  # ... everything else the patch
        ("0.3.2", Impact.PATCH, "0.3.3"),
        ("0.0.4", Impact.BREAKING, "0.0.5"),  # 0.0.z: every change bumps z
        ("0.0.4", Impact.FEATURE, "0.0.5"),
    ],
)
def test_version_bump(version: str, impact: Impact, expected: str) -> None:
    current = Version.parse(version)
    assert str(current.bump(bump_for(current, impact))) == expected


@pytest.mark.parametrize("text", ["1.2", "v1.2.3", "1.2.3-rc1", "01.2.3", ""])
def test_version_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"MAJOR\.MINOR\.PATCH"):
        Version.parse(text)


def _change(impact: Impact, action: Action, summary: str, reason: str = "") -> Change:
    return Change(impact, action, "command", summary.split()[0], summary, reason)


def test_plan_release_checks_the_declared_version() -> None:
    diff = SchemaDiff("1.4.0", "1.4.1", (_change(Impact.FEATURE, "added", "new command x"),))
    release = plan_release(diff)
    assert (release.bump, str(release.next)) == ("minor", "1.5.0")
    assert not release.declared_is_enough


def test_changelog_lists_breaking_changes_first_with_reasons() -> None:
    diff = SchemaDiff(
        "1.0.0",
        "1.0.0",
        (
            _change(Impact.BREAKING, "removed", "command a removed", "client.x.a() no longer exists"),
            _change(Impact.FEATURE, "added", "new command b"),
            _change(Impact.FEATURE, "deprecated", "command c is deprecated"),
            _change(Impact.PATCH, "documented", "command d: description <revised>"),
        ),
    )
    text = render_changelog(diff, "2.0.0", "2026-01-02")
    assert text.startswith("## 2.0.0 (2026-01-02)\n")
    order = [text.index(h) for h in ("### Breaking changes", "### Added", "### Deprecated", "### Documentation")]
    assert order == sorted(order)
    assert "- command a removed (client.x.a() no longer exists)" in text
    assert "&lt;revised&gt;" in text and "<revised>" not in text


def test_prepend_section_goes_below_the_header_and_above_older_releases() -> None:
    old = "# Changelog\n\nIntro.\n\n## 1.0.0\n\n- First.\n"
    new = prepend_section(old, "## 1.1.0\n\n- Second.\n", "pkg")
    assert new == "# Changelog\n\nIntro.\n\n## 1.1.0\n\n- Second.\n\n## 1.0.0\n\n- First.\n"
    fresh = prepend_section(None, "## 0.1.0\n\n- One.\n", "pkg")
    assert fresh.startswith("# Changelog\n") and fresh.endswith("## 0.1.0\n\n- One.\n") and "`pkg`" in fresh


# --- the commands -----------------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"}
    done = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


REMOVE_ASSET = ("  removeAsset:\n", "  removeAssetGone:\n")  # a rename: removed + added
OPTIONAL_FIELD = (
    "        includeDeleted: {type: boolean, description: Also find deleted ones.}\n",
    "        includeDeleted: {type: boolean, description: Also find deleted ones.}\n"
    "        limit: {type: integer, format: int, description: At most this many.}\n",
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose schema/ is the fixture at version 1.2.0, committed and tagged v1.2.0."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE_SCHEMA, root / "schema")
    _edit(root / "schema" / "api.yaml", "version: 0.0.1", "version: 1.2.0")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "first")
    _git(root, "tag", "v1.2.0")
    return root


def test_diff_between_two_revisions(repo: Path) -> None:
    _edit(repo / "schema" / "commands" / "assets.yaml", *REMOVE_ASSET)
    _git(repo, "commit", "-q", "-am", "rename removeAsset")
    schema = str(repo / "schema")
    result = run_generator("diff", "git:HEAD~1", "--schema", schema)
    assert result.returncode == 0, result.stderr
    report = result.stdout
    assert report.startswith("Schema diff: git:HEAD~1 (")
    assert "BREAKING (1)" in report and "command removeAsset removed" in report
    assert "at:  schema/commands/assets.yaml $.commands.removeAsset (old schema)" in report
    assert "new command removeAssetGone" in report
    assert "Version: 1.2.0 -> 2.0.0 (major bump" in report

    both = run_generator("diff", "git:v1.2.0", "git:HEAD", "--schema", schema, "--json", "--fail-on-breaking")
    assert both.returncode == 1, both.stderr
    data = json.loads(both.stdout)
    assert data["impact"] == "breaking" and data["version"]["next"] == "2.0.0"
    removed = next(c for c in data["changes"] if c["action"] == "removed")
    assert removed["location"] == {
        "file": "schema/commands/assets.yaml",
        "path": "$.commands.removeAsset",
        "schema": "old",
    }


def test_fail_on_breaking_passes_for_compatible_changes(repo: Path) -> None:
    _edit(repo / "schema" / "commands" / "assets.yaml", *OPTIONAL_FIELD)  # uncommitted: the working tree
    result = run_generator("diff", "git:HEAD", "--schema", str(repo / "schema"), "--fail-on-breaking", "--markdown")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("## Unreleased\n\n### Added\n")
    assert "new optional request field 'limit' of getAsset" in result.stdout


def test_diff_reports_bad_sources_with_exit_2(repo: Path, tmp_path: Path) -> None:
    schema = str(repo / "schema")
    unknown = run_generator("diff", "git:no-such-tag", "--schema", schema)
    assert unknown.returncode == 2 and "unknown git revision 'no-such-tag'" in unknown.stderr
    missing = run_generator("diff", str(tmp_path / "nowhere"), "--schema", schema)
    assert missing.returncode == 2 and "neither a schema folder nor a git: revision" in missing.stderr
    broken = tmp_path / "broken"
    shutil.copytree(FIXTURE_SCHEMA, broken)
    _edit(broken / "commands" / "assets.yaml", "asset: {$ref: Asset, description: The asset.}", "asset: {$ref: Nope}")
    bad = run_generator("diff", str(broken), "--schema", schema)
    assert bad.returncode == 2
    assert "unknown type 'Nope'" in bad.stderr and f"problem(s) in {broken}" in bad.stderr


def test_release_bumps_writes_the_changelog_and_regenerates(repo: Path) -> None:
    schema, out = repo / "schema", repo / "generated"
    _edit(schema / "commands" / "assets.yaml", *OPTIONAL_FIELD)
    dry = run_generator("release", "--schema", str(schema), "--out", str(out), "--dry-run", "--date", "2026-01-02")
    assert dry.returncode == 0, dry.stderr
    assert "## 1.3.0 (2026-01-02)" in dry.stdout and not out.exists() and not (schema / "CHANGELOG.md").exists()

    too_small = run_generator("release", "--schema", str(schema), "--out", str(out), "--version", "1.2.1")
    assert too_small.returncode == 2 and "too small" in too_small.stderr and not out.exists()

    done = run_generator("release", "--schema", str(schema), "--out", str(out), "--date", "2026-01-02")
    assert done.returncode == 0, done.stderr
    assert "version: 1.3.0\n" in (schema / "api.yaml").read_text()
    changelog = (schema / "CHANGELOG.md").read_text()
    assert changelog.startswith("# Changelog\n") and "## 1.3.0 (2026-01-02)\n\n### Added\n" in changelog
    assert (out / "CHANGELOG.md").read_text() == changelog
    assert "__version__ = '1.3.0'" in (out / "fleetfreedom" / "__init__.py").read_text().replace('"', "'")
    check = run_generator("check", "--schema", str(schema), "--out", str(out))
    assert check.returncode == 0, check.stdout

    # Released and tagged: the next release compares against v1.3.0 and finds nothing new.
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "release 1.3.0")
    _git(repo, "tag", "v1.3.0")
    again = run_generator("release", "--schema", str(schema), "--out", str(out))
    assert again.returncode == 0 and "nothing to release" in again.stdout


def test_release_without_a_tag_asks_for_a_base(repo: Path) -> None:
    _git(repo, "tag", "-d", "v1.2.0")
    # before any release tag: the first release, of the declared version
    first = run_generator("release", "--schema", str(repo / "schema"), "--out", str(repo / "generated"), "--dry-run")
    assert first.returncode == 0 and "first release of fleetfreedom 1.2.0" in first.stdout, first.stderr
    # with release tags, but none for the declared version: the newest one is named
    _git(repo, "tag", "v1.1.0")
    result = run_generator("release", "--schema", str(repo / "schema"), "--out", str(repo / "generated"))
    assert result.returncode == 2 and "no git tag v1.2.0" in result.stderr and "--base git:v1.1.0" in result.stderr
    based = run_generator(
        "release", "--schema", str(repo / "schema"), "--base", "git:HEAD", "--out", str(repo / "generated"), "--dry-run"
    )
    assert based.returncode == 0 and "nothing to release" in based.stdout


SELF_RESOURCE_COMMIT = "d6ae0325fe3d7d09e5eae7b631916e84746357c6"  # moved the self commands to client.account


def _in_history(commit: str) -> bool:
    found = subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=PROJECT, capture_output=True)
    return found.returncode == 0


@pytest.mark.skipif(not _in_history(SELF_RESOURCE_COMMIT), reason="the project's history is not available (shallow)")
def test_diff_on_the_projects_own_history() -> None:
    result = run_generator("diff", f"git:{SELF_RESOURCE_COMMIT}~1", f"git:{SELF_RESOURCE_COMMIT}", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    renamed = {c["subject"]: c["summary"] for c in data["changes"]}
    assert data["counts"] == {"breaking": 6, "feature": 0, "patch": 0}
    assert "`client.self.login()` is now `client.account.login()`" in renamed["login"]


def test_report_summarises_revised_descriptions_unless_asked_for_all() -> None:
    docs = tuple(
        Change(Impact.PATCH, "documented", "type field", f"Asset.{name}", f"type field {name!r}: description revised")
        for name in ("id", "name", "kind")
    )
    diff = SchemaDiff("1.0.0", "1.0.0", (_change(Impact.BREAKING, "removed", "command a removed", "gone"), *docs))
    summary = render_report(diff, "old/", "new/")
    assert "BREAKING (1)" in summary and "why: gone" in summary
    assert "Descriptions revised (3;" in summary and "Asset (3)" in summary and "'id'" not in summary
    assert "Version: 1.0.0 -> 2.0.0 (major bump" in summary
    every = render_report(diff, "old/", "new/", every_change=True)
    assert all(f"type field {name!r}: description revised" in every for name in ("id", "name", "kind"))
