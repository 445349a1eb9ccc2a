"""Fixtures for the browser tests: the API under uvicorn, and headless Debian chromium.

The server runs the app factory over the project's built graph in a subprocess on a free
loopback port and is stopped by its own process id. Chromium is driven through Debian's
chromedriver (`make setup-browser` installs both); without them the tests are skipped, saying
so. Every test here carries the `browser` marker.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from live_servers import free_port, stop

PROJECT = Path(__file__).resolve().parents[2]
OUTPUT = PROJECT / "output"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
START_TIMEOUT = 60.0  # seconds; a stale graph is rebuilt first (~5 s)

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`uvicorn --factory api.app:create_app` over output/, up once /health answers."""
    from graph.build import ensure_built

    ensure_built(OUTPUT)
    port = free_port()
    log = tmp_path_factory.mktemp("browser-server") / "server.log"
    env = {
        **os.environ,
        "EMKG_GRAPH_DIR": str(OUTPUT),
        "EMKG_AUTO_BUILD": "false",
        "EMKG_POOL_SIZE": "2",
    }
    env.pop("EMKG_YASGUI_DIR", None)
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "api.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    with log.open("wb") as stream:
        process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=stream, stderr=stream)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_health(url, process, log)
        yield Server(url, process)
    finally:
        stop(process)


def _wait_for_health(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(url + "/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    stop(process)
    raise RuntimeError(f"{url}/health did not answer in {START_TIMEOUT} s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """Headless Debian chromium, with a profile of its own and no background traffic."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing or shutil.which(str(CHROMEDRIVER)) is None:
        pytest.skip(
            f"chromium and chromedriver are needed at /usr/bin ({', '.join(missing)} missing; "
            "`make setup-browser` installs them)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
    ):
        options.add_argument(argument)
    # the console and the network, for the tests that fail on a console error or on a request
    # to another host (tests/browser/test_every_page.py)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()
