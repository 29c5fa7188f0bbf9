"""ReDoc, as a reader sees it in a browser: every operation has a title, a description and real examples.

Headless Chromium (playwright-python driving the system's chromium, as the dashboard's browser test does) opens the
live gateway's /api/redoc/ and reads every operation of /api/schema/ as ReDoc renders it.
"""

import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# What ReDoc writes when the schema gives no example: its samples generated from the types alone.
GENERIC_SAMPLE_VALUES = ('"string"', "2019-08-24", "497f6eca-6276-4993-bfeb-53cbbbba6f08", "user@example.com",
                         "http://example.com")

pytestmark = [
    pytest.mark.needs("chromium (apt-get install chromium)", available=CHROMIUM is not None),
    pytest.mark.django_db(transaction=True),
]


def operations(client) -> list[dict]:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    return [
        {"id": operation["operationId"], "summary": operation.get("summary", ""), "method": method, "path": path}
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def read_operation(page, operation_id: str) -> dict:
    """What ReDoc shows of one operation: its title, its description and the text of each response sample."""
    section = page.locator(f'[data-section-id="operation/{operation_id}"]').first
    section.scroll_into_view_if_needed()
    samples = {}
    tabs = section.locator("h3:text-is('Response samples') + div [role=tab]")
    for index in range(tabs.count()):
        tab = tabs.nth(index)
        tab.click()
        panel = section.locator("h3:text-is('Response samples') + div [role=tabpanel]").first
        samples[tab.inner_text().strip()] = panel.text_content()
    return {
        "title": section.locator("h2").first.inner_text().strip(),
        "description": section.locator("h2 + div").first.inner_text().strip(),
        "samples": samples,
    }


def test_redoc_shows_a_summary_a_description_and_real_response_samples_for_every_operation(live_server, client):
    from playwright.sync_api import sync_playwright

    documented = operations(client)
    assert len(documented) >= 23
    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{live_server.url}/api/redoc/")
            page.wait_for_selector("[data-section-id^='operation/']", timeout=60_000)
            for operation in documented:
                shown = read_operation(page, operation["id"])
                name = f"{operation['method'].upper()} {operation['path']}"
                if not operation["summary"] or shown["title"] != operation["summary"]:
                    problems.append(f"{name}: titled {shown['title']!r}, not by a summary")
                if shown["title"] == operation["id"]:
                    problems.append(f"{name}: titled by its operation id")
                if len(shown["description"]) < 20 or "Views whose querysets" in shown["description"]:
                    problems.append(f"{name}: no description of its own ({shown['description'][:60]!r})")
                if not shown["samples"]:
                    problems.append(f"{name}: no response sample")
                for status, sample in shown["samples"].items():
                    generic = [value for value in GENERIC_SAMPLE_VALUES if value in sample]
                    if generic:
                        problems.append(f"{name}: the {status} sample is generic ({', '.join(generic)})")
        finally:
            browser.close()
    assert problems == [], "\n".join(problems)
