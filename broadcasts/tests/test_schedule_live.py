"""Scheduling end to end: a real worker with beat, the simulator as Meta, the configured broker and database.

The first send's arrival is measured at the simulator (its own clock, on this machine), so the
bound is on what Meta would see, not on when a task happened to run.
"""

import time
from datetime import UTC, datetime, timedelta

import pytest

from broadcasts.testing import numbers, wait_final, wait_until
from whatsapp_gateway.testing import TEARDOWN_GRACE_SECONDS, WorkerProcess, whatsapp_transport_via_api

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

HELLO = {"meta": {"templateName": "hello_world", "language": "en_US"}}
# The due check runs every SCHEDULE_INTERVAL (1 s here, 5 s by default): a session starts within that of its
# time, plus one check's and one batch's work. The bound leaves room for a loaded CI machine.
SCHEDULE_INTERVAL = 1.0
START_BOUND_S = SCHEDULE_INTERVAL + 4.0


@pytest.fixture
def live(simulator, settings):
    host = simulator.base_url.split("://", 1)[1]
    settings.TRANSPORT_ALLOWED_HOSTS = [host]
    env = {"TRANSPORT_ALLOWED_HOSTS": host, "SCHEDULE_INTERVAL": str(SCHEDULE_INTERVAL), "SWEEPER_INTERVAL": "1",
           "SWEEPER_STALE_AFTER": "2"}
    worker = WorkerProcess(extra_env=env, beat=True).start()
    worker.env_overrides = env
    yield worker
    worker.stop(grace=TEARDOWN_GRACE_SECONDS)


def _post(api, transport, **extra) -> dict:
    response = api.post(
        "/api/v1/sessions",
        {"transport": transport["id"], "message": HELLO, "recipients": numbers(5), **extra},
        format="json",
    )
    assert response.status_code == 202, response.content
    return response.json()


def _first_arrival(simulator, timeout: float) -> float:
    wait_until(lambda: simulator.messages(), timeout=timeout, what="the first send to reach the simulator")
    return min(m["received_at"] for m in simulator.messages())


def test_a_scheduled_session_starts_on_time_after_its_worker_was_killed_and_replaced(api, simulator, live):
    transport = whatsapp_transport_via_api(api, base_url=simulator.base_url)
    send_at = datetime.now(UTC) + timedelta(seconds=25)  # time for a new worker to start on a loaded machine
    session = _post(api, transport, send_at=send_at.isoformat())
    assert session["status"] == "SCHEDULED"

    # Every process that knew of the session goes: the worker and its beat, SIGKILLed. A new one starts.
    live.kill()
    replacement = WorkerProcess(extra_env=live.env_overrides, beat=True, queue=live.queue).start()
    try:
        ready_at = time.time()
        assert ready_at < send_at.timestamp() - 2, "the replacement worker started too late to measure anything"
        assert api.get(f"/api/v1/sessions/{session['id']}").json()["status"] == "SCHEDULED"

        first = _first_arrival(simulator, timeout=send_at.timestamp() - time.time() + 30)
        done = wait_final(api, session["id"])
    finally:
        replacement.stop(delete_queue=False, grace=TEARDOWN_GRACE_SECONDS)

    late = first - send_at.timestamp()
    assert late >= 0, f"the first message left {-late:.2f} s before send_at"
    assert late <= START_BOUND_S, f"the first message left {late:.2f} s after send_at"
    assert done["status"] == "COMPLETED" and done["stats"]["sent"] == 5, done
    assert datetime.fromisoformat(done["started_at"]) >= send_at


def test_a_session_created_outside_its_window_waits_and_sends_when_it_opens(api, simulator, live):
    transport = whatsapp_transport_via_api(api, base_url=simulator.base_url)
    now = datetime.now(UTC)
    opens = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    if opens - now < timedelta(seconds=15):
        opens += timedelta(minutes=1)  # time to look at it waiting
    window = {"start": opens.strftime("%H:%M"), "end": (opens + timedelta(minutes=30)).strftime("%H:%M"),
              "time_zone": "UTC"}
    session = _post(api, transport, send_window=window)

    wait_until(
        lambda: (api.get(f"/api/v1/sessions/{session['id']}").json()["waiting"] or {}).get("reason")
        == "outside_send_window",
        timeout=10, what="the session to wait for its window",
    )
    body = api.get(f"/api/v1/sessions/{session['id']}").json()
    assert body["status"] == "NEW" and datetime.fromisoformat(body["waiting"]["until"]) == opens
    assert body["stats"]["queued"] == 5 and simulator.messages() == []

    first = _first_arrival(simulator, timeout=opens.timestamp() - time.time() + 30)
    late = first - opens.timestamp()
    assert 0 <= late <= START_BOUND_S, f"the first message left {late:+.2f} s from the window's opening"
    done = wait_final(api, session["id"])
    assert done["status"] == "COMPLETED" and done["waiting"] is None
