"""A `failed` status webhook is read with Meta's catalogue: a transient failure can be sent again."""

import pytest
from django.utils import timezone

from broadcasts.models import Broadcast, Session
from broadcasts.services.sessions import session_trigger
from broadcasts.services.webhooks.statuses import broadcast_statuses_apply
from transports.testing import make_transport


@pytest.fixture
def broadcast(app):
    transport = make_transport(app=app, whatsapp=True, secrets={"accessToken": "tok"})
    session = Session.objects.create(app=app, transport=transport, status=Session.Status.COMPLETED, total=1)
    return Broadcast.objects.create(session=session, address="15550100001", status="SENT", wamid="wamid.X", attempts=1)


def _failed(broadcast, code: int) -> Broadcast:
    item = {"id": broadcast.wamid, "status": "failed", "timestamp": "1732450000", "recipient_id": broadcast.address,
            "errors": [{"code": code, "title": f"Error {code}"}]}
    unmatched, _counts = broadcast_statuses_apply(app_id=broadcast.session.app_id, items=[item], now=timezone.now())
    assert unmatched == []
    broadcast.refresh_from_db()
    return broadcast


def test_a_failed_webhook_with_a_transient_code_is_transient_and_a_trigger_sends_it_again(broadcast):
    broadcast = _failed(broadcast, 131000)
    assert (broadcast.status, broadcast.error_code, broadcast.error_category) == ("FAILED", "131000", "TRANSIENT")
    assert session_trigger(session=broadcast.session) == 1
    broadcast.refresh_from_db()
    assert broadcast.status == "QUEUED"


def test_a_failed_webhook_with_an_undeliverable_code_is_permanent_and_stays_failed(broadcast):
    broadcast = _failed(broadcast, 131026)
    assert (broadcast.status, broadcast.error_category) == ("FAILED", "PERMANENT")
    assert session_trigger(session=broadcast.session) == 0


@pytest.mark.parametrize(("code", "category"), [(131056, "THROTTLED"), (131031, "AUTH"), (999999, "PERMANENT")])
def test_a_failed_webhook_takes_the_catalogues_category_and_permanent_for_an_unknown_code(broadcast, code, category):
    assert _failed(broadcast, code).error_category == category
