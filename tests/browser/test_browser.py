"""The pages in a real browser: the YASGUI editor runs a query, a resource page marks its
passages, the timeline lists events in order and draws them, /funding draws its charts, the
home page's question box answers and its answer's query opens in the editor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

    from tests.browser.conftest import Server

WAIT = 15  # seconds

AGENCIES = """PREFIX emk: <https://w3id.org/eu-migration-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?agency ?label WHERE { ?agency a emk:Agency ; rdfs:label ?label } ORDER BY ?label"""
COUNT = """PREFIX emk: <https://w3id.org/eu-migration-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT (COUNT(DISTINCT ?agency) AS ?agencies) WHERE { ?agency a emk:Agency ; rdfs:label ?label }"""


def test_editor_runs_a_query_and_shows_rows(browser: WebDriver, server: Server) -> None:
    browser.get(server.url + "/sparql")
    wait = WebDriverWait(browser, WAIT)
    wait.until(
        lambda driver: driver.execute_script("return !!(window.yasgui && window.yasgui.getTab())")
    )
    # every canned query has a tab of its own, after the starter tab
    tab_names = browser.execute_script(
        "return Object.values(window.yasgui._tabs).map(function (tab) { return tab.getName(); });"
    )
    assert "involving" in tab_names and "timeline" in tab_names
    browser.execute_script(
        "var tab = window.yasgui.getTab(); tab.setQuery(arguments[0]); tab.query();", AGENCIES
    )
    cell = wait.until(
        expected_conditions.presence_of_element_located(
            (
                By.XPATH,
                "//div[contains(@class,'yasr')]//table//tbody//tr[td[contains(., 'Frontex')]]",
            )
        )
    )
    assert "Frontex" in cell.text
    rows = browser.find_elements(By.CSS_SELECTOR, ".yasr table tbody tr")
    assert len(rows) > 5
    # the graph's own namespaces read as prefixed names, not as whole IRIs
    table = browser.find_element(By.CSS_SELECTOR, ".yasr table tbody").text
    assert "agency:frontex" in table
    assert "https://w3id.org/eu-migration-kg/id/agency/" not in table
    # a number is a plain value, without its datatype
    browser.execute_script(
        "var tab = window.yasgui.getTab(); tab.setQuery(arguments[0]); tab.query();", COUNT
    )
    # read in one script: YASR redraws its table, so element handles can go stale
    read = (
        "var cell = document.querySelector('.yasr table tbody tr td:last-child');"
        "return cell ? [cell.textContent.trim(), document.querySelector('.yasr table')"
        ".textContent] : null;"
    )
    wait.until(lambda driver: (driver.execute_script(read) or [""])[0].isdigit())
    value, whole = browser.execute_script(read)
    assert int(value) == len(rows)
    assert "xsd:integer" not in whole and "^^" not in whole


def test_resource_page_marks_its_passages(browser: WebDriver, server: Server) -> None:
    browser.get(server.url + "/id/agency/frontex")
    heading = browser.find_element(By.TAG_NAME, "h1")
    assert heading.text == "Frontex"
    # the passages come last, folded: open them
    folded = browser.find_element(By.CSS_SELECTOR, "details.passages")
    assert folded.get_attribute("open") is None
    folded.find_element(By.TAG_NAME, "summary").click()
    marks = browser.find_elements(By.CSS_SELECTOR, "li.passage blockquote mark")
    assert marks
    assert any("Frontex" in mark.text for mark in marks)
    quote = marks[0].find_element(By.XPATH, "./..")
    assert len(quote.text) > len(marks[0].text)  # the words sit within their context
    # a link to a related node leads to its page on this server
    browser.find_element(By.CSS_SELECTOR, 'a[href="/id/commitment/2"]').click()
    WebDriverWait(browser, WAIT).until(expected_conditions.url_contains("/id/commitment/2"))
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("2.")


def test_timeline_lists_the_dublin_contact_committee_in_order(
    browser: WebDriver, server: Server
) -> None:
    browser.get(server.url + "/timeline")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.timeline tbody tr")
    assert len(rows) > 20
    starts = [row.get_attribute("data-start") or "" for row in rows]
    assert starts == sorted(starts)
    dublin = [row for row in rows if "Dublin Contact Committee" in row.text]
    assert dublin
    assert dublin[0].find_element(By.CSS_SELECTOR, "td.dates").text.startswith("2023-03-16")


def test_timeline_draws_the_events_coloured_by_status(browser: WebDriver, server: Server) -> None:
    browser.get(server.url + "/timeline")
    wait = WebDriverWait(browser, WAIT)
    wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "#timeline .vis-item"))
    rows = browser.find_elements(By.CSS_SELECTOR, "table.timeline tbody tr")
    groups = browser.find_elements(By.CSS_SELECTOR, "#timeline .vis-label")
    assert len(groups) > 3  # one per commitment
    # read in one script: vis-timeline redraws its items, so element handles can go stale
    classes = browser.execute_script(
        "return Array.from(document.querySelectorAll('#timeline .vis-item'))"
        ".map(e => e.className).join(' ')"
    )
    assert "status-completed" in classes
    assert "vis-range" in classes  # a vague date drawn as its interval
    # grouped by country or region instead
    browser.find_element(By.CSS_SELECTOR, "input[name=group][value=place]").click()
    wait.until(
        lambda driver: any(
            "No country" in label.text
            for label in driver.find_elements(By.CSS_SELECTOR, "#timeline .vis-label")
        )
    )
    assert len(rows) > 20


def test_funding_draws_a_chart_whose_bars_open_pages(browser: WebDriver, server: Server) -> None:
    browser.get(server.url + "/funding")
    wait = WebDriverWait(browser, WAIT)
    wait.until(
        lambda driver: driver.execute_script("return !!(window.emkCharts && window.emkCharts.sum)")
    )
    bars = browser.execute_script("return window.emkCharts.sum.data.datasets[0].data.length")
    table = browser.find_elements(By.CSS_SELECTOR, "#table-sum tbody tr.whole")
    assert bars == len(table) > 3
    first = table[0].find_element(By.TAG_NAME, "a").get_attribute("href") or ""
    canvas = browser.find_element(By.ID, "chart-sum")
    point = browser.execute_script(
        "var bar = window.emkCharts.sum.getDatasetMeta(0).data[0]; return [bar.x, bar.y];"
    )
    from selenium.webdriver.common.action_chains import ActionChains

    width = canvas.size["width"]
    height = canvas.size["height"]
    ActionChains(browser).move_to_element_with_offset(
        canvas, int(point[0] - width / 2 - 5), int(point[1] - height / 2)
    ).click().perform()
    wait.until(expected_conditions.url_contains("/id/funding/"))
    assert browser.current_url == first


def test_the_question_box_answers_and_opens_its_query_in_the_editor(
    browser: WebDriver, server: Server
) -> None:
    browser.get(server.url + "/")
    box = browser.find_element(By.ID, "ask-q")
    box.send_keys("What involves Frontex in Serbien?")
    box.submit()
    wait = WebDriverWait(browser, WAIT)
    wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "table.answer")))
    assert "/ask" in browser.current_url
    assert "Frontex has started deploying its border guards in Serbia" in browser.page_source
    reading = browser.find_element(By.CSS_SELECTOR, "dl.reading").text
    assert "Serbia" in reading and "name@" in reading
    editor = browser.find_element(By.LINK_TEXT, "the query in the editor")
    editor.click()
    wait.until(
        lambda driver: driver.execute_script(
            "return !!(window.yasgui && window.yasgui.getTab()"
            " && window.yasgui.getTab().getName() === 'question')"
        )
    )
    query = browser.execute_script("return window.yasgui.getTab().getQuery();")
    assert "VALUES (?entity)" in query and "country/serbia" in query
