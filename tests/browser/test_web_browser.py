"""The workbench in a real browser: every page loads with the scripted session's data, the
filter form narrows the list, an answer shows its SQL and definition diff, and screenshots
show rendered, styled pages (no script, no outside asset: the machine has no internet)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib import image

from tests.workbench_session import BOB, Session

PAGES = {
    "/": "Overview",
    "/answers": "Answers",
    "/backlog": "Backlog",
    "/feedback": "Thumbs down",
    "/likely-wrong": "Likely-wrong answers",
    "/definitions": "Definitions",
    "/definitions/lifecycle_stage": "lifecycle_stage",
    "/evals": "Eval runs",
}
HEADER_BLUE = np.array([0x1F, 0x3B, 0x57]) / 255  # the header colour from style.css


def by_css(browser: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(browser.find_elements(By.CSS_SELECTOR, selector))


def click_through(browser: Any, element: Any) -> None:
    """Click a link or submit button and wait until the next page has replaced this one
    (reading the DOM before that finds the old page's elements gone stale)."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = by_css(browser, "html")[0]
    element.click()
    WebDriverWait(browser, 30).until(expected_conditions.staleness_of(page))


def log_ids(session: Session, where: str, *params: Any) -> set[str]:
    with sqlite3.connect(session.log_path) as conn:
        return {r[0] for r in conn.execute(
            f"SELECT id FROM answers WHERE source != 'eval' AND {where}", params)}


def listed_ids(browser: Any) -> set[str]:
    return {row.find_element("css selector", "td a").text
            for row in by_css(browser, "tr.answer-row")}


@pytest.mark.parametrize("path, heading", PAGES.items())
def test_every_page_loads_styled_with_the_sessions_data(browser, base_url, path: str,
                                                       heading: str, tmp_path: Path) -> None:
    browser.get(base_url + path)
    assert by_css(browser, "h1")[0].text.startswith(heading)
    assert "segq workbench" in browser.title
    header = by_css(browser, "header")[0]
    assert header.value_of_css_property("background-color") == "rgba(31, 59, 87, 1)"
    assert browser.execute_script("return document.scripts.length") == 0
    outside = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => !n.startsWith(location.origin))")
    assert outside == []
    shot = tmp_path / "page.png"
    assert browser.save_screenshot(str(shot))
    _assert_rendered(shot)


def test_overview_shows_questions_per_day(browser, base_url, session) -> None:
    browser.get(base_url + "/")
    days = by_css(browser, "#per-day tr")[1:]
    with sqlite3.connect(session.log_path) as conn:
        expected = conn.execute("SELECT count(DISTINCT substr(created_at, 1, 10)) FROM answers "
                                "WHERE source != 'eval'").fetchone()[0]
    assert len(days) == expected == 2
    assert by_css(browser, "#total b")[0].text == str(len(log_ids(session, "1")))


def test_the_filter_form_narrows_the_answer_list(browser, base_url, session) -> None:
    from selenium.webdriver.support.ui import Select

    browser.get(base_url + "/answers")
    assert listed_ids(browser) == log_ids(session, "1")
    Select(by_css(browser, "select[name=status]")[0]).select_by_visible_text("answered")
    Select(by_css(browser, "select[name=user]")[0]).select_by_visible_text(BOB)
    click_through(browser, by_css(browser, "form.filters button")[0])
    assert "status=answered" in browser.current_url
    narrowed = listed_ids(browser)
    assert narrowed == log_ids(session, "status = 'answered' AND user = ?", BOB)
    assert 0 < len(narrowed) < len(log_ids(session, "1"))
    by_css(browser, "input[name=text]")[0].send_keys("lifecycle")
    click_through(browser, by_css(browser, "form.filters button")[0])
    assert listed_ids(browser) == log_ids(
        session, "status = 'answered' AND user = ? AND question LIKE '%lifecycle%'", BOB)


def test_an_answer_page_shows_its_sql_and_the_definition_diff(browser, base_url, session,
                                                             tmp_path: Path) -> None:
    answer = session.ids["lifecycle_counts"]
    browser.get(base_url + "/answers")
    click_through(browser, browser.find_element("link text", answer))
    assert browser.current_url.endswith(f"/answers/{answer}")
    assert by_css(browser, "#question")[0].text == "how many users in each lifecycle stage?"
    sql = by_css(browser, "#sql")[0].text
    assert sql.startswith("WITH") and "lifecycle_stage" in sql and "LIMIT" in sql
    diff = by_css(browser, "#diff-engaged_users")[0]
    assert "changed since this answer" in diff.text
    removed = [e.text for e in diff.find_elements("css selector", "span.del")]
    added = [e.text for e in diff.find_elements("css selector", "span.add")]
    assert any(line.strip() == "-default: 3" or line.strip().endswith("default: 3")
               for line in removed)
    assert any(line.strip().endswith("default: 2") for line in added)
    shot = tmp_path / "answer.png"
    browser.save_screenshot(str(shot))
    _assert_rendered(shot)


def test_a_definition_page_shows_the_change_through_its_dependency(browser, base_url) -> None:
    browser.get(base_url + "/definitions")
    click_through(browser, browser.find_element("link text", "lifecycle_stage"))
    newest = by_css(browser, "#history .change")[0]
    assert "through dependency engaged_users" in newest.text
    assert "Dana Data" in newest.text
    assert "default of `min_logins_per_week` changed from 3 to 2" in newest.text


def test_the_eval_page_compares_two_runs(browser, base_url, session) -> None:
    from selenium.webdriver.support.ui import Select

    browser.get(base_url + "/evals")
    first, second = session.eval_runs
    Select(by_css(browser, "select[name=a]")[0]).select_by_visible_text(second)
    Select(by_css(browser, "select[name=b]")[0]).select_by_visible_text(first)
    click_through(browser, by_css(browser, "form.filters button")[0])
    # Read backwards, run 2 -> run 1: the weather case is fixed, engaged-count regresses.
    assert "engaged-count" in by_css(browser, "#regressions")[0].text
    assert "weather" in by_css(browser, "#fixes")[0].text


def _assert_rendered(png: Path) -> None:
    """A screenshot of a rendered page: full size, mostly light, with the styled header and
    enough ink for text (a blank or unstyled page fails)."""
    pixels = image.imread(str(png))[..., :3]
    height, width, _ = pixels.shape
    assert (width, height) == (1280, 1000) or width >= 1000
    top = pixels[: max(4, height // 60)]
    assert np.mean(np.all(np.abs(top - HEADER_BLUE) < 0.02, axis=-1)) > 0.5
    body = pixels[height // 20:]
    dark = np.mean(body.mean(axis=-1) < 0.5)
    assert 0.002 < dark < 0.5  # text is drawn, and the page is not a dark void
    assert len(np.unique((body * 255).astype(np.uint8).reshape(-1, 3), axis=0)) > 20
