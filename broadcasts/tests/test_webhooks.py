"""Meta's webhooks: handshake, signature, storage, and idempotent, order-independent processing."""

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from broadcasts.models import Broadcast, BroadcastLog, InboundMessage, Session, WebhookEvent
from broadcasts.services.webhooks.events import webhook_event_process, webhook_events_process_pending
from broadcasts.services.webhooks.inbound import inbound_window_open
from broadcasts.testing import APP_SECRET, T0, VERIFY_TOKEN, envelope, sign, status, statuses
from templates.models import Template
from transports.services import transport_create
from transports.testing import make_transport, wa_config


def at(offset: int) -> datetime:
    return datetime.fromtimestamp(T0 + offset, tz=UTC)


@pytest.fixture
def transport(app):
    return make_transport(
        app=app, whatsapp=True, secrets={"appSecret": APP_SECRET, "verifyToken": VERIFY_TOKEN, "accessToken": "tok"}
    )


@pytest.fixture
def other_transport(other_app):
    """Charlie's transport: its own app secret and verify token."""
    return make_transport(
        app=other_app, whatsapp=True, phone_number_id="100000000000009",
        secrets={"appSecret": "charlies-secret", "verifyToken": "charlies-vt", "accessToken": "tok"},
    )


@pytest.fixture
def session(app, transport):
    return Session.objects.create(app=app, transport=transport, status=Session.Status.PENDING, total=1)


@pytest.fixture
def broadcast(session):
    return Broadcast.objects.create(session=session, address="15550100001", status="SENT", wamid="wamid.X")


@pytest.fixture
def enqueued(monkeypatch):
    """Replace the Celery enqueue with inline processing; the list holds the event ids enqueued."""
    from broadcasts import tasks

    calls: list[int] = []

    def process_inline(event_id):
        calls.append(event_id)
        webhook_event_process(event_id=event_id)

    monkeypatch.setattr(tasks.process_webhook_events, "delay", process_inline)
    return calls


@pytest.fixture
def oncommit(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def stored(transport, payload: dict) -> WebhookEvent:
    """An event as the view stores it, without going through HTTP."""
    digest = hashlib.sha256(json.dumps(payload).encode()).hexdigest()
    return WebhookEvent.objects.create(transport=transport, body_sha256=digest, payload=payload)


def failed(wamid: str, offset: int = 0) -> dict:
    return status(wamid, "failed", offset, errors=[{
        "code": 131026, "title": "Message undeliverable", "message": "Message undeliverable",
        "error_data": {"details": "Receiver is incapable of receiving this message"},
    }])


def post(client, transport, payload, *, signature: str | None = "sign", secret: str = APP_SECRET):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {}
    if signature == "sign":
        headers["HTTP_X_HUB_SIGNATURE_256"] = sign(body, secret)
    elif signature is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    return client.post(f"/webhooks/whatsapp/{transport.pk}", data=body, content_type="application/json", **headers)


def deliver(client, transport, payload, capture) -> None:
    """POST a signed payload and run what was enqueued on commit, as a worker would."""
    with capture(execute=True):
        response = post(client, transport, payload)
    assert response.status_code == 200, response.content


def status_logs(broadcast) -> list[str]:
    return list(broadcast.logs.filter(kind=BroadcastLog.Kind.STATUS).order_by("id").values_list("status", flat=True))


# --- Handshake -------------------------------------------------------------------------------------


def test_it_answers_the_handshake_with_the_challenge_as_plain_text(client, transport):
    response = client.get(
        f"/webhooks/whatsapp/{transport.pk}",
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
    )
    assert response.status_code == 200
    assert response.content == b"1158201444"
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("mode", "token"),
    [("subscribe", "wrong"), ("unsubscribe", VERIFY_TOKEN), (None, VERIFY_TOKEN), ("subscribe", None),
     ("subscribe", "charlies-vt")],
)
def test_it_refuses_the_handshake_without_this_transports_token(client, transport, other_transport, mode, token):
    query = {"hub.challenge": "42"}
    if mode is not None:
        query["hub.mode"] = mode
    if token is not None:
        query["hub.verify_token"] = token
    response = client.get(f"/webhooks/whatsapp/{transport.pk}", query)
    assert response.status_code == 403
    assert b"42" not in response.content


def test_it_refuses_the_handshake_for_an_unknown_transport(client, transport):
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"}
    assert client.get(f"/webhooks/whatsapp/{transport.pk + 1000}", query).status_code == 403


def test_it_resolves_a_verify_token_kept_in_the_environment(client, app, monkeypatch, settings):
    monkeypatch.setenv("WA_VERIFY_TOKEN_FOR_TEST", "from-env")
    settings.TRANSPORT_SECRET_ENV_NAMES = ["WA_VERIFY_TOKEN_FOR_TEST"]
    transport = transport_create(
        app=app, name="env", config=wa_config("100000000000002"), operator=True,
        secrets={"appSecret": APP_SECRET, "verifyToken": "env:WA_VERIFY_TOKEN_FOR_TEST", "accessToken": "tok"},
    )
    query = {"hub.mode": "subscribe", "hub.verify_token": "from-env", "hub.challenge": "7"}
    assert client.get(f"/webhooks/whatsapp/{transport.pk}", query).content == b"7"


# --- Receiving -------------------------------------------------------------------------------------


def _signatures(body: bytes) -> dict[str, str | None]:
    return {
        "missing": None,
        "wrong secret": sign(body, "not-the-secret"),
        "another app's secret": sign(body, "charlies-secret"),
        "body changed by one byte": sign(body[:-1] + b" "),
        "sha1 prefix": "sha1=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha1).hexdigest(),
        "bare hex": hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest(),
        "over re-serialised JSON": sign(json.dumps(json.loads(body), indent=1).encode()),
        "empty": "",
    }


@pytest.mark.parametrize("case", list(_signatures(b"{}")))
def test_it_refuses_an_event_without_a_valid_signature_and_stores_nothing(
    client, transport, other_transport, broadcast, enqueued, oncommit, case
):
    body = json.dumps(statuses(status("wamid.X", "read"))).encode()
    with oncommit(execute=True) as callbacks:
        response = post(client, transport, body, signature=_signatures(body)[case])
    assert response.status_code == 403
    assert WebhookEvent.objects.count() == 0
    assert callbacks == [] and enqueued == []
    broadcast.refresh_from_db()
    assert broadcast.status == "SENT"


def test_it_refuses_a_signed_body_that_is_not_json_and_stores_nothing(client, transport):
    response = post(client, transport, b"{not json")
    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 0


def test_it_refuses_a_signed_json_body_that_is_not_an_object(client, transport):
    assert post(client, transport, b"[1, 2]").status_code == 400
    assert WebhookEvent.objects.count() == 0


def test_it_refuses_a_body_over_the_limit_before_checking_anything(client, transport, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 100
    response = post(client, transport, statuses(*[status(f"wamid.{i}", "sent") for i in range(10)]))
    assert response.status_code == 413
    assert WebhookEvent.objects.count() == 0


def test_it_refuses_other_methods(client, transport):
    assert client.put(f"/webhooks/whatsapp/{transport.pk}").status_code == 405


def test_it_stores_the_raw_event_and_enqueues_it_only_after_commit(
    client, transport, enqueued, oncommit
):
    payload = statuses(status("wamid.unknown", "sent"))
    with oncommit(execute=False) as callbacks:
        response = post(client, transport, payload)
        assert enqueued == []  # nothing enqueued before the commit
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.payload == payload and event.transport == transport and event.state == "PENDING"
    assert len(callbacks) == 1
    callbacks[0]()
    assert enqueued == [event.pk]


def test_it_stores_a_redelivered_body_once(client, transport, broadcast, enqueued, oncommit):
    payload = statuses(status("wamid.X", "delivered"))
    deliver(client, transport, payload, oncommit)
    deliver(client, transport, payload, oncommit)
    assert WebhookEvent.objects.count() == 1
    assert len(enqueued) == 1


def test_it_answers_200_even_when_the_broker_is_down(client, transport, monkeypatch, oncommit):
    from broadcasts import tasks

    def broker_down(event_id):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.process_webhook_events, "delay", broker_down)
    with oncommit(execute=True):
        response = post(client, transport, statuses(status("wamid.X", "sent")))
    assert response.status_code == 200
    assert WebhookEvent.objects.get().state == "PENDING"  # the periodic pass will take it


# --- Statuses --------------------------------------------------------------------------------------


def test_sent_delivered_read_update_the_broadcast_and_log_each_status(
    client, transport, broadcast, enqueued, oncommit
):
    for offset, name in enumerate(["sent", "delivered", "read"]):
        deliver(client, transport, statuses(status("wamid.X", name, offset)), oncommit)
    broadcast.refresh_from_db()
    assert broadcast.status == "READ"
    assert (broadcast.sent_at, broadcast.delivered_at, broadcast.read_at) == (at(0), at(1), at(2))
    assert status_logs(broadcast) == ["SENT", "DELIVERED", "READ"]
    log = broadcast.logs.get(status="READ")
    assert log.event_at == at(2) and log.session_id == broadcast.session_id
    assert set(WebhookEvent.objects.values_list("state", flat=True)) == {"PROCESSED"}


def test_a_status_for_an_id_the_provider_gave_twice_updates_both_messages(
    client, transport, session, broadcast, enqueued, oncommit
):
    twin = Broadcast.objects.create(session=session, address="15550100002", status="SENT", wamid="wamid.X")
    deliver(client, transport, statuses(status("wamid.X", "delivered", 1)), oncommit)
    assert [b.status for b in Broadcast.objects.filter(pk__in=[broadcast.pk, twin.pk])] == ["DELIVERED"] * 2
    assert status_logs(twin) == ["DELIVERED"]


def test_the_same_status_event_twice_changes_nothing(client, transport, broadcast, enqueued, oncommit):
    deliver(client, transport, statuses(status("wamid.X", "delivered", 5)), oncommit)
    broadcast.refresh_from_db()
    before = (broadcast.status, broadcast.delivered_at, broadcast.updated_at)
    # Meta's retry of the same event, inside a different envelope (so not deduplicated by body).
    replay = statuses(status("wamid.X", "delivered", 5))
    replay["entry"][0]["time"] = T0 + 60
    deliver(client, transport, replay, oncommit)
    broadcast.refresh_from_db()
    assert (broadcast.status, broadcast.delivered_at, broadcast.updated_at) == before
    assert status_logs(broadcast) == ["DELIVERED"]
    assert WebhookEvent.objects.filter(state="PROCESSED").count() == 2


def test_a_late_sent_never_undoes_read_but_fills_sent_at(
    client, transport, broadcast, enqueued, oncommit
):
    deliver(client, transport, statuses(status("wamid.X", "read", 9)), oncommit)
    deliver(client, transport, statuses(status("wamid.X", "sent", 1)), oncommit)
    deliver(client, transport, statuses(status("wamid.X", "delivered", 4)), oncommit)
    broadcast.refresh_from_db()
    assert broadcast.status == "READ"
    assert (broadcast.sent_at, broadcast.delivered_at, broadcast.read_at) == (at(1), at(4), at(9))
    assert status_logs(broadcast) == ["READ", "SENT", "DELIVERED"]


def test_all_orders_of_one_batch_end_in_the_same_state(transport, session):
    """Shuffled and replayed deliveries converge: the outcome depends on the set of events only."""
    import itertools

    from broadcasts.services.webhooks.statuses import broadcast_statuses_apply

    events = [status("wamid.P", "sent", 0), status("wamid.P", "delivered", 1), status("wamid.P", "read", 2)]
    for order in itertools.permutations(events):
        Broadcast.objects.filter(wamid="wamid.P").delete()
        broadcast = Broadcast.objects.create(session=session, address="15550100002", status="SENDING", wamid="wamid.P")
        for item in [*order, *order]:
            broadcast_statuses_apply(app_id=transport.app_id, items=[item], now=timezone.now())
        broadcast.refresh_from_db()
        assert (broadcast.status, broadcast.sent_at, broadcast.delivered_at, broadcast.read_at) == (
            "READ", at(0), at(1), at(2)
        ), order
        assert sorted(status_logs(broadcast)) == ["DELIVERED", "READ", "SENT"]


def test_failed_records_metas_error_code_and_title(client, transport, broadcast, enqueued, oncommit):
    deliver(client, transport, statuses(failed("wamid.X", 3)), oncommit)
    broadcast.refresh_from_db()
    assert broadcast.status == "FAILED"
    assert (broadcast.error_code, broadcast.error_title) == ("131026", "Message undeliverable")
    assert broadcast.failed_at == at(3)
    log = broadcast.logs.get(kind="STATUS")
    assert (log.status, log.error_code, log.error_title) == ("FAILED", "131026", "Message undeliverable")
    assert "incapable" in log.message


def test_a_late_sent_does_not_undo_failed(client, transport, broadcast, enqueued, oncommit):
    deliver(client, transport, statuses(failed("wamid.X", 3)), oncommit)
    deliver(client, transport, statuses(status("wamid.X", "sent", 1)), oncommit)
    broadcast.refresh_from_db()
    assert broadcast.status == "FAILED" and broadcast.sent_at == at(1)


def test_a_delivery_receipt_outranks_a_failure_in_either_order(
    client, transport, broadcast, enqueued, oncommit
):
    deliver(client, transport, statuses(status("wamid.X", "delivered", 2)), oncommit)
    deliver(client, transport, statuses(failed("wamid.X", 3)), oncommit)
    broadcast.refresh_from_db()
    assert broadcast.status == "DELIVERED"
    assert broadcast.failed_at is None and broadcast.error_code == ""
    assert status_logs(broadcast) == ["DELIVERED", "FAILED"]  # the contradiction stays visible in the history


def test_statuses_meta_has_no_broadcast_state_for_are_ignored(
    client, transport, broadcast, enqueued, oncommit
):
    deliver(client, transport, statuses(status("wamid.X", "played")), oncommit)
    broadcast.refresh_from_db()
    assert broadcast.status == "SENT" and status_logs(broadcast) == []
    event = WebhookEvent.objects.get()
    assert event.state == "PROCESSED" and event.summary["statuses_ignored"] == 1


def test_session_stats_count_delivered_and_read(client, transport, session, enqueued, oncommit):
    from broadcasts.selectors import session_stats

    for i in range(3):
        Broadcast.objects.create(session=session, address=f"1555010000{i}", status="SENT", wamid=f"wamid.{i}")
    payload = statuses(status("wamid.0", "delivered"), status("wamid.1", "read"), status("wamid.2", "sent"))
    deliver(client, transport, payload, oncommit)
    stats = session_stats(session=session)
    assert (stats["sent"], stats["delivered"], stats["read"]) == (1, 1, 1)


# --- Unknown wamids --------------------------------------------------------------------------------


def _make_due(event: WebhookEvent) -> None:
    WebhookEvent.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_a_status_that_beats_the_sender_is_retried_then_matched(
    client, transport, session, enqueued, oncommit
):
    deliver(client, transport, statuses(status("wamid.LATE", "delivered", 2)), oncommit)
    event = WebhookEvent.objects.get()
    assert (event.state, event.attempts, len(event.unmatched)) == ("PENDING", 1, 1)
    assert event.next_attempt_at > timezone.now()
    assert webhook_event_process(event_id=event.pk) is None  # not due yet: nothing happens

    # The sender stores the wamid Meta returned; the retry now finds the broadcast.
    broadcast = Broadcast.objects.create(session=session, address="15550100001", status="SENT", wamid="wamid.LATE")
    _make_due(event)
    assert webhook_event_process(event_id=event.pk) is None
    event.refresh_from_db()
    broadcast.refresh_from_db()
    assert (event.state, event.attempts, event.unmatched) == ("PROCESSED", 2, [])
    assert (event.summary["statuses_matched"], event.summary["statuses_unmatched"]) == (1, 0)
    assert (broadcast.status, broadcast.delivered_at) == ("DELIVERED", at(2))


def test_the_task_re_enqueues_an_event_waiting_for_its_wamid_with_a_countdown(transport, monkeypatch):
    from broadcasts import tasks

    scheduled = []
    monkeypatch.setattr(tasks.process_webhook_events, "apply_async", lambda args, countdown: scheduled.append(
        (args, countdown)
    ))
    event = stored(transport, statuses(status("wamid.N", "sent")))
    tasks.process_webhook_events(event.pk)
    assert len(scheduled) == 1
    assert scheduled[0][0] == (event.pk,) and 0 < scheduled[0][1] <= 2


def test_it_gives_up_on_an_unknown_wamid_after_the_window_and_keeps_it_unmatched(transport, broadcast, settings):
    settings.WEBHOOK_UNMATCHED_WINDOW = 60
    payload = statuses(status("wamid.X", "delivered"), status("wamid.NEVER", "delivered"))
    event = stored(transport, payload)
    assert webhook_event_process(event_id=event.pk) is not None
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=timezone.now() - timedelta(seconds=61))
    _make_due(event)
    assert webhook_event_process(event_id=event.pk) is None
    event.refresh_from_db()
    assert event.state == "UNMATCHED" and event.next_attempt_at is None
    assert [item["id"] for item in event.unmatched] == ["wamid.NEVER"]
    broadcast.refresh_from_db()
    assert broadcast.status == "DELIVERED"  # the matched half was applied on the first pass


def test_another_apps_broadcast_is_never_touched(transport, other_transport, other_app):
    charlies = Session.objects.create(app=other_app, transport=other_transport, total=1)
    theirs = Broadcast.objects.create(session=charlies, address="15550100009", status="SENT", wamid="wamid.C")
    event = stored(transport, statuses(status("wamid.C", "read")))
    webhook_event_process(event_id=event.pk)
    theirs.refresh_from_db()
    assert theirs.status == "SENT" and not theirs.logs.exists()
    assert WebhookEvent.objects.get(pk=event.pk).summary["statuses_unmatched"] == 1


def test_the_periodic_pass_picks_up_events_whose_task_was_lost(transport, broadcast):
    event = stored(transport, statuses(status("wamid.X", "read")))
    assert webhook_events_process_pending() == 1
    event.refresh_from_db()
    broadcast.refresh_from_db()
    assert event.state == "PROCESSED" and broadcast.status == "READ"
    assert webhook_events_process_pending() == 0


def test_an_event_another_worker_holds_is_not_processed(transport, broadcast):
    event = WebhookEvent.objects.create(
        transport=transport, body_sha256="e", payload=statuses(status("wamid.X", "read")),
        next_attempt_at=timezone.now() + timedelta(seconds=60),
    )
    assert webhook_event_process(event_id=event.pk) is None
    broadcast.refresh_from_db()
    assert broadcast.status == "SENT" and WebhookEvent.objects.get(pk=event.pk).attempts == 0


def test_processing_that_raises_keeps_the_event_pending_with_its_error(transport, broadcast, monkeypatch):
    from broadcasts.services.webhooks import events

    def explode(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(events, "broadcast_statuses_apply", explode)
    event = stored(transport, statuses(status("wamid.X", "read")))
    assert webhook_event_process(event_id=event.pk) is not None
    event.refresh_from_db()
    assert (event.state, event.attempts, event.processed_at) == ("PENDING", 1, None)
    assert "database hiccup" in event.error
    monkeypatch.undo()
    _make_due(event)
    webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    broadcast.refresh_from_db()
    assert (event.state, event.error, broadcast.status) == ("PROCESSED", "", "READ")


# --- Inbound messages ------------------------------------------------------------------------------


def inbound(message_id: str, sender: str, sent: int, **message) -> dict:
    return envelope("messages", {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": "100000000000001"},
        "contacts": [{"profile": {"name": "Dana"}, "wa_id": sender}],
        "messages": [{"from": sender, "id": message_id, "timestamp": str(sent), "type": "text",
                      "text": {"body": "Hi there"}, **message}],
    })


def test_an_inbound_message_is_recorded_once_and_opens_the_window(
    client, transport, enqueued, oncommit
):
    now = int(timezone.now().timestamp())
    payload = inbound("wamid.IN1", "15550100007", now - 60)
    deliver(client, transport, payload, oncommit)
    replay = {**payload, "entry": [{**payload["entry"][0], "time": now}]}
    deliver(client, transport, replay, oncommit)

    message = InboundMessage.objects.get()
    assert (message.transport, message.app, message.wa_id, message.profile_name, message.type, message.text) == (
        transport, transport.app, "15550100007", "Dana", "text", "Hi there"
    )
    assert inbound_window_open(transport=transport, address="+1 555 010 0007")
    assert not inbound_window_open(transport=transport, address="15550100008")


def test_inbound_logs_never_show_the_full_phone_number(transport, caplog):
    caplog.set_level("INFO", logger="gateway.webhooks")
    webhook_event_process(event_id=stored(transport, inbound("wamid.IN3", "15550100007", T0)).pk)
    assert InboundMessage.objects.filter(wa_id="15550100007").exists()
    assert caplog.records and "15550100007" not in caplog.text


def test_the_window_closes_24_hours_after_the_last_inbound_message(transport):
    InboundMessage.objects.create(
        transport=transport, app=transport.app, wa_id="15550100007", message_id="wamid.OLD", type="text",
        timestamp=timezone.now() - timedelta(hours=24, minutes=1),
    )
    assert not inbound_window_open(transport=transport, address="15550100007")


def test_a_button_reply_is_summarised(transport):
    button = {"payload": "STOP", "text": "Stop promotions"}
    payload = inbound("wamid.IN2", "15550100007", T0, type="button", button=button)
    event = stored(transport, payload)
    webhook_event_process(event_id=event.pk)
    assert InboundMessage.objects.get().text == "Stop promotions"


# --- Templates and other fields --------------------------------------------------------------------


@pytest.fixture
def template(app, transport):
    return Template.objects.create(
        app=app, transport=transport, meta_id="1689556908129835", name="abandoned_cart", language="en",
        category="MARKETING", status="PENDING",
    )


def template_event(event: str, **extra) -> dict:
    return envelope("message_template_status_update", {
        "event": event, "message_template_id": 1689556908129835, "message_template_name": "abandoned_cart",
        "message_template_language": "en", "reason": "NONE", **extra,
    })


def test_a_template_status_update_changes_the_template(client, transport, template, enqueued, oncommit):
    deliver(client, transport, template_event("REJECTED", reason="INVALID_FORMAT"), oncommit)
    template.refresh_from_db()
    assert (template.status, template.rejected_reason) == ("REJECTED", "INVALID_FORMAT")
    deliver(client, transport, template_event("APPROVED"), oncommit)
    template.refresh_from_db()
    assert (template.status, template.rejected_reason) == ("APPROVED", "")


def test_a_template_without_meta_id_is_matched_by_name_and_language(transport, template):
    Template.objects.filter(pk=template.pk).update(meta_id="")
    event = stored(transport, template_event("PAUSED"))
    webhook_event_process(event_id=event.pk)
    template.refresh_from_db()
    assert template.status == "PAUSED"


def test_an_unknown_template_or_event_is_stored_not_an_error(transport, other_app, other_transport):
    Template.objects.create(  # same Meta id, but Charlie's: never touched from Alice's webhook
        app=other_app, transport=other_transport, meta_id="1689556908129835", name="abandoned_cart", language="en",
        category="MARKETING", status="PENDING",
    )
    payload = template_event("APPROVED")
    payload["entry"][0]["changes"].append(
        {"field": "message_template_status_update", "value": {"event": "FLAGGED", "message_template_id": 1}}
    )
    event = stored(transport, payload)
    webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.state == "PROCESSED"
    assert (event.summary["templates_unknown"], event.summary["template_events_ignored"]) == (1, 1)
    assert Template.objects.get(app=other_app).status == "PENDING"


def test_other_fields_are_stored_and_counted(client, transport, enqueued, oncommit):
    payload = envelope("account_update", {"event": "VERIFIED_ACCOUNT"})
    payload["entry"].append({"id": "x", "changes": "not a list"})
    deliver(client, transport, payload, oncommit)
    event = WebhookEvent.objects.get()
    assert event.state == "PROCESSED" and event.summary["ignored_fields"] == {"account_update": 1}
    assert event.payload == payload


# --- Volume ----------------------------------------------------------------------------------------


def test_500_statuses_are_applied_with_bulk_queries(transport, session, django_assert_max_num_queries):
    Broadcast.objects.bulk_create(
        Broadcast(session=session, address=f"1555{i:07d}", status="SENT", wamid=f"wamid.B{i}") for i in range(500)
    )
    items = [status(f"wamid.B{i}", "delivered", 1) for i in range(500)]
    items += [status(f"wamid.B{i}", "read", 2) for i in range(0, 500, 2)]
    event = stored(transport, statuses(*items))
    # 750 status events. SQLite caps bound parameters, so Django splits each bulk write into a few
    # statements (24 queries here, fewer on PostgreSQL); a query per event would be 750+.
    with django_assert_max_num_queries(30):
        assert webhook_event_process(event_id=event.pk) is None
    assert Broadcast.objects.filter(status="DELIVERED").count() == 250
    assert Broadcast.objects.filter(status="READ", delivered_at=at(1), read_at=at(2)).count() == 250
    assert BroadcastLog.objects.filter(kind="STATUS").count() == 750


def test_a_batch_mixing_priced_and_unpriced_statuses_stays_bulk(transport, session, django_assert_max_num_queries):
    # Meta prices delivered messages only: a batch whose rows change different fields is still saved in bulk.
    Broadcast.objects.bulk_create(
        Broadcast(session=session, address=f"1555{i:07d}", status="SENT", wamid=f"wamid.P{i}") for i in range(500)
    )
    pricing = {"billable": True, "pricing_model": "PMP", "category": "utility", "type": "regular"}
    items = [status(f"wamid.P{i}", "delivered", 1, pricing=pricing) if i % 2 else status(f"wamid.P{i}", "sent", 1)
             for i in range(500)]
    event = stored(transport, statuses(*items))
    with django_assert_max_num_queries(40):
        assert webhook_event_process(event_id=event.pk) is None
    assert Broadcast.objects.filter(status="DELIVERED", pricing_category="utility").count() == 250
    assert Broadcast.objects.filter(status="SENT", sent_at=at(1), pricing_billable__isnull=True).count() == 250


def test_a_missing_transport_and_a_wrong_signature_get_the_same_answer(client, transport):
    body = json.dumps(statuses(status("wamid.X", "read"))).encode()
    wrong = post(client, transport, body, signature=sign(body, "not-the-secret"))
    missing = client.post(f"/webhooks/whatsapp/{transport.pk + 1000}", body, content_type="application/json",
                          headers={"X-Hub-Signature-256": sign(body)})
    assert (wrong.status_code, wrong.content) == (missing.status_code, missing.content) == (403, b"forbidden")
    query = {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "42"}
    bad_token = client.get(f"/webhooks/whatsapp/{transport.pk}", query)
    no_transport = client.get(f"/webhooks/whatsapp/{transport.pk + 1000}", {**query, "hub.verify_token": VERIFY_TOKEN})
    assert (bad_token.status_code, bad_token.content) == (no_transport.status_code, no_transport.content)
    assert WebhookEvent.objects.count() == 0


def test_an_oversized_body_gets_413_whether_the_transport_exists_or_not(client, transport, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 10
    body = b'{"entry": [], "padding": "xxxxxxxx"}'
    for transport_id in (transport.pk, transport.pk + 1000):
        answer = client.post(f"/webhooks/whatsapp/{transport_id}", body, content_type="application/json",
                             headers={"X-Hub-Signature-256": sign(body)})
        assert answer.status_code == 413


def _for_number(payload: dict, phone_number_id: str) -> dict:
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = phone_number_id
    return payload


@pytest.mark.parametrize("phone_number_id", ["100000000000009", "999999999999999"])
def test_an_inbound_message_to_a_number_of_no_transport_of_the_app_is_ignored_and_logged(
    client, transport, other_transport, enqueued, oncommit, caplog, phone_number_id
):
    # 100000000000009 is Charlie's number: Alice's signature never files anything under it, nor under hers.
    caplog.set_level("WARNING", logger="gateway.webhooks")
    deliver(client, transport, _for_number(inbound("wamid.IN9", "15550100007", T0), phone_number_id), oncommit)
    assert InboundMessage.objects.count() == 0
    event = WebhookEvent.objects.get()
    assert event.state == "PROCESSED"
    assert event.summary["ignored_phone_number_ids"] == {phone_number_id: 1}
    assert any("phone number ids of no transport of the app" in r.getMessage() for r in caplog.records)


def test_a_status_naming_a_number_of_no_transport_of_the_app_changes_nothing(
    client, transport, broadcast, enqueued, oncommit
):
    deliver(client, transport, _for_number(statuses(status("wamid.X", "read")), "999999999999999"), oncommit)
    broadcast.refresh_from_db()
    assert broadcast.status == "SENT" and status_logs(broadcast) == []
    assert WebhookEvent.objects.get().summary["ignored_phone_number_ids"] == {"999999999999999": 1}


def test_an_inbound_message_to_a_sibling_transports_number_is_filed_under_the_sibling(
    client, app, transport, enqueued, oncommit
):
    sibling = make_transport(app=app, whatsapp=True, name="wa-2", phone_number_id="100000000000002",
                             secrets={"appSecret": APP_SECRET, "verifyToken": VERIFY_TOKEN, "accessToken": "t"})
    deliver(client, transport, _for_number(inbound("wamid.IN8", "15550100007", T0), "100000000000002"), oncommit)
    assert InboundMessage.objects.get().transport == sibling


def test_a_status_for_a_send_never_answered_finds_its_broadcast_by_the_echoed_reference(
    client, app, transport, session, enqueued, oncommit
):
    from broadcasts.services.dispatch import broadcast_reference

    unknown = Broadcast.objects.create(session=session, address="15550100001", status="UNKNOWN")
    deliver(client, transport, statuses(
        status("wamid.LATE", "sent", 0, biz_opaque_callback_data=broadcast_reference(unknown.pk)),
        status("wamid.LATE", "delivered", 1, biz_opaque_callback_data=broadcast_reference(unknown.pk)),
    ), oncommit)
    unknown.refresh_from_db()
    assert (unknown.status, unknown.wamid) == ("DELIVERED", "wamid.LATE")
    assert status_logs(unknown) == ["SENT", "DELIVERED"]


def test_a_reference_to_another_apps_broadcast_changes_nothing(
    client, app, transport, other_app, other_transport, enqueued, oncommit
):
    from broadcasts.services.dispatch import broadcast_reference

    charlies = Session.objects.create(app=other_app, transport=other_transport, status="PENDING", total=1)
    theirs = Broadcast.objects.create(session=charlies, address="15550100009", status="UNKNOWN")
    deliver(client, transport, statuses(
        status("wamid.A", "delivered", 0, biz_opaque_callback_data=broadcast_reference(theirs.pk)),
    ), oncommit)
    theirs.refresh_from_db()
    assert (theirs.status, theirs.wamid) == ("UNKNOWN", None)
    assert not BroadcastLog.objects.exists()


def test_a_second_wamid_with_a_broadcasts_reference_shows_it_was_sent_twice(
    client, app, transport, broadcast, enqueued, oncommit
):
    """An attempt whose answer was lost reached Meta: its statuses apply, and its wamid joins the history once."""
    from broadcasts.services.dispatch import broadcast_reference
    from broadcasts.services.sweeper import SENT_TWICE

    reference = broadcast_reference(broadcast.pk)
    deliver(client, transport, statuses(
        status("wamid.X", "delivered", 0),
        status("wamid.LOST", "delivered", 1, biz_opaque_callback_data=reference),
    ), oncommit)
    # A later status of the lost send (a new delivery from Meta) adds no second row.
    deliver(client, transport, statuses(status("wamid.LOST", "read", 2, biz_opaque_callback_data=reference)), oncommit)
    broadcast.refresh_from_db()
    assert (broadcast.status, broadcast.wamid) == ("READ", "wamid.X")
    twice = BroadcastLog.objects.get(broadcast=broadcast, error_code=SENT_TWICE)
    assert (twice.kind, twice.status) == ("ATTEMPT", "SENT")
    assert "wamid.LOST" in twice.message and "twice" in twice.message
    assert status_logs(broadcast) == ["DELIVERED", "READ"]
