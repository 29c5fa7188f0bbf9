"""The generated reference pages: what docs/hooks/generate.py writes at build time is complete and true."""

import importlib.util
import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from transports.config_schema import CONFIG_SCHEMA, config_errors
from transports.errors import ErrorCategory
from transports.whatsapp.catalogue import CATALOGUE

ROOT = Path(settings.BASE_DIR)
DOCS = ROOT / "docs"


def _hook():
    spec = importlib.util.spec_from_file_location("docs_generate", DOCS / "hooks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = _hook()


def test_it_documents_every_variable_of_env_example_with_its_default():
    documented = {v["name"]: v for v in generate.env_variables()}
    in_file = set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert set(documented) == in_file
    assert documented["BATCH_SIZE"]["default"] == "100"
    assert documented["SECRET_KEY"]["default"] == ""
    assert documented["RETRY_BACKOFF_MAX"]["meaning"].startswith("Retry backoff")  # shares the comment above
    assert all(v["meaning"] for v in documented.values())
    table = generate.render_env_variables()
    assert all(f"| `{name}` |" in table for name in in_file)


def test_it_lists_every_field_of_the_config_schema():
    fields = {row["field"] for row in generate.config_fields(CONFIG_SCHEMA)}
    assert set(CONFIG_SCHEMA["properties"]) <= fields
    assert {"request.url", "timeouts.read", "response.messageIdPath"} <= fields
    assert json.loads(generate.render_config_schema().strip("`json\n")) == CONFIG_SCHEMA


def test_it_lists_every_catalogue_code_with_a_category_action_and_advice():
    table = generate.render_error_catalogue()
    for code, entry in CATALOGUE.items():
        assert re.search(rf"^\| `{code}` \| .*\| \[{entry.category}\]", table, re.MULTILINE), code
    assert set(ErrorCategory.values) == set(generate.CATEGORY_ACTIONS) == set(generate.CATEGORY_ADVICE)
    assert set(generate.CODE_ADVICE) <= set(CATALOGUE)


def test_it_refuses_advice_for_a_code_the_catalogue_no_longer_has(monkeypatch):
    monkeypatch.setitem(generate.CODE_ADVICE, 999999, "stale")
    with pytest.raises(ValueError, match="999999"):
        generate.render_error_catalogue()


def test_it_fails_the_build_on_an_unknown_generated_block():
    with pytest.raises(ValueError, match="no-such-block"):
        generate.expand("<!-- generate: no-such-block -->\n")


def test_the_phone_table_is_what_the_gateway_does():
    table = generate.render_phone_examples()
    assert "| `(415) 555-0123` | US | `14155550123` | `14155550123` |" in table
    assert "| `+15550100001` | US | ✗ not a valid phone number for region US | `15550100001` |" in table


def test_every_page_asking_for_a_generated_block_names_a_known_one():
    for page in DOCS.glob("*.md"):
        for name in generate.MARKER.findall(page.read_text()):
            assert name in generate.GENERATORS, f"{page.name}: {name}"


def test_the_configuration_page_examples_are_valid_configs():
    text = (DOCS / "configuration.md").read_text()
    section = text.split("### Minimal example", 1)[1].split("### Placeholders", 1)[0]
    blocks = re.findall(r"```json\n(.*?)\n```", section, re.DOTALL)
    assert len(blocks) == 2
    for block in blocks:
        assert config_errors(json.loads(block), secrets={"accessToken": ""}) == []


def test_every_page_is_in_the_nav_and_every_nav_page_exists():
    nav_pages = set(re.findall(r":\s+([\w-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), re.MULTILINE))
    pages = {p.name for p in DOCS.glob("*.md")}
    assert pages <= nav_pages
    missing = nav_pages - pages
    assert not missing, f"in the nav but not in docs/: {missing}"


def test_the_admin_guide_shows_only_screenshots_that_exist():
    images = re.findall(r"\]\((img/[\w-]+\.png)\)", (DOCS / "admin-guide.md").read_text())
    assert len(images) >= 10
    for image in images:
        assert (DOCS / image).is_file(), f"{image}: run make screenshots"
