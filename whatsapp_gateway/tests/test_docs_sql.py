"""Every SQL query and `jq` log filter the docs show really runs and answers what the docs promise.

A query is a ```sql block right after a `<!-- sql -->` line; a filter is a ```sh block right after
a `<!-- jq -->` line, run by bash in a folder holding `gateway.log` with `$SESSION` set. Both run
on what the gateway itself wrote: a session sent through the Meta simulator to one recipient Meta
accepts and one it refuses (131026), a `failed` status webhook (131049), a webhook for a wamid
nobody sent, a badly signed webhook, a stopped transport, a session nobody moved for 20 minutes
and one just created. Each block is checked by the heading it sits under (EXPECTATIONS): a new
query or filter needs its expected answer written there.
"""

import hashlib
import hmac
import json
import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string

from broadcasts.models import Broadcast, Session
from broadcasts.services.dispatch import dispatch_batch, transport_stop_sending
from broadcasts.services.webhooks.events import webhook_events_process_pending
from transports.models import Transport
from whatsapp_gateway.testing import whatsapp_transport_via_api

DOCS = Path(settings.BASE_DIR) / "docs"
BLOCK = re.compile(r"^<!-- (sql|jq) -->\n```(\w+)\n(.*?)\n```", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^#{2,4} (.+)$", re.MULTILINE)
JQ = shutil.which("jq")
HELLO = {"meta": {"templateName": "hello_world", "language": "en_US"}}
ACCEPTED, REFUSED, STUCK, FRESH = "+12025550101", "+12025550199", "+12025550102", "+12025550103"
STOP_REASON = "Meta refused the credentials: code 190 - Error validating access token: Session has expired"
ECOSYSTEM = "This message was not delivered to maintain healthy ecosystem engagement."
SIZED_TABLES = {"broadcasts_session", "broadcasts_broadcast", "broadcasts_broadcastlog", "broadcasts_webhookevent"}
SESSION_MESSAGES = {
    "sending batch",
    "attempt sent",
    "attempt failed",
    "giving up",
    "batch recorded",
    "session finished",
}
ACCESS_LOG_LINE = '127.0.0.1 - - [25/Nov/2026:10:00:00 +0000] "GET /healthz HTTP/1.1" 200 64 "-" "kube-probe/1.31"'


@dataclass(frozen=True)
class Block:
    kind: str
    page: str
    line: int
    heading: str
    text: str

    def __repr__(self) -> str:
        return f"{self.page}:{self.line} ({self.heading})"


def blocks(kind: str) -> list[Block]:
    found = []
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text()
        for match in BLOCK.finditer(text):
            marker, lang, body = match.groups()
            line = text[: match.start()].count("\n") + 1
            assert lang == {"sql": "sql", "jq": "sh"}[marker], f"{page.name}:{line}: <!-- {marker} --> before {lang}"
            if marker == kind:
                headings = HEADING.findall(text, 0, match.start())
                found.append(Block(kind, page.name, line, headings[-1].strip() if headings else "", body))
    return found


# --- What the gateway did, and the log lines it wrote meanwhile ------------------------------------------


@dataclass
class Activity:
    transport_id: int = 0
    stopped_transport_id: int = 0
    session_id: str = ""
    stuck_session_id: str = ""
    fresh_session_id: str = ""
    log_lines: list[str] = field(default_factory=list)


class _JsonLines(logging.Handler):
    """Formats records exactly as LOG_FORMAT=json does (the formatter of settings.LOGGING)."""

    def __init__(self):
        super().__init__(logging.INFO)
        spec = dict(settings.LOGGING["formatters"]["json"])
        factory = import_string(spec.pop("()"))
        self.setFormatter(factory(spec.pop("format"), **spec))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def _session_create(api, transport_id: int, recipient: str) -> str:
    response = api.post(
        "/api/v1/sessions", {"transport": transport_id, "message": HELLO, "recipients": [recipient]}, format="json"
    )
    assert response.status_code == 202, response.content
    return response.json()["id"]


def _webhook(client, transport_id: int, status: dict, *, secret: bytes = b"demo-app-secret") -> int:
    value = {"metadata": {"phone_number_id": "100000000000001"}, "statuses": [status]}
    change = {"field": "messages", "value": value}
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}).encode()
    signature = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    return client.post(
        f"/webhooks/whatsapp/{transport_id}",
        data=body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature,
    ).status_code


@pytest.fixture
def activity(client, api, simulator, sim_transport) -> Activity:
    done = Activity(transport_id=sim_transport["id"])
    handler, root = _JsonLines(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        # One session, driven here as a worker would: one recipient accepted, one refused with 131026.
        simulator.configure(recipient_errors={REFUSED: 131026})
        response = api.post(
            "/api/v1/sessions",
            {"transport": done.transport_id, "message": HELLO, "recipients": [ACCEPTED, REFUSED]},
            format="json",
        )
        assert response.status_code == 202, response.content
        done.session_id = response.json()["id"]
        for _ in range(20):
            if dispatch_batch(session_id=done.session_id).countdown is None:
                break
        assert Session.objects.get(pk=done.session_id).status == Session.Status.COMPLETED

        # Meta then reports the accepted message failed (131049); a status for a wamid never sent waits.
        wamid = Broadcast.objects.get(session_id=done.session_id, status=Broadcast.Status.SENT).wamid
        error = {"code": 131049, "title": ECOSYSTEM}
        failed = {"id": wamid, "status": "failed", "timestamp": "1700000000", "recipient_id": "12025550101"}
        failed["errors"] = [error]
        assert _webhook(client, done.transport_id, failed) == 200
        unknown = {"id": "wamid.NEVER-SENT", "status": "delivered", "timestamp": "1700000001"}
        assert _webhook(client, done.transport_id, unknown) == 200
        assert _webhook(client, done.transport_id, unknown, secret=b"not-the-app-secret") == 403
        webhook_events_process_pending()

        # A running session nobody moved for 20 minutes, and one created just now.
        done.stuck_session_id = _session_create(api, done.transport_id, STUCK)
        long_ago = timezone.now() - timedelta(minutes=20)
        Session.objects.filter(pk=done.stuck_session_id).update(status=Session.Status.PENDING, updated_at=long_ago)
        Broadcast.objects.filter(session_id=done.stuck_session_id).update(updated_at=long_ago)
        done.fresh_session_id = _session_create(api, done.transport_id, FRESH)

        # Another transport whose token Meta refused.
        other = whatsapp_transport_via_api(api, base_url=simulator.base_url, phone_strictness="possible")
        done.stopped_transport_id = other["id"]
        transport_stop_sending(transport=Transport.objects.get(pk=other["id"]), reason=STOP_REASON)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    done.log_lines = handler.lines
    return done


# --- What each block must answer ------------------------------------------------------------------------


def _mine(rows: list[dict], activity: Activity) -> list[dict]:
    """The rows of the transport the session was sent through."""
    return [row for row in rows if row["transport_id"] == activity.transport_id]


def _failures_by_code(rows, activity):
    mine = {row["meta_code"]: row for row in _mine(rows, activity)}
    assert set(mine) == {"131026", "131049"}, rows  # the accepted attempt is not a failure
    assert (mine["131026"]["failed_attempts"], mine["131026"]["failed_statuses"]) == (1, 0)
    assert (mine["131049"]["failed_attempts"], mine["131049"]["failed_statuses"]) == (0, 1)
    assert "healthy ecosystem" in mine["131049"]["title"]


def _stuck_sessions(rows, activity):
    assert [str(row["session"]) for row in rows] == [activity.stuck_session_id], rows
    row = rows[0]
    assert (row["status"], row["total"], row["unsent"], row["is_active"]) == ("PENDING", 1, 1, True)
    assert row["stopped_at"] is None and row["next_retry"] is None
    assert row["last_progress"] < timezone.now() - timedelta(minutes=15)


def _throughput(rows, activity):
    mine = _mine(rows, activity)
    assert mine, rows
    assert sum(row["sent"] for row in mine) == 1
    assert sum(row["failed"] for row in mine) == 1
    assert all(row["minute"].second == 0 and row["minute"].microsecond == 0 for row in mine)


def _webhook_events(rows, activity):
    mine = {row["state"]: row["events"] for row in _mine(rows, activity)}
    assert mine == {"PROCESSED": 1, "PENDING": 1}, rows  # the badly signed one was never stored


def _table_sizes(rows, activity):
    tables = {row["table_name"]: row for row in rows}
    assert SIZED_TABLES <= set(tables), rows
    assert all(row["total_bytes"] > 0 for row in rows)


def _jq_failures_by_code(output: str, activity):
    answer = json.loads(output)
    assert answer == [{"meta_code": "131026", "category": "PERMANENT", "failures": 1}], answer


def _jq_one_session(output: str, activity):
    lines = [json.loads(line) for line in output.splitlines()]
    assert {line["session"] for line in lines} == {activity.session_id}
    assert SESSION_MESSAGES <= {line["message"] for line in lines}


def _jq_transport_stopped(output: str, activity):
    lines = [json.loads(line) for line in output.splitlines()]
    assert len(lines) == 1, output
    assert lines[0]["transport"] == activity.stopped_transport_id
    assert lines[0]["reason"] == STOP_REASON and lines[0]["sessions_stopped"] == 0
    assert set(lines[0]) == {"time", "transport", "transport_name", "app", "reason", "sessions_stopped"}


def _jq_webhooks_refused(output: str, activity):
    lines = [json.loads(line) for line in output.splitlines()]
    assert [(line["transport"], line["reason"]) for line in lines] == [
        (activity.transport_id, "signature missing or wrong")
    ]


EXPECTATIONS = {
    ("sql", "monitoring.md", "Failures by Meta code in the last hour"): _failures_by_code,
    ("sql", "monitoring.md", "Stuck sessions"): _stuck_sessions,
    ("sql", "monitoring.md", "Throughput per transport per minute"): _throughput,
    ("sql", "monitoring.md", "Webhook events by state"): _webhook_events,
    ("sql", "deployment.md", "Table sizes"): _table_sizes,
    ("jq", "monitoring.md", "Failures by Meta code"): _jq_failures_by_code,
    ("jq", "monitoring.md", "One session's lines"): _jq_one_session,
    ("jq", "monitoring.md", "A transport stopped"): _jq_transport_stopped,
    ("jq", "monitoring.md", "Webhooks refused"): _jq_webhooks_refused,
}


def _expectation(block: Block):
    check = EXPECTATIONS.get((block.kind, block.page, block.heading))
    assert check is not None, f"{block!r}: no expected answer in EXPECTATIONS for this {block.kind} block"
    return check


# --- Tests ------------------------------------------------------------------------------------------------


def test_the_docs_show_queries_and_filters_and_every_one_is_checked():
    sql, jq = blocks("sql"), blocks("jq")
    assert len(sql) >= 5 and len(jq) >= 4
    assert {(b.kind, b.page, b.heading) for b in sql + jq} == set(EXPECTATIONS)
    for page in DOCS.glob("*.md"):
        text = page.read_text()
        assert text.count("```sql\n") == len([b for b in sql if b.page == page.name]), f"{page.name}: unmarked sql"
        assert text.count("```sh\njq ") == len([b for b in jq if b.page == page.name]), f"{page.name}: unmarked jq"


@pytest.mark.needs(
    "PostgreSQL (DATABASE_URL=postgres://…): the documented queries are PostgreSQL's",
    available=connection.vendor == "postgresql",
)
@pytest.mark.django_db
def test_every_documented_query_runs_and_answers_what_the_docs_say(activity):
    sql = blocks("sql")
    assert sql, "no <!-- sql --> block in docs/"
    for block in sql:
        with connection.cursor() as cursor:
            cursor.execute(block.text)
            columns = [column[0] for column in cursor.description]
            rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        _expectation(block)(rows, activity)


@pytest.mark.needs("jq (apt-get install jq)", available=JQ is not None)
@pytest.mark.django_db
def test_every_documented_log_filter_finds_what_the_docs_say(activity, tmp_path):
    assert any('"message": "attempt failed"' in line for line in activity.log_lines)
    (tmp_path / "gateway.log").write_text("\n".join([ACCESS_LOG_LINE, *activity.log_lines]) + "\n")
    env = {"PATH": os.environ.get("PATH", ""), "SESSION": activity.session_id}
    jq = blocks("jq")
    assert jq, "no <!-- jq --> block in docs/"
    for block in jq:
        result = subprocess.run(  # the docs' own command, on a log file of ours
            ["bash", "-c", block.text], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 0, f"{block!r}: {result.stderr}"
        _expectation(block)(result.stdout, activity)
