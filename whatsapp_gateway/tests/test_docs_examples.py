"""Every API example the docs show really runs, with the status code the docs promise.

An example is a fenced block right after a marker line:

    <!-- expect: 202 -->                          before a ```sh block holding one curl call
    <!-- expect: POST /api/v1/sessions 202 -->    before a ```json block that is the request body

A ```json block after `<!-- response -->` is the answer shown for the example before it; its
top-level keys must all be in the real answer. `$KEY`, `$OTHER_KEY`, `$TRANSPORT`, `$SESSION`,
`$BROADCAST` and `$SEND_AT` (an hour ahead) stand for the caller's API key, another app's key, the transport, the last
session created and one of its broadcasts. Examples run in page order against a WhatsApp
transport pointed at the Meta simulator.
"""

import json
import re
import shlex
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

DOCS = Path(settings.BASE_DIR) / "docs"
PAGES = [
    "quickstart.md", "api.md", "formatting.md", "phone-numbers.md", "templates.md", "troubleshooting.md", "opt-outs.md",
]
MARKER = re.compile(r"^<!-- (expect: ([^>]+?)|response) -->\s*\n```(\w+)\n(.*?)\n```", re.MULTILINE | re.DOTALL)


class Example:
    def __init__(self, page: str, line: int, method: str, path: str, status: int, body, headers: dict):
        self.page, self.line, self.method, self.path, self.status = page, line, method, path, status
        self.body, self.headers, self.response = body, headers, None

    def __repr__(self) -> str:
        return f"{self.page}:{self.line} {self.method} {self.path} → {self.status}"


def _curl(text: str) -> tuple[str, str, dict, str | None]:
    """(method, path, headers, body) of one `curl` command with an optional <<JSON heredoc."""
    command, _, rest = text.partition("<<JSON")
    body = rest.split("\n", 1)[1].rsplit("\nJSON", 1)[0] if rest else None
    if body is not None:
        body = body.replace("\\$", "\0")  # an unquoted heredoc: \$ is a literal dollar, not a variable

    words = shlex.split(command.replace("\\\n", " "), posix=True)
    words = [w for w in words if w not in ("-s", "-i", "-sS", "--fail-with-body")]
    method, url, headers = None, None, {}
    it = iter(words[1:])
    for word in it:
        if word == "-X":
            method = next(it)
        elif word == "-H":
            name, _, value = next(it).partition(":")
            headers[name.strip()] = value.strip()
        elif word in ("-d", "--data", "--json"):
            next(it)
        elif word.startswith("http"):
            url = word
    assert words[0] == "curl" and url, text
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    return method or ("POST" if body is not None else "GET"), path, headers, body


def examples() -> list[Example]:
    found = []
    for page in PAGES:
        text = (DOCS / page).read_text()
        for match in MARKER.finditer(text):
            marker, expect, lang, block = match.groups()
            line = text[: match.start()].count("\n") + 1
            if marker == "response":
                assert found and found[-1].page == page, f"{page}:{line}: a response with no example before it"
                found[-1].response = json.loads(block)
                continue
            parts = expect.split()
            if lang == "sh":
                method, path, headers, body = _curl(block)
                found.append(Example(page, line, method, path, int(parts[-1]), body, headers))
            else:
                assert lang == "json" and len(parts) == 3, f"{page}:{line}: want METHOD PATH STATUS before json"
                found.append(Example(page, line, parts[0], parts[1], int(parts[2]), block, {}))
    return found


def test_the_docs_have_examples_on_every_page_that_promises_them():
    pages = {example.page for example in examples()}
    assert {"quickstart.md", "api.md", "formatting.md"} <= pages
    statuses = {example.status for example in examples()}
    assert {200, 201, 202, 400, 401, 404, 409} <= statuses


@pytest.mark.django_db
def test_every_documented_example_answers_the_documented_status(
    simulator, sim_transport, app_and_key, other_app_and_key
):
    key, other_key = app_and_key[1], other_app_and_key[1]
    send_at = (timezone.now() + timedelta(hours=1)).replace(microsecond=0).isoformat()  # a scheduled send's time
    variables = {"KEY": key, "OTHER_KEY": other_key, "TRANSPORT": str(sim_transport["id"]), "SEND_AT": send_at}
    client = APIClient()
    failures = []
    for example in examples():
        def fill(text: str) -> str:
            text = text.replace("http://127.0.0.1:8001", simulator.base_url)  # make run's simulator → this test's
            return re.sub(
                r"\$(?:\{([A-Z_]+)\}|([A-Z_]+))",
                lambda m: variables.get(m.group(1) or m.group(2), m.group(0)), text,
            )

        headers = {name: fill(value) for name, value in example.headers.items()}
        path = fill(example.path)
        body = fill(example.body).replace("\0", "$") if example.body is not None else None
        if "Authorization" in headers:
            client.credentials(HTTP_AUTHORIZATION=headers.pop("Authorization"))
        elif example.body is not None and not example.headers:
            client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")  # a bare JSON example: the caller's key
        else:
            client.credentials()
        extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()
                 if name.lower() != "content-type"}
        if body is not None:
            json.loads(body)  # the shown body is valid JSON once the variables are filled in
        response = client.generic(example.method, path, body or "", content_type="application/json", **extra)
        if response.status_code != example.status:
            failures.append(f"{example}: got {response.status_code} {response.content[:300]!r}")
            continue
        if response.streaming:  # an export: a CSV file, not JSON
            assert response["Content-Type"].startswith("text/csv"), example
            continue
        answer = response.json() if response.content else None
        if example.response is not None:
            missing = set(example.response) - set(answer or {})
            if missing:
                failures.append(f"{example}: documented answer keys {sorted(missing)} not in {sorted(answer)}")
        if isinstance(answer, dict):
            if example.method == "POST" and path.rstrip("/").endswith("/sessions") and "id" in answer:
                variables["SESSION"] = str(answer["id"])
                broadcasts = client.get(f"/api/v1/sessions/{answer['id']}/broadcasts").json()
                if broadcasts.get("results"):
                    variables["BROADCAST"] = str(broadcasts["results"][0]["id"])
            if example.method == "POST" and path.rstrip("/").endswith("/transports") and "id" in answer:
                variables["NEW_TRANSPORT"] = str(answer["id"])
    assert not failures, "\n".join(failures)
