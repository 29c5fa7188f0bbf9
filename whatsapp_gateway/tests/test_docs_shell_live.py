"""The shell commands of the docs run as written, in page order, against a live stack as `make run` starts it.

Every ```sh block of docs/ is run by bash in one shell per page (so an `export` carries on), from the
project's folder, with `make run`'s environment: its addresses become the live stack's (127.0.0.1:8000 and
:8001), and DATABASE_URL and DEMO_API_KEY are the stack's. A block right after `<!-- expect: N -->` must
answer HTTP N (the last status curl reports); after an answer that is a session, `SESSION` is its id, as the docs
tell the reader to export. A block that cannot run here says why, right before it:
`<!-- not run: starts the stack itself -->`; one without a reason fails this test.
"""

import json
import re
import subprocess
from pathlib import Path

import pytest
import requests
from django.conf import settings

# One stack for these tests, in one pytest-xdist process (conftest.LIVE_STACK_FILES).
pytestmark = pytest.mark.live

DOCS = Path(settings.BASE_DIR) / "docs"
BLOCK = re.compile(r"(?:^<!-- ([^>]*?) -->\s*\n)?^```sh\n(.*?)\n```", re.MULTILINE | re.DOTALL)
# In this order, the state of one page (KEY, TRANSPORT, SESSION) carried to the next, as a reader's shell.
# api.md's examples all run in process in test_docs_examples.py (their ids are those of earlier answers);
# here its pause, resume and cancel examples run too, on a session slow enough for them, as the page says.
PAGES_RUN_LIVE = ["quickstart.md", "rate-limits.md"]
SECTIONS_RUN_LIVE = [("api.md", "### Pause and resume", "## Errors the API answers")]
RUN_ELSEWHERE = {"jq": "test_docs_sql.py runs the log filters on sample lines"}
STATUS_MARK = "@@status="


class ShellBlock:
    def __init__(self, page: str, line: int, text: str, marker: str):
        self.page, self.line, self.text = page, line, text
        self.expect = int(marker.removeprefix("expect:")) if marker.startswith("expect:") else None
        self.not_run = marker.removeprefix("not run:").strip() if marker.startswith("not run:") else None
        self.not_run = self.not_run or RUN_ELSEWHERE.get(marker)

    def __repr__(self) -> str:
        return f"{self.page}:{self.line}"


def shell_blocks(page: str, start: str | None = None, end: str | None = None) -> list[ShellBlock]:
    text = (DOCS / page).read_text()
    first = text.index(start) if start else 0
    last = text.index(end, first) if end else len(text)
    return [
        ShellBlock(page, text[: m.start()].count("\n") + 1, m.group(2), (m.group(1) or "").strip())
        for m in BLOCK.finditer(text) if first <= m.start() < last
    ]


def test_every_shell_block_of_the_docs_runs_somewhere_or_says_why_not():
    unexplained = [
        block for page in sorted(p.name for p in DOCS.glob("*.md")) if page not in {*PAGES_RUN_LIVE, "api.md"}
        for block in shell_blocks(page) if not block.not_run
    ]
    assert unexplained == [], "a ```sh block neither run by a test nor marked <!-- not run: why -->"
    assert all(block.expect for block in shell_blocks("api.md")), "api.md: a block test_docs_examples does not run"


def _as_run_on(stack, text: str) -> str:
    return text.replace("127.0.0.1:8000", stack.web).replace("127.0.0.1:8001", stack.sim)


def _session_id(answer: str) -> str | None:
    try:
        body = json.loads(answer)
    except ValueError:
        return None
    return body.get("id") if isinstance(body, dict) and "stats" in body else None


def test_the_shell_blocks_run_as_written_on_the_live_stack_in_page_order(live_stack):
    # A fresh shell after `make run`: no DEBUG, no virtualenv; the stack's database and demo key stand in for
    # var/db.sqlite3 and var/demo_api_key.
    # The stack runs on other ports than make run's, so a command started beside it is told the simulator's
    # (quickstart.md says so for `make run SIM=…`).
    stack_env = {**live_stack.env(), "SIMULATOR_URL": live_stack.sim_url}
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(live_stack.folder), "LANG": "C.UTF-8"} | {
        name: stack_env[name]
        for name in (
            "DATABASE_URL", "DEMO_API_KEY", "CELERY_BROKER_URL", "BROKER_FOLDER", "CELERY_TASK_DEFAULT_QUEUE",
            "SIMULATOR_URL",
        )
        if name in stack_env
    }
    # curl as written; each status code also goes to stderr, so the expected one can be checked.
    prelude = f"curl() {{ command curl -w '%{{stderr}}{STATUS_MARK}%{{http_code}}\\n' \"$@\"; }}\n"
    state_file = live_stack.folder / "shell-state"
    state, ran = "", []
    for page, start, end in [*((page, None, None) for page in PAGES_RUN_LIVE), *SECTIONS_RUN_LIVE]:
        for block in shell_blocks(page, start, end):
            if block.not_run:
                continue
            script = prelude + state + _as_run_on(live_stack, block.text) + '\nexport -p > "$STATE"\n'
            done = subprocess.run(
                ["bash", "-e", "-o", "pipefail", "-c", script], cwd=settings.BASE_DIR,
                env={**env, "STATE": str(state_file)}, capture_output=True, text=True, timeout=120,
            )
            assert done.returncode == 0, f"{block}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
            statuses = re.findall(rf"^{STATUS_MARK}(\d+)$", done.stderr, re.MULTILINE)
            if block.expect:
                assert statuses and int(statuses[-1]) == block.expect, f"{block}: HTTP {statuses}\n{done.stdout}"
            state = "".join(
                line + "\n" for line in state_file.read_text().splitlines()
                if re.match(r"declare -x (KEY|TRANSPORT|SESSION|OTHER_KEY)=", line)
            )
            if session := _session_id(done.stdout):
                state += f"export SESSION={session}\n"
            ran.append(block)
    assert len(ran) >= 16, ran
    headers = {"Authorization": f"Api-Key {live_stack.api_key}"}
    last_session = re.search(r"SESSION=\"?([0-9a-f-]+)", state)[1]
    session = requests.get(f"{live_stack.web_url}/api/v1/sessions/{last_session}", headers=headers, timeout=10).json()
    assert session["status"] == "CANCELLED" and session["stats"]["cancelled"] > 0, session  # it was still sending
    # api.md put the demo transport back at its usual rate, as the tests after this one expect.
    transport = requests.get(f"{live_stack.web_url}/api/v1/transports/1", headers=headers, timeout=10).json()
    assert transport["config"]["rateLimit"] == 80
