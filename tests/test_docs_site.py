"""The published site: `mkdocs build --strict` on generated/docs, everything in the schema has its place, and a
real browser finds `mergeAsset` through the site's search.

The site is built once per test session into a temporary folder (the same command as `make docs`).
"""

from __future__ import annotations

import contextlib
import functools
import html.parser
import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import GENERATED, PROJECT

from generator.model import Api
from generator.pipeline import load_api

MKDOCS_CONFIG = GENERATED / "docs" / "mkdocs.yml"
ARTIFACTS = PROJECT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def build_site(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict` as `make docs` runs it."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--clean", "-f", str(config), "-d", str(site)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)


@dataclass(frozen=True)
class Site:
    root: Path
    log: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    root = tmp_path_factory.mktemp("site")
    result = build_site(MKDOCS_CONFIG, root)
    assert result.returncode == 0, result.stdout + result.stderr
    return Site(root, result.stdout + result.stderr)


@functools.cache
def api() -> Api:
    return load_api()


class _Ids(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if key == "id" and value:
                self.ids.add(value)


def ids_of(page: Path) -> set[str]:
    parser = _Ids()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.ids


def page_of(site: Site, path: str) -> Path:
    """A Markdown page's built HTML (directory URLs: sections/assets/commands.md -> .../commands/index.html)."""
    stem = path.removesuffix(".md")
    return site.root / ("index.html" if stem == "index" else f"{stem}/index.html")


def test_site_builds_without_warnings(site: Site) -> None:
    problems = [line for line in site.log.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert not problems, "\n".join(problems)
    assert (site.root / "search" / "search_index.json").is_file(), "the search plugin is off"


def test_make_docs_runs_this_strict_build() -> None:
    """`make docs` is the build checked above: strict, on the generated config, into site/."""
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    result = subprocess.run(["make", "--dry-run", "docs"], cwd=PROJECT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    build = [line for line in result.stdout.splitlines() if "mkdocs build" in line]
    assert len(build) == 1, result.stdout
    assert "--strict" in build[0] and "generated/docs/mkdocs.yml" in build[0] and "/site" in build[0], build[0]


def test_every_schema_item_has_its_place_in_the_site(site: Site) -> None:
    model = api()
    missing: list[str] = []

    def expect(path: str, names: list[str], kind: str) -> None:
        page = page_of(site, path)
        found = ids_of(page) if page.is_file() else set()
        missing.extend(f"{kind} {name} (in {path})" for name in names if name not in found)

    for section in model.sections:
        base = f"sections/{section.module}"
        commands = [c.name for c in model.commands if c.section == section.id]
        types = [t.name for t in model.types if t.section == section.id]
        enums = [e.name for e in model.enums if e.section == section.id]
        expect(f"{base}/commands.md", commands, "command")
        expect(f"{base}/types.md", types, "type")
        expect(f"{base}/enums.md", enums, "enum")
    expect("errors.md", [e.name for e in model.errors], "error code")
    expect("subscriptions.md", [s.name for s in model.subscriptions], "subscription type")
    expect("messages.md", [m.name for m in model.messages], "message")
    expect("python-api.md", [f"resource-{r.name}" for r in model.resources], "resource")
    assert not missing, f"{len(missing)} items have no place in the site:\n" + "\n".join(missing[:50])


def test_unconfirmed_and_deprecated_items_are_flagged(site: Site) -> None:
    model = api()
    unconfirmed = next(c for c in model.commands if not c.confirmed)
    confirmed = next(c for c in model.commands if c.confirmed and c.section == unconfirmed.section)
    text = page_of(site, f"sections/{model.sections_by_id[unconfirmed.section].module}/commands.md").read_text()
    block = text[text.index(f'id="{unconfirmed.name}"') :]
    block = block[: block.index("<h2", 10)] if "<h2" in block[10:] else block
    assert "Unconfirmed wire name" in block
    block = text[text.index(f'id="{confirmed.name}"') :]
    block = block[: block.index("<h2", 10)] if "<h2" in block[10:] else block
    assert "Unconfirmed wire name" not in block
    deprecated = next(t for t in model.types if t.deprecated and t.replaced_by)
    text = page_of(site, f"sections/{model.sections_by_id[deprecated.section].module}/types.md").read_text()
    block = text[text.index(f'id="{deprecated.name}"') :]
    assert "Deprecated" in block[:3000] and str(deprecated.replaced_by) in block[:3000]


# --- the browser test ----------------------------------------------------------------------------------


@contextlib.contextmanager
def serve(root: Path) -> Iterator[str]:
    """The built site over loopback HTTP on a free port, for as long as the block runs."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _browser_missing() -> str | None:
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        return (
            "the docs browser test needs Chromium and its driver: "
            "`apt-get install -y chromium chromium-driver` (Debian), then run it again"
        )
    return None


@pytest.mark.slow
@pytest.mark.skipif(_browser_missing() is not None, reason=_browser_missing() or "")
def test_browser_search_finds_merge_asset(site: Site, tmp_path: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    command = api().commands_by_name["mergeAsset"]
    fields = [f.wire_name for f in command.request.fields]
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    service = Service(executable_path=CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log"))
    with serve(site.root) as url:
        driver = webdriver.Chrome(options=options, service=service)
        try:
            driver.set_page_load_timeout(60)
            wait = WebDriverWait(driver, 30)
            driver.get(url)
            # open the search (the header's search field) and type, as a reader would
            box = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "input.md-search__input")))
            box.click()
            box.send_keys("mergeAsset")
            target = "#mergeAsset"
            hit = wait.until(
                lambda d: next(
                    (
                        a
                        for a in d.find_elements(By.CSS_SELECTOR, ".md-search-result a")
                        if (a.get_attribute("href") or "").endswith(target)
                    ),
                    None,
                )
            )
            assert hit is not None
            if not hit.is_displayed():
                # ranked below a sibling section of the same page: open "N more on this page", as a reader would
                group = hit.find_element(By.XPATH, "ancestor::details[1]")
                group.find_element(By.TAG_NAME, "summary").click()
                wait.until(lambda d: hit.is_displayed())
            hit.click()
            wait.until(lambda d: d.current_url.endswith(target))
            assert "/sections/assets/commands/" in driver.current_url, driver.current_url
            heading = wait.until(ec.visibility_of_element_located((By.ID, "mergeAsset")))
            assert heading.text.strip().startswith("mergeAsset")
            # the first table after the heading is its request fields
            table = heading.find_element(By.XPATH, "following::table[1]")
            intro = heading.find_element(By.XPATH, "following::table[1]/preceding::p[1]")
            assert "Request fields" in intro.text, intro.text
            driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", heading)
            wait.until(lambda d: table.is_displayed())
            cells = [td.text.strip() for td in table.find_elements(By.CSS_SELECTOR, "tbody tr td:first-child")]
            for name in fields:
                assert any(cell.split()[0] == name for cell in cells if cell), (name, cells)
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / "docs-mergeAsset.png"
            assert driver.save_screenshot(str(shot)), "no screenshot was written"
            assert shot.stat().st_size > 10_000
        finally:
            driver.quit()
