"""Meta's messaging limit end to end: a real worker with beat, the simulator as Meta, the configured broker."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from broadcasts.models import Session
from broadcasts.testing import (
    numbers,
    send_via_api,
    sent_earlier,
    transport_for,
    transport_with_limit,
    wait_final,
    wait_until,
)
from transports.models import Transport
from whatsapp_gateway.testing import TEARDOWN_GRACE_SECONDS, WorkerProcess

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live(simulator, settings):
    host = simulator.base_url.split("://", 1)[1]
    settings.TRANSPORT_ALLOWED_HOSTS = [host]
    env = {"TRANSPORT_ALLOWED_HOSTS": host, "SCHEDULE_INTERVAL": "1", "SWEEPER_INTERVAL": "1",
           "SWEEPER_STALE_AFTER": "2"}
    worker = WorkerProcess(extra_env=env, beat=True).start()
    yield worker
    worker.stop(grace=TEARDOWN_GRACE_SECONDS)


def test_recipients_past_the_limit_wait_and_go_once_the_window_allows(api, simulator, live):
    transport = transport_with_limit(api, simulator, "TIER_250")
    earlier = sent_earlier(transport["id"], numbers(247))  # 3 places left
    recipients = numbers(10, start=245)  # 2 messaged an hour ago, 8 new
    body = send_via_api(api, transport, recipients)
    assert body["warnings"][0]["over_by"] == 5

    def shown() -> dict:
        return api.get(f"/api/v1/sessions/{body['id']}").json()

    wait_until(lambda: (shown()["waiting"] or {}).get("reason") == "messaging_limit", timeout=30,
               what="the session to wait for the messaging limit")
    time.sleep(3)  # beat and the sweeper run every second here: a few turns of each send nothing more
    assert len(simulator.messages()) == 5
    answer = shown()
    assert answer["status"] == "PENDING" and answer["stats"]["queued"] == 5

    # A day later: the earlier recipients left Meta's window and the session's time has come.
    earlier.broadcasts.update(sent_at=timezone.now() - timedelta(hours=25))
    Session.objects.filter(pk=body["id"]).update(waiting_until=timezone.now())

    done = wait_final(api, body["id"], timeout=60)
    assert done["status"] == "COMPLETED" and done["stats"]["sent"] == 10 and done["waiting"] is None
    assert sorted(m["to"].lstrip("+") for m in simulator.messages()) == sorted(r.lstrip("+") for r in recipients)


def test_sessions_sending_at_once_on_several_workers_never_pass_the_limit_together(api, simulator, settings):
    host = simulator.base_url.split("://", 1)[1]
    settings.TRANSPORT_ALLOWED_HOSTS = [host]
    # Small batches and four processes: many claims of the same portfolio race for its last places.
    worker = WorkerProcess(concurrency=4, extra_env={"TRANSPORT_ALLOWED_HOSTS": host, "BATCH_SIZE": "10"}).start()
    try:
        transport = transport_with_limit(api, simulator, "TIER_250")
        second = transport_for(api, simulator, phone_strictness="possible")  # another number of the same portfolio
        sent_earlier(transport["id"], numbers(50))  # 200 places left
        sessions = [send_via_api(api, transport, numbers(150, start=1000)),
                    send_via_api(api, second, numbers(150, start=2000))]

        def settled() -> bool:  # each session done or waiting for the limit, and at least one waiting
            shown = [api.get(f"/api/v1/sessions/{s['id']}").json() for s in sessions]
            waits = [(body["waiting"] or {}).get("reason") == "messaging_limit" for body in shown]
            return any(waits) and all(w or body["status"] == "COMPLETED" for w, body in zip(waits, shown, strict=True))

        wait_until(settled, timeout=60, what="the sessions to use up the limit and wait")
        time.sleep(2)  # nothing on the wire still to arrive
        sent = simulator.messages()
        unique = {m["to"].lstrip("+") for m in sent}
        tiers = list(Transport.objects.values_list("pk", "messaging_limit", "limits_read_at"))
        # Meta counts unique recipients: to the last place, and not one past it.
        assert (len(unique), len(sent)) == (200, 200), tiers
    finally:
        worker.stop(grace=TEARDOWN_GRACE_SECONDS)
