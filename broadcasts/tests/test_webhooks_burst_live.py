"""A burst of 1,000 signed Meta webhooks over real HTTP, processed by a real worker: every one answered, none lost."""

import json
import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from broadcasts.models import Broadcast, BroadcastLog, Session, WebhookEvent
from broadcasts.selectors import session_stats
from broadcasts.testing import APP_SECRET, T0, VERIFY_TOKEN, sign, status, statuses
from transports.testing import make_transport

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

RECIPIENTS = 250  # x 4 deliveries each (sent, delivered, read, and read again in a new envelope) = 1,000


def _bodies() -> list[bytes]:
    bodies = []
    for i in range(RECIPIENTS):
        wamid = f"wamid.BURST{i}"
        bodies += [json.dumps(statuses(status(wamid, name, offset))).encode()
                   for offset, name in enumerate(["sent", "delivered", "read"])]
        # Meta's retry of the read event: the same status, in an envelope of its own.
        replay = statuses(status(wamid, "read", 2))
        replay["entry"][0]["time"] = T0 + 60
        bodies.append(json.dumps(replay).encode())
    random.Random(7).shuffle(bodies)  # out of order, as Meta delivers them
    return bodies


def test_a_burst_of_1000_webhooks_is_answered_and_applied_without_loss(app, live_server, worker):
    transport = make_transport(
        app=app, whatsapp=True, secrets={"appSecret": APP_SECRET, "verifyToken": VERIFY_TOKEN, "accessToken": "tok"}
    )
    session = Session.objects.create(app=app, transport=transport, status=Session.Status.COMPLETED, total=RECIPIENTS)
    Broadcast.objects.bulk_create(
        Broadcast(session=session, address=f"1555{i:07d}", status="SENDING", wamid=f"wamid.BURST{i}")
        for i in range(RECIPIENTS)
    )
    url = f"{live_server.url}/webhooks/whatsapp/{transport.pk}"
    bodies = _bodies()
    assert len(bodies) == len(set(bodies)) == 1000

    def deliver(body: bytes) -> tuple[int, float]:
        started = time.monotonic()
        response = requests.post(
            url, data=body, timeout=90,  # a busy two-core machine: SQLite serializes the writes
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)},
        )
        return response.status_code, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(deliver, bodies))

    assert [code for code, _ in answers] == [200] * 1000
    # Answered without doing the work: storing and enqueueing only.
    assert statistics.median(seconds for _, seconds in answers) < 1.0
    assert WebhookEvent.objects.filter(transport=transport).count() == 1000

    deadline = time.monotonic() + 120
    while WebhookEvent.objects.exclude(state="PROCESSED").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert WebhookEvent.objects.filter(state="PROCESSED").count() == 1000

    assert Broadcast.objects.filter(session=session, status="READ").count() == RECIPIENTS
    assert not Broadcast.objects.filter(session=session, read_at=None).exists()
    assert not Broadcast.objects.filter(session=session, delivered_at=None).exists()
    assert not Broadcast.objects.filter(session=session, sent_at=None).exists()
    # One log per (broadcast, status): the replays changed nothing.
    assert BroadcastLog.objects.filter(session=session, kind="STATUS").count() == 3 * RECIPIENTS
    assert session_stats(session=session)["read"] == RECIPIENTS
