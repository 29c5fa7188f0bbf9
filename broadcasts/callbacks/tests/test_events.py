"""The outbox: events recorded in the transaction of each state change, in bulk, only for apps with callbacks."""

from datetime import UTC, datetime

import pytest
from django.db import transaction
from django.utils import timezone

from broadcasts.callbacks.models import CallbackDelivery, CallbackEvent
from broadcasts.callbacks.services.endpoints import callback_create
from broadcasts.callbacks.services.events import broadcast_events_record
from broadcasts.models import Broadcast, Session
from broadcasts.services import transitions
from broadcasts.services.sessions import session_cancel, session_pause
from broadcasts.services.transitions import SEND_OUTCOME, broadcast_move, broadcasts_sent_save
from broadcasts.services.webhooks.inbound import inbound_messages_record
from broadcasts.services.webhooks.statuses import broadcast_statuses_apply
from templates.models import Template
from templates.services import template_events_apply
from transports.services import transport_create
from transports.whatsapp.preset import whatsapp_cloud_config

T0 = 1732450000


@pytest.fixture
def transport(app):
    config = whatsapp_cloud_config(
        phone_number_id="100000000000001", business_account_id="200000000000001", base_url="http://127.0.0.1:8001"
    )
    return transport_create(app=app, name="wa", config=config, secrets={"accessToken": "tok"})


@pytest.fixture
def other_transport(other_app):
    config = whatsapp_cloud_config(
        phone_number_id="100000000000009", business_account_id="200000000000009", base_url="http://127.0.0.1:8001"
    )
    return transport_create(app=other_app, name="wa", config=config, secrets={"accessToken": "tok"})


def make(app, transport, n=2, status=Session.Status.PENDING) -> Session:
    session = Session.objects.create(app=app, transport=transport, status=status, total=n)
    Broadcast.objects.bulk_create(
        Broadcast(session=session, address=f"1555010{i:04d}", reference=f"order-{i}") for i in range(n)
    )
    return session


def send_all(session) -> list[Broadcast]:
    """Claim and record every broadcast of the session as sent, as dispatch does."""
    now = timezone.now()
    claimed = transitions.broadcasts_claim(session=session, ready=Broadcast.objects.filter(session=session), limit=500)
    for i, broadcast in enumerate(claimed):
        broadcast_move(broadcast, move=SEND_OUTCOME, to=Broadcast.Status.SENT)
        broadcast.wamid = f"wamid.{session.pk.hex[:6]}.{i}"
    with transaction.atomic():
        broadcasts_sent_save(claimed, now=now)
    return claimed


def meta_status(wamid, name, offset=0, **extra):
    return {"id": wamid, "status": name, "timestamp": str(T0 + offset), "recipient_id": "15550100000", **extra}


def types(**filters) -> list[str]:
    rows = CallbackEvent.objects.filter(**filters).order_by("created_at", "sequence")
    return list(rows.values_list("type", flat=True))


@pytest.fixture
def endpoint(app, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = [*settings.TRANSPORT_ALLOWED_HOSTS, "receiver.test"]
    return callback_create(app=app, url="http://receiver.test/events")[0]


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    from broadcasts.services import queueing

    woken: list[int] = []
    monkeypatch.setattr(
        queueing, "enqueue_callback_delivery", lambda callback_id, countdown=0.0: woken.append(callback_id)
    )
    return woken


def test_nothing_is_recorded_for_an_app_without_an_active_callback(app, transport, django_assert_num_queries):
    session = make(app, transport, n=50)
    claimed = send_all(session)
    transitions.session_finish_if_done(session_id=session.pk)
    assert CallbackEvent.objects.count() == 0
    moved = [(b.pk, b.session_id, ["DELIVERED"]) for b in claimed]
    with django_assert_num_queries(1):  # the one check per batch: sending without callbacks costs no more
        broadcast_events_record(moved=moved)


def test_a_sent_batch_is_one_insert_of_events_whatever_its_size(app, transport, endpoint, django_assert_num_queries):
    small, large = make(app, transport, n=3), make(app, transport, n=90)  # 90: one chunk on SQLite too
    for session in (small, large):
        claimed = transitions.broadcasts_claim(
            session=session, ready=Broadcast.objects.filter(session=session), limit=500
        )
        for broadcast in claimed:
            broadcast_move(broadcast, move=SEND_OUTCOME, to=Broadcast.Status.SENT)
        with django_assert_num_queries(7):  # update, wamids, callbacks, broadcasts, sequences, events, deliveries
            broadcasts_sent_save(claimed, now=timezone.now())
    assert CallbackEvent.objects.filter(type="broadcast.sent").count() == 93
    assert CallbackDelivery.objects.filter(callback=endpoint).count() == 93


def test_a_session_tells_every_step_of_every_broadcast_in_sequence(app, transport, endpoint, no_broker):
    session = make(app, transport, n=2, status=Session.Status.NEW)
    transitions.session_start(session=session)
    first, second = send_all(session)
    now = timezone.now()
    broadcast_statuses_apply(app_id=app.pk, now=now, items=[
        meta_status(first.wamid, "delivered", 1), meta_status(first.wamid, "read", 2),
        meta_status(second.wamid, "failed", 1, errors=[{"code": 131026, "title": "Message undeliverable"}]),
        meta_status(first.wamid, "delivered", 3),  # a replay: nothing new
    ])
    assert transitions.session_finish_if_done(session_id=session.pk)
    assert types(broadcast=first) == ["broadcast.sent", "broadcast.delivered", "broadcast.read"]
    assert list(CallbackEvent.objects.filter(broadcast=first).order_by("sequence").values_list("sequence", flat=True)) \
        == [1, 2, 3]
    failure = CallbackEvent.objects.get(broadcast=second, type="broadcast.failed")
    assert failure.data["error"] == {"code": "131026", "title": "Message undeliverable", "category": "PERMANENT"}
    assert (failure.address, failure.reference, failure.sequence) == ("15550100001", "order-1", 2)
    assert types(session=session, broadcast=None) == ["session.started", "session.completed"]
    completed = CallbackEvent.objects.get(type="session.completed")
    assert completed.data["stats"]["read"] == 1 and completed.sequence == 2
    assert CallbackDelivery.objects.filter(callback=endpoint).count() == CallbackEvent.objects.count() == 7


def test_an_event_is_rolled_back_with_its_state_change(app, transport, endpoint):
    session = make(app, transport, n=1)
    claimed = transitions.broadcasts_claim(session=session, ready=Broadcast.objects.filter(session=session), limit=5)
    broadcast_move(claimed[0], move=SEND_OUTCOME, to=Broadcast.Status.SENT)
    with pytest.raises(RuntimeError), transaction.atomic():
        broadcasts_sent_save(claimed, now=timezone.now())
        raise RuntimeError("the batch's transaction fails after the write")
    assert Broadcast.objects.get().status == Broadcast.Status.SENDING
    assert CallbackEvent.objects.count() == 0


def test_statuses_applied_again_after_a_lost_commit_tell_the_same_event_ids(app, transport, endpoint):
    # A webhook event's processing commits without waiting for the disk: lost, it is processed again,
    # and a receiver that already got its events dedupes them by id.
    session = make(app, transport, n=2, status=Session.Status.NEW)
    transitions.session_start(session=session)
    sent = send_all(session)
    items = [meta_status(b.wamid, name, offset) for b in sent for offset, name in ((1, "delivered"), (2, "read"))]

    def apply_and_lose() -> list[tuple]:
        with pytest.raises(RuntimeError), transaction.atomic():
            broadcast_statuses_apply(app_id=app.pk, now=timezone.now(), items=items)
            told = list(CallbackEvent.objects.filter(broadcast__in=sent, sequence__gt=1)
                        .order_by("broadcast", "sequence").values_list("id", "type", "sequence"))
            raise RuntimeError("the commit is lost")
        return told

    first, again = apply_and_lose(), apply_and_lose()
    assert len(first) == 4 and first == again
    sessions_event = CallbackEvent.objects.get(type="session.started")
    other = make(app, transport, n=1, status=Session.Status.NEW)
    transitions.session_start(session=other)
    assert CallbackEvent.objects.get(type="session.started", session=other).pk != sessions_event.pk


def test_pause_and_cancel_are_told(app, transport, endpoint):
    session = make(app, transport, n=1)
    session_pause(session=session)
    Session.objects.filter(pk=session.pk).update(status=Session.Status.PENDING)  # resumed, as set-up
    session_cancel(session=Session.objects.get(pk=session.pk))
    assert types(session=session) == ["session.paused", "session.cancelled"]
    assert CallbackEvent.objects.get(type="session.paused").data["pause_reason"] == "operator"


def test_events_follow_only_the_endpoints_event_list(app, transport, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = [*settings.TRANSPORT_ALLOWED_HOSTS, "receiver.test"]
    only_failures = callback_create(app=app, url="http://receiver.test/f", events=["broadcast.failed"])[0]
    send_all(make(app, transport, n=2))
    assert CallbackEvent.objects.count() == 0 and not only_failures.deliveries.exists()


def test_an_inactive_endpoint_gets_nothing(app, transport, endpoint):
    endpoint.is_active = False
    endpoint.save()
    send_all(make(app, transport, n=2))
    assert CallbackEvent.objects.count() == 0


def test_another_apps_endpoint_never_receives_this_apps_events(app, transport, other_app, other_transport, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = [*settings.TRANSPORT_ALLOWED_HOSTS, "receiver.test"]
    charlies = callback_create(app=other_app, url="http://receiver.test/charlie")[0]
    alices = callback_create(app=app, url="http://receiver.test/alice")[0]
    send_all(make(app, transport, n=3))
    send_all(make(other_app, other_transport, n=1))
    assert set(CallbackDelivery.objects.filter(callback=charlies).values_list("event__app_id", flat=True)) == {
        other_app.pk
    }
    assert CallbackDelivery.objects.filter(callback=alices).count() == 3
    assert CallbackDelivery.objects.filter(callback=charlies).count() == 1


def test_a_reply_is_linked_to_the_broadcast_it_answers_and_recorded_once(app, transport, endpoint, other_app):
    charlies = callback_create(app=other_app, url="http://receiver.test/charlie")[0]
    session = make(app, transport, n=1)
    [sent] = send_all(session)
    message = {"from": "15550100000", "id": "wamid.IN1", "timestamp": str(T0), "type": "text",
               "text": {"body": "Yes, deliver it"}, "context": {"from": "15550001111", "id": sent.wamid}}
    for _ in range(2):  # Meta delivers the same message again
        with transaction.atomic():
            inbound_messages_record(transport=transport, items=[("100000000000001", message, {})],
                                    now=datetime.now(tz=UTC))
    event = CallbackEvent.objects.get(type="inbound.message")
    assert (event.broadcast_id, event.session_id, event.reference, event.sequence) == (
        sent.pk, session.pk, "order-0", 2
    )
    assert event.data["text"] == "Yes, deliver it" and event.data["context_id"] == sent.wamid
    assert not charlies.deliveries.exists()  # another app's endpoint hears nothing of it


def test_a_template_status_change_is_told(app, transport, endpoint, other_app):
    charlies = callback_create(app=other_app, url="http://receiver.test/charlie")[0]
    template = Template.objects.create(
        app=app, transport=transport, meta_id="777", name="order_update", language="en_US", category="UTILITY",
        status=Template.Status.APPROVED,
    )
    with transaction.atomic():
        template_events_apply(transport=transport, quality_events=[], status_events=[
            {"event": "PAUSED", "message_template_id": 777, "message_template_name": "order_update",
             "message_template_language": "en_US", "reason": "LOW_QUALITY"},
        ])
    event = CallbackEvent.objects.get(type="template.status_changed")
    assert event.data["status"] == "PAUSED" and event.data["previous_status"] == "APPROVED"
    assert event.data["template"] == {"id": template.pk, "name": "order_update", "language": "en_US",
                                      "transport": transport.pk}
    assert not charlies.deliveries.exists()


def test_erasing_a_recipient_deletes_its_callback_events_and_their_pending_deliveries(
    app, transport, endpoint, other_app, other_transport, settings
):
    from broadcasts.services.privacy import recipient_erase

    charlies = callback_create(app=other_app, url="http://receiver.test/charlie")[0]
    send_all(make(app, transport, n=2))
    send_all(make(other_app, other_transport, n=1))  # Charlie's own 15550100000
    erasure = recipient_erase(app=app, address="+15550100000")
    assert erasure.counts["callback_events"] == 1
    assert list(CallbackEvent.objects.filter(app=app).values_list("address", flat=True)) == ["15550100001"]
    assert CallbackDelivery.objects.filter(callback=endpoint).count() == 1
    assert CallbackDelivery.objects.filter(callback=charlies).count() == 1  # another app's: untouched


def test_a_sync_that_finds_a_status_changed_or_a_template_gone_tells_each(app, transport, endpoint):
    from templates.services import _store_synced

    kept = Template.objects.create(app=app, transport=transport, meta_id="1", name="a", language="en_US",
                                   category="UTILITY", status=Template.Status.PENDING)
    gone = Template.objects.create(app=app, transport=transport, meta_id="2", name="b", language="en_US",
                                   category="UTILITY", status=Template.Status.APPROVED)
    _store_synced(transport=transport, remote=[
        {"id": "1", "name": "a", "language": "en_US", "category": "UTILITY", "status": "APPROVED", "components": []},
    ])
    changes = {e.data["template"]["id"]: (e.data["previous_status"], e.data["status"])
               for e in CallbackEvent.objects.filter(type="template.status_changed")}
    assert changes == {kept.pk: ("PENDING", "APPROVED"), gone.pk: ("APPROVED", "DELETED")}


def test_every_move_to_paused_or_a_finished_status_has_its_session_event():
    from broadcasts.callbacks.services.events import SESSION_EVENT_TYPES
    from broadcasts.services.transitions import SESSION_MOVES

    announced = {"PAUSED", "COMPLETED", "FAILED", "CANCELLED"}
    missing = [(move.name, to) for move in SESSION_MOVES for to in move.targets
               if to in announced and (move.name, to) not in SESSION_EVENT_TYPES]
    assert missing == []
