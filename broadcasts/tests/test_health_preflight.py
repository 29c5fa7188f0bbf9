"""Meta's health status before sending: BLOCKED holds the session with Meta's reason, LIMITED only warns."""

import pytest
from django.core.cache import cache

from broadcasts.models import Broadcast, Session
from broadcasts.services.dispatch import dispatch_batch
from broadcasts.services.sessions import session_resume
from broadcasts.testing import make_session
from templates.models import Template
from templates.services import templates_sync
from transports.models import Transport

PHONE_ID = "100000000000001"
PAYMENT = {"error_code": 141006, "error_description": "There is an error with the payment method.",
           "possible_solution": "Add a new payment method to the account."}


@pytest.fixture(autouse=True)
def fresh_health():
    cache.clear()  # health answers are cached per process
    yield
    cache.clear()


@pytest.fixture
def transport(sim_transport):
    transport = Transport.objects.get(pk=sim_transport["id"])
    templates_sync(transport=transport)
    return transport


def test_a_blocked_number_holds_the_session_with_metas_reason_and_sends_nothing(app, transport, simulator):
    simulator.configure(health={PHONE_ID: {"can_send_message": "BLOCKED", "errors": [PAYMENT]}})
    session = make_session(app, transport.pk, [("QUEUED", "", 0)] * 3)

    dispatch_batch(session_id=session.pk)

    session.refresh_from_db()
    assert (session.status, session.pause_reason) == ("PAUSED", "health")
    assert "BLOCKED" in session.error and "141006" in session.error and "payment method" in session.error
    assert set(Broadcast.objects.filter(session=session).values_list("status", flat=True)) == {"QUEUED"}
    assert simulator.messages() == []


def test_a_blocked_template_holds_too(app, transport, simulator):
    template_id = Template.objects.get(transport=transport, name="hello_world", language="en_US").meta_id
    simulator.configure(health={template_id: {"can_send_message": "BLOCKED"}})
    session = make_session(app, transport.pk, [("QUEUED", "", 0)])
    dispatch_batch(session_id=session.pk)
    assert Session.objects.get(pk=session.pk).pause_reason == "health"
    assert simulator.messages() == []


def test_limited_warns_and_sends(app, transport, simulator, caplog):
    simulator.configure(health={PHONE_ID: {"can_send_message": "LIMITED"}})
    session = make_session(app, transport.pk, [("QUEUED", "", 0)] * 2)

    dispatch_batch(session_id=session.pk)

    assert len(simulator.messages()) == 2
    assert "Meta's health status is LIMITED" in caplog.text


def test_once_meta_lets_it_send_a_resumed_session_sends(app, transport, simulator, settings,
                                                         django_capture_on_commit_callbacks):
    simulator.configure(health={PHONE_ID: {"can_send_message": "BLOCKED"}})
    session = make_session(app, transport.pk, [("QUEUED", "", 0)])
    dispatch_batch(session_id=session.pk)
    assert Session.objects.get(pk=session.pk).status == "PAUSED"

    simulator.configure(health={})
    cache.clear()  # the cached answer has run out (HEALTH_CHECK_SECONDS)
    with django_capture_on_commit_callbacks(execute=False):
        session_resume(session=session)
    dispatch_batch(session_id=session.pk)

    assert len(simulator.messages()) == 1
    assert Session.objects.get(pk=session.pk).status in ("PENDING", "COMPLETED")


def test_health_is_asked_once_per_interval_not_per_batch(app, transport, simulator):
    first = make_session(app, transport.pk, [("QUEUED", "", 0)])
    second = make_session(app, transport.pk, [("QUEUED", "", 0)])
    dispatch_batch(session_id=first.pk)
    simulator.configure(health={PHONE_ID: {"can_send_message": "BLOCKED"}})  # within the interval: not seen yet
    dispatch_batch(session_id=second.pk)
    assert len(simulator.messages()) == 2


def test_turned_off_it_never_asks(app, transport, simulator, settings):
    settings.HEALTH_CHECK_SECONDS = 0
    simulator.configure(health={PHONE_ID: {"can_send_message": "BLOCKED"}})
    session = make_session(app, transport.pk, [("QUEUED", "", 0)])
    dispatch_batch(session_id=session.pk)
    assert len(simulator.messages()) == 1
