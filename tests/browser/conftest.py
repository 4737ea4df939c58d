"""Browser suite: `segq web` served by waitress, driven by headless Chromium (Debian's
`chromium` and `chromium-driver`) through selenium.

It runs as its own `.ci/run` step with SEGQ_BROWSER_TESTS=1, which also makes a missing
browser a failure instead of a skip. In the main suite it is skipped: it needs the browser
packages and takes longer.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.workbench_session import Session, llm_stub_server, run_session

REQUIRED = os.environ.get("SEGQ_BROWSER_TESTS") == "1"
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if REQUIRED:
        return
    skip = pytest.mark.skip(reason="browser suite: run with SEGQ_BROWSER_TESTS=1 (.ci/run)")
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(skip)


def _first(paths: tuple[str, ...], name: str) -> str:
    for path in (*paths, shutil.which(name) or ""):
        if path and Path(path).exists():
            return path
    pytest.fail(f"{name} is not installed: `apt-get install -y chromium chromium-driver`")


@pytest.fixture(scope="session")
def session(demo_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Session:
    with llm_stub_server() as llm:
        return run_session(tmp_path_factory.mktemp("workbench"), demo_path, llm)


@pytest.fixture(scope="session")
def base_url(session: Session) -> Iterator[str]:
    """The workbench served by waitress on a free localhost port, as `segq web` serves it."""
    from waitress import create_server

    from assistant.web import create_app
    from assistant.web.leftover import leftover_finder

    as_of = date(2026, 6, 30)
    app = create_app(session.log_path, models_dir=session.models, as_of=as_of,
                     leftover=leftover_finder(session.models, as_of))
    server: Any = create_server(app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _first(CHROMIUM, "chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1280,1000", "--no-first-run", "--disable-extensions"):
        options.add_argument(flag)
    # An explicit driver path: selenium then never tries to download one (there is no network).
    driver = webdriver.Chrome(service=Service(_first(DRIVER, "chromedriver")), options=options)
    try:
        yield driver
    finally:
        driver.quit()
