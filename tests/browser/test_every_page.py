"""Every page in Debian's Chromium, at desktop and at phone width: no console error, no request
to another host, no axe-core violation of serious or critical impact, nothing wider than the
screen at 375 px; and a screenshot of each at both widths in output/screenshots/ (named in the
README) for a reviewer to look at."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import pytest

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

    from tests.browser.conftest import Server

PROJECT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT / "output" / "screenshots"
AXE = PROJECT / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"desktop": 1280, "phone": 375}
WAIT = 20.0  # seconds
MAX_SHOT_HEIGHT = 6000  # px: a long page is cut there
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

#: (screenshot name, path, what tells that the page's script has run)
FIXED_PAGES = [
    ("home", "/", "return document.querySelectorAll('ol.tracker li.commitment').length > 0"),
    ("timeline", "/timeline", "return document.querySelectorAll('#timeline .vis-item').length > 0"),
    ("funding", "/funding", "return !!(window.emkCharts && window.emkCharts.place)"),
    ("queries", "/queries", "return document.querySelectorAll('form.query').length > 0"),
    ("sparql", "/sparql", "return !!(window.yasgui && window.yasgui.getTab())"),
    ("docs", "/docs", "return document.querySelectorAll('#swagger-ui .opblock').length > 0"),
    ("ontology", "/ontology", None),
    ("shapes", "/shapes", None),
    ("void", "/void", None),
    ("commitment", "/id/commitment/2", None),
    ("letter", "/id/document/letter-2023-03-20", None),
    ("not-found", "/id/agency/no-such-agency", None),
    ("ask", "/ask?q=How+much+money+goes+to+Morocco%3F", None),
]
NOT_FOUND = {"/id/agency/no-such-agency"}
#: pages found by following links, so that they follow the graph: (name, page, link prefix)
LINKED_PAGES = [
    ("query-answer", "/queries", "/queries/"),
    ("agency", "/id/commitment/2", "/id/agency/"),
    ("country", "/id/commitment/2", "/id/country/"),
    ("action", "/id/commitment/2", "/id/action/"),
    ("event", "/timeline", "/id/event/"),
    ("funding-instrument", "/funding", "/id/funding/"),
]


def _linked(server: Server, page: str, prefix: str) -> str:
    if prefix == "/queries/":  # a query with parameters, run on its examples
        listing = httpx.get(server.url + "/queries?format=json", timeout=30).json()
        query = next(q for q in listing["queries"] if q["parameters"])
        example = urlsplit(query["example"])
        return f"{example.path}?{example.query}"
    html = httpx.get(server.url + page, headers={"accept": BROWSER}, timeout=30).text
    for href in re.findall(r'href="([^"]+)"', html):
        if href.startswith(prefix) and href != prefix:
            return href.replace("&amp;", "&")
    pytest.fail(f"no link starting {prefix} on {page}")


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.skip("node_modules/axe-core is not installed (npm install)")
    return AXE.read_text(encoding="utf-8")


def _drain(browser: WebDriver) -> None:
    browser.get_log("browser")
    browser.get_log("performance")


def _requests(browser: WebDriver) -> list[str]:
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _foreign(urls: list[str], server: Server) -> list[str]:
    here = urlsplit(server.url).netloc
    return [
        url
        for url in urls
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).netloc != here
    ]


def _console_errors(browser: WebDriver, path: str) -> list[str]:
    errors = [
        entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"
    ]
    if path in NOT_FOUND:  # the page itself answers 404, which Chromium reports on the console
        errors = [e for e in errors if not (path in e and "status of 404" in e)]
    return errors


def _axe(browser: WebDriver, source: str) -> list[dict[str, object]]:
    browser.execute_script(source)
    browser.set_script_timeout(60)
    found = browser.execute_async_script(
        """
        var done = arguments[arguments.length - 1];
        window.axe.run(document, { resultTypes: ["violations"] }).then(function (result) {
          done(result.violations.map(function (v) {
            return { id: v.id, impact: v.impact, help: v.help,
                     nodes: v.nodes.slice(0, 3).map(function (n) { return n.target.join(" "); }) };
          }));
        }).catch(function (error) { done([{ id: "axe-error", impact: "critical", help: String(error), nodes: [] }]); });
        """
    )
    return [v for v in found if v.get("impact") in ("serious", "critical")]


def _ready(browser: WebDriver, check: str | None) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        complete = browser.execute_script("return document.readyState") == "complete"
        if complete and (check is None or browser.execute_script(check)):
            return
        time.sleep(0.1)
    pytest.fail(f"{browser.current_url}: not ready in {WAIT} s ({check})")


def _screenshot(browser: WebDriver, width: int, path: Path) -> None:
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(width, min(max(int(height), 600), MAX_SHOT_HEIGHT))
    time.sleep(0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(path))


def check_page(
    browser: WebDriver, server: Server, axe_source: str, name: str, path: str, check: str | None
) -> None:
    problems: list[str] = []
    for label, width in WIDTHS.items():
        browser.set_window_size(width, 900)
        _drain(browser)
        browser.get(server.url + path)
        _ready(browser, check)
        time.sleep(0.3)  # late requests and errors of the page's script
        for violation in _axe(browser, axe_source):
            problems.append(f"{label}: axe {violation}")
        overflow = browser.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if overflow[0] > overflow[1]:
            problems.append(f"{label}: the page is {overflow[0]} px wide in {overflow[1]} px")
        _screenshot(browser, width, SCREENSHOTS / f"{name}-{label}.png")
        problems += [f"{label}: console error {error}" for error in _console_errors(browser, path)]
        problems += [f"{label}: request to {url}" for url in _foreign(_requests(browser), server)]
        browser.set_window_size(width, 900)
    assert not problems, f"{path}:\n" + "\n".join(problems)


@pytest.mark.parametrize(("name", "path", "check"), FIXED_PAGES, ids=[p[0] for p in FIXED_PAGES])
def test_page(
    browser: WebDriver, server: Server, axe_source: str, name: str, path: str, check: str | None
) -> None:
    check_page(browser, server, axe_source, name, path, check)


@pytest.mark.parametrize(("name", "page", "prefix"), LINKED_PAGES, ids=[p[0] for p in LINKED_PAGES])
def test_linked_page(
    browser: WebDriver, server: Server, axe_source: str, name: str, page: str, prefix: str
) -> None:
    check_page(browser, server, axe_source, name, _linked(server, page, prefix), None)
