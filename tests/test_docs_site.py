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
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import GENERATED, PROJECT

from generator.ir.nodes import Api
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


@contextlib.contextmanager
def chromium(tmp_path: Path) -> Iterator[Any]:
    """A headless Chromium under chromedriver, closed when the block ends."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

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
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.set_page_load_timeout(60)
        yield driver
    finally:
        driver.quit()


# What a reader types, and the entry that must come first: wire names, a Python method with and without the
# client, an exception class.
SEARCHES = {
    "mergeAsset": "sections/assets/commands/#mergeAsset",
    "getCompany": "sections/companies/commands/#getCompany",
    "assets.merge": "sections/assets/commands/#mergeAsset",
    "client.assets.merge": "sections/assets/commands/#mergeAsset",
    "AssetNotFound": "errors/#assetNotFound",
}

_FIRST_RESULT = """
const item = document.querySelector('.md-search-result__list > li');
if (!item) return null;
let best = null;
for (const a of item.querySelectorAll('a.md-search-result__link')) {
    const score = parseFloat(a.querySelector('article').dataset.mdScore);
    if (best === null || score > best[1]) best = [a.getAttribute('href'), score];
}
return best && best[0];
"""


def _search(driver: Any, url: str, query: str) -> str:
    """The entry the site's search ranks first for ``query``, typed into the search box as a reader would: the
    best-scored link of the first result group (a group is a page; its best section is shown right under it)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 30)
    driver.get(url)
    box = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "input.md-search__input")))
    box.click()
    box.send_keys(query)
    wait.until(lambda d: d.execute_script(_FIRST_RESULT) is not None)
    # results arrive from a worker as each character is typed: wait until the first result stops changing
    previous: object = None
    for _ in range(40):
        current = driver.execute_script(_FIRST_RESULT)
        if current is not None and current == previous:
            break
        previous = current
        time.sleep(0.25)
    href = str(previous)
    return href.split("?", 1)[0] + ("#" + href.split("#", 1)[1] if "#" in href else "")


@pytest.mark.slow
@pytest.mark.skipif(_browser_missing() is not None, reason=_browser_missing() or "")
def test_browser_search_ranks_exact_names_first(site: Site, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    command = api().commands_by_name["mergeAsset"]
    fields = [f.wire_name for f in command.request.fields]
    with serve(site.root) as url, chromium(tmp_path) as driver:
        wrong = {}
        for query, target in SEARCHES.items():
            first = _search(driver, url, query)
            if not first.endswith(target):
                wrong[query] = f"first result {first}, expected {target}"
        assert not wrong, wrong
        # the first result leads to the entry, whose first table is its request fields
        wait = WebDriverWait(driver, 30)
        driver.get(url + SEARCHES["mergeAsset"])
        heading = wait.until(ec.visibility_of_element_located((By.ID, "mergeAsset")))
        assert heading.text.strip().startswith("mergeAsset")
        table = heading.find_element(By.XPATH, "following::table[1]")
        intro = heading.find_element(By.XPATH, "following::table[1]/preceding::p[1]")
        assert "Request fields" in intro.text, intro.text
        cells = [td.text.strip() for td in table.find_elements(By.CSS_SELECTOR, "tbody tr td:first-child")]
        for name in fields:
            assert any(cell.split()[0] == name for cell in cells if cell), (name, cells)


_OVERFLOWS = """
const width = document.documentElement.clientWidth;
const out = [];
for (const table of document.querySelectorAll('.md-content table')) {
    const box = table.getBoundingClientRect();
    // a table may scroll sideways inside its own box; neither may reach past the page
    const wrap = table.closest('.md-typeset__scrollwrap') || table;
    const outer = wrap.getBoundingClientRect();
    if (box.width > 0 && (outer.right > width + 1 || outer.left < -1 || table.scrollWidth > wrap.clientWidth + 1)) {
        out.push(`${table.rows[0] ? table.rows[0].innerText.slice(0, 60) : '?'}: ${Math.round(box.width)}px`);
    }
}
const page = document.documentElement.scrollWidth;
if (page > width + 1) out.push(`the page itself: ${page}px`);
return [width, document.querySelectorAll('.md-content table').length, out];
"""

_BROKEN_NAMES = """
// identifiers must not wrap inside a word: a <code> holding one word renders on one line
const out = [];
for (const code of document.querySelectorAll('.md-content td code')) {
    const text = code.textContent;
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(text) || code.getClientRects().length === 0) continue;
    const lineHeight = parseFloat(getComputedStyle(code).lineHeight) || 16;
    if (code.getClientRects().length > 1 || code.getBoundingClientRect().height > 2.2 * lineHeight) out.push(text);
}
return out.slice(0, 20);
"""


@pytest.mark.slow
@pytest.mark.skipif(_browser_missing() is not None, reason=_browser_missing() or "")
def test_command_page_fits_a_phone(site: Site, tmp_path: Path) -> None:
    """At 390 px no table reaches past the page, no identifier breaks mid-word; the screenshot is kept."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    with serve(site.root) as url, chromium(tmp_path) as driver:
        # a desktop window cannot be made this narrow: emulate the phone's screen instead
        metrics = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        driver.get(url + "sections/assets/commands/#mergeAsset")
        WebDriverWait(driver, 30).until(ec.visibility_of_element_located((By.ID, "mergeAsset")))
        width, tables, overflowing = driver.execute_script(_OVERFLOWS)
        assert width <= 400, width
        assert tables > 20, tables
        assert not overflowing, f"{len(overflowing)} of {tables} tables overflow {width}px: {overflowing[:10]}"
        broken = driver.execute_script(_BROKEN_NAMES)
        assert not broken, f"identifiers broken across lines: {broken}"
        # the picture shows the entry's request and response tables, as a phone reader sees them
        intro = driver.find_element(By.XPATH, "//*[@id='mergeAsset']/following::p[starts-with(., 'Request fields')][1]")
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", intro)
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "docs-mergeAsset-390px.png"
        assert driver.save_screenshot(str(shot)), "no screenshot was written"
        assert shot.stat().st_size > 10_000


def test_search_rank_hook_prefers_the_exact_name() -> None:
    """The hook weighs a heading down once for every other heading name its own name extends."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("search_rank", GENERATED / "docs" / "hooks" / "search_rank.py")
    assert spec is not None and spec.loader is not None
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    index = {
        "docs": [
            {"location": "a/", "title": "Assets: commands"},
            {"location": "a/#mergeAsset", "title": "mergeAsset · client.assets.merge"},
            {"location": "a/#mergeAssetDispatch", "title": "mergeAssetDispatch · client.assets.merge_dispatch"},
            {"location": "a/#install", "title": "Install it"},  # prose: its title does not start with its anchor
        ]
    }
    hook.rank(index)
    boosts = [doc.get("boost") for doc in index["docs"]]
    assert boosts == [None, None, 1 / hook.STEP, None], boosts
