"""Privacy: retention purge, erasure of one person, redacted parameters in logs, masked numbers in the admin."""

import hashlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db.models import CharField, JSONField, Q, TextField
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from broadcasts.models import Broadcast, BroadcastLog, Erasure, InboundMessage, Session, WebhookEvent
from broadcasts.selectors import session_stats
from broadcasts.services.outcomes import SendOutcome
from broadcasts.services.privacy import personal_data_purge, recipient_erase
from broadcasts.services.webhooks.events import webhook_event_process
from transports.engine import SendResult
from transports.testing import make_transport
from whatsapp_gateway.testing import database_rows

ALICE = "12025550101"  # the person asking to be forgotten
BOB = "12025550102"  # another recipient of the same app, who stays
PARAMS = ["Ana", "B-1042", "Friday"]
OLD = timezone.now() - timedelta(days=120)


@pytest.fixture
def transport(app):
    return make_transport(app=app, whatsapp=True, secrets={"accessToken": "tok"})


@pytest.fixture
def other_transport(other_app):
    return make_transport(
        app=other_app, whatsapp=True, phone_number_id="100000000000009", secrets={"accessToken": "tok"}
    )


def personal_data(transport, numbers=(ALICE, BOB), *, wamid_prefix="A") -> Session:
    """A finished session to `numbers` with everything the gateway stores about them."""
    session = Session.objects.create(
        app=transport.app,
        transport=transport,
        status=Session.Status.COMPLETED,
        total=len(numbers),
        message={"meta": {"templateName": "order_update", "language": "en_US", "parameters": PARAMS}},
    )
    for i, number in enumerate(numbers):
        wamid = f"wamid.{wamid_prefix}{session.pk.hex[:8]}{i}"
        broadcast = Broadcast.objects.create(
            session=session,
            address=number,
            params={"parameters": [f"Client {i}", "B-2001", "Monday"]},
            status=Broadcast.Status.DELIVERED if i else Broadcast.Status.READ,
            attempts=1,
            wamid=wamid,
        )
        BroadcastLog.objects.create(
            broadcast=broadcast,
            session=session,
            kind=BroadcastLog.Kind.ATTEMPT,
            attempt=1,
            response_status=200,
            request={"method": "POST", "url": "https://graph.example/messages", "body": {"to": number}},
            response_body=f'{{"contacts":[{{"input":"+{number}","wa_id":"{number}"}}],"messages":[{{"id":"{wamid}"}}]}}',
            message=f"sent as {wamid}",
        )
        BroadcastLog.objects.create(
            broadcast=broadcast,
            session=session,
            kind=BroadcastLog.Kind.STATUS,
            status="DELIVERED",
            message="delivered",
        )
        value = {
            "metadata": {"phone_number_id": "100000000000001"},
            "contacts": [{"wa_id": number, "profile": {"name": f"Person {i}"}}],
            "messages": [{"id": f"wamid.IN{wamid}", "from": number, "type": "text", "text": {"body": "Hi"}}],
            "statuses": [{"id": wamid, "status": "delivered", "timestamp": "1732450000", "recipient_id": number}],
        }
        WebhookEvent.objects.create(
            transport=transport,
            body_sha256=_sha(wamid),
            state=WebhookEvent.State.PROCESSED,
            payload={"entry": [{"changes": [{"field": "messages", "value": value}]}]},
        )
        InboundMessage.objects.create(
            transport=transport,
            app=transport.app,
            wa_id=number,
            profile_name=f"Person {i}",
            type="text",
            message_id=f"wamid.IN{wamid}",
            text="Hi",
            timestamp=timezone.now(),
            payload=value["messages"][0],
        )
    return session


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def rows_mentioning(text: str) -> list[str]:
    """Every row, of every model, with `text` in any of its text or JSON columns (cast to text)."""
    found = []
    for model in apps.get_models():
        columns = [f.column for f in model._meta.concrete_fields if isinstance(f, (CharField, TextField, JSONField))]
        names = [f.name for f in model._meta.concrete_fields if f.column in columns]
        if not names:
            continue
        casts = {f"as_text_{name}": Cast(name, TextField()) for name in names}
        mentions = Q()
        for alias in casts:
            mentions |= Q(**{f"{alias}__contains": text})
        found += [
            f"{model._meta.label}:{pk}"
            for pk in model.objects.annotate(**casts).filter(mentions).values_list("pk", flat=True)
        ]
    return found


def age(session: Session) -> None:
    """Make the session and everything about it 120 days old."""
    Session.objects.filter(pk=session.pk).update(created_at=OLD)
    BroadcastLog.objects.filter(session=session).update(created_at=OLD)
    wamids = Broadcast.objects.filter(session=session).values_list("wamid", flat=True)
    WebhookEvent.objects.filter(body_sha256__in=[_sha(w) for w in wamids]).update(received_at=OLD)
    InboundMessage.objects.filter(message_id__in=[f"wamid.IN{w}" for w in wamids]).update(received_at=OLD)


# --- Retention ------------------------------------------------------------------------------------


def test_the_purge_removes_numbers_and_parameters_past_the_limit_and_keeps_session_stats(transport):
    old = personal_data(transport)
    age(old)
    recent = personal_data(transport, numbers=("12025550177",), wamid_prefix="R")
    stats_before = session_stats(session=old)

    counts = personal_data_purge()

    old.refresh_from_db()
    assert session_stats(session=old) == stats_before
    assert old.stats["frozen"] is True
    assert rows_mentioning(ALICE) == [] and rows_mentioning(BOB) == []
    recent_broadcast = Broadcast.objects.get(session=recent)
    assert rows_mentioning("B-1042") == [f"broadcasts.Session:{recent.pk}"]  # parameters: only the recent ones
    assert rows_mentioning("B-2001") == [f"broadcasts.Broadcast:{recent_broadcast.pk}"]
    assert old.message == {"meta": {"templateName": "order_update", "language": "en_US"}, "purged": True}
    assert Broadcast.objects.filter(session=old).count() == 2  # anonymized, not deleted: counts stay true
    assert counts == {
        "sessions_frozen": 1,
        "broadcasts_anonymized": 2,
        "logs_anonymized": 2,
        "webhook_events_deleted": 2,
        "inbound_messages_deleted": 2,
    }
    # Within the limit nothing changes.
    assert Broadcast.objects.get(session=recent).address == "12025550177"
    assert BroadcastLog.objects.filter(session=recent, request__isnull=False).count() == 1
    assert InboundMessage.objects.filter(wa_id="12025550177").count() == 1


def test_a_dry_run_counts_and_changes_nothing(transport):
    age(personal_data(transport))
    assert personal_data_purge(dry_run=True)["broadcasts_anonymized"] == 2
    assert len(rows_mentioning(ALICE)) > 0
    assert personal_data_purge()["broadcasts_anonymized"] == 2
    assert personal_data_purge() == dict.fromkeys(
        [
            "sessions_frozen",
            "broadcasts_anonymized",
            "logs_anonymized",
            "webhook_events_deleted",
            "inbound_messages_deleted",
        ],
        0,
    )


def test_the_purge_works_in_batches(transport, settings):
    settings.PURGE_BATCH_SIZE = 1
    age(personal_data(transport))
    assert personal_data_purge()["logs_anonymized"] == 2
    assert rows_mentioning(ALICE) == []


def test_a_running_session_is_not_purged(transport):
    session = personal_data(transport)
    Session.objects.filter(pk=session.pk).update(status=Session.Status.PENDING)
    age(session)
    assert personal_data_purge()["broadcasts_anonymized"] == 0
    assert Broadcast.objects.filter(address=ALICE).exists()


def test_the_purge_command_reports_counts(transport, capsys):
    age(personal_data(transport))
    call_command("purge_data", "--dry-run")
    dry = capsys.readouterr().out
    assert "Dry run" in dry and "broadcasts anonymized: 2" in dry
    call_command("purge_data")
    done = capsys.readouterr().out
    assert "Dry run" not in done and "broadcasts anonymized: 2" in done
    call_command("purge_data")
    assert "broadcasts anonymized: 0" in capsys.readouterr().out  # nothing left past the limit


# --- Erasure --------------------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["+1 202 555 0101", "12025550101", "(202) 555-0101", "+1-202-555-0101"])
def test_erasure_by_any_format_leaves_no_trace_of_the_number(transport, written):
    personal_data(transport)
    erasure = recipient_erase(app=transport.app, address=written)
    assert rows_mentioning(ALICE) == []
    assert rows_mentioning("Person 0") == []  # the name Meta sent along with the number
    assert erasure.counts == {
        "broadcasts": 1, "sessions": 0, "cancelled": 0, "logs": 2, "inbound_messages": 1, "webhook_events": 1,
        "callback_events": 0,
    }
    # Bob is untouched, and the stats still add up.
    assert Broadcast.objects.filter(address=BOB).count() == 1
    assert InboundMessage.objects.filter(wa_id=BOB).count() == 1
    assert session_stats(session=Session.objects.get())["read"] == 1


def test_erasure_drops_the_message_parameters_of_sessions_sent_to_that_person_alone(transport):
    own = personal_data(transport, numbers=(ALICE,))  # "Ana", her order number: about her alone
    shared = personal_data(transport, wamid_prefix="S")  # sent to Alice and Bob: kept for Bob
    erasure = recipient_erase(app=transport.app, address=ALICE)

    assert erasure.counts["sessions"] == 1
    own.refresh_from_db()
    shared.refresh_from_db()
    assert own.message == {"meta": {"templateName": "order_update", "language": "en_US"}, "purged": True}
    assert shared.message["meta"]["parameters"] == PARAMS


def test_erasure_keeps_no_wamid_since_meta_encodes_the_number_in_it(transport):
    personal_data(transport)
    alice = Broadcast.objects.get(address=ALICE)
    recipient_erase(app=transport.app, address=ALICE)

    assert rows_mentioning(alice.wamid) == []
    assert Broadcast.objects.get(pk=alice.pk).wamid.startswith("erased.")
    assert Broadcast.objects.get(address=BOB).wamid.startswith("wamid.")  # Bob's still matches his webhooks


def test_a_late_status_for_an_erased_recipient_is_dropped_and_keeps_nothing_of_them(transport):
    personal_data(transport)
    alice = Broadcast.objects.get(address=ALICE)
    recipient_erase(app=transport.app, address=ALICE)
    late = {"id": alice.wamid, "status": "read", "timestamp": "1732450100", "recipient_id": ALICE}
    payload = {"entry": [{"changes": [{"field": "messages", "value": {"statuses": [late]}}]}]}
    event = WebhookEvent.objects.create(transport=transport, body_sha256="late", payload=payload)

    webhook_event_process(event_id=event.pk)

    event.refresh_from_db()
    # Not waited for as an unknown wamid (retried, then kept as UNMATCHED): it is known to be erased.
    assert event.state == WebhookEvent.State.PROCESSED
    assert (event.summary["statuses_erased"], event.summary["statuses_unmatched"]) == (1, 0)
    assert rows_mentioning(ALICE) == [] and rows_mentioning(alice.wamid) == []
    assert Broadcast.objects.get(pk=alice.pk).status == Broadcast.Status.READ  # as it was; no new log either
    assert not BroadcastLog.objects.filter(broadcast_id=alice.pk, status="READ").exists()


def test_the_purge_drops_wamids_past_the_limit(transport):
    age(personal_data(transport))
    personal_data_purge()
    assert list(Broadcast.objects.values_list("wamid", flat=True)) == [None, None]


def test_erasure_cancels_what_was_not_sent_yet(transport):
    session = personal_data(transport)
    Broadcast.objects.filter(address=ALICE).update(status=Broadcast.Status.QUEUED)
    assert recipient_erase(app=transport.app, address=ALICE).counts["cancelled"] == 1
    assert session_stats(session=session)["cancelled"] == 1
    # Like a session's cancel, each cancelled message says why in its history.
    note = BroadcastLog.objects.get(kind=BroadcastLog.Kind.NOTE, status=Broadcast.Status.CANCELLED)
    assert note.message == "Cancelled before it was sent: the recipient's data was erased."


def test_erasure_touches_no_other_app(transport, other_transport):
    personal_data(transport)
    personal_data(other_transport, wamid_prefix="C")
    recipient_erase(app=other_transport.app, address=ALICE)
    assert Broadcast.objects.filter(session__app=transport.app, address=ALICE).count() == 1
    assert InboundMessage.objects.filter(app=transport.app, wa_id=ALICE).count() == 1
    assert WebhookEvent.objects.filter(transport=transport, payload__icontains=ALICE).count() == 1
    assert rows_mentioning(ALICE) != []


def test_the_erase_endpoint_erases_within_the_callers_app_only(api, other_api, transport, other_transport):
    personal_data(transport)
    personal_data(other_transport, wamid_prefix="C")

    response = other_api.post("/api/v1/recipients/erase", {"address": "+1 202 555 0101"}, format="json")
    assert response.status_code == 200
    assert response.json()["counts"]["broadcasts"] == 1
    assert Broadcast.objects.filter(session__app=transport.app, address=ALICE).count() == 1  # Alice's app keeps it

    response = api.post("/api/v1/recipients/erase", {"address": "+1 202 555 0101"}, format="json")
    assert response.status_code == 200
    assert rows_mentioning(ALICE) == []
    erasures = Erasure.objects.filter(app=transport.app)
    assert erasures.count() == 1 and erasures.get().requested_by == "api"


def test_the_erase_endpoint_refuses_what_is_not_a_number(api, transport):
    response = api.post("/api/v1/recipients/erase", {"address": "not a number"}, format="json")
    assert response.status_code == 400
    assert "address" in response.json()
    assert not Erasure.objects.exists()


def test_the_erase_command_can_target_one_app(transport, other_transport, capsys):
    personal_data(transport)
    personal_data(other_transport, wamid_prefix="C")
    call_command("erase_recipient", "+1 202 555 0101", "--app", transport.app.name)
    assert f"{transport.app.name}: erasure" in capsys.readouterr().out
    assert not Broadcast.objects.filter(session__app=transport.app, address=ALICE).exists()
    assert Broadcast.objects.filter(session__app=other_transport.app, address=ALICE).exists()
    call_command("erase_recipient", "12025550101")
    assert rows_mentioning(ALICE) == []


CAROL = "5512025550101"  # a Brazilian number whose digits contain Alice's whole number
BSUID = "US.13491208655302741918"  # Meta's business-scoped user id of a username user


def _rows_of(transport, address: str) -> list:
    """Everything stored about one recipient: their broadcasts, logs, inbound messages and webhook events."""
    broadcasts = Broadcast.objects.filter(session__transport=transport, address=address)
    wamids = [wamid for wamid in broadcasts.values_list("wamid", flat=True)]
    return [
        list(broadcasts.order_by("pk").values_list()),
        list(BroadcastLog.objects.filter(broadcast__in=broadcasts).order_by("pk").values_list()),
        list(InboundMessage.objects.filter(wa_id=address).order_by("pk").values_list()),
        list(WebhookEvent.objects.filter(body_sha256__in=[_sha(w) for w in wamids]).order_by("pk").values_list()),
    ]


@pytest.mark.parametrize(
    "address", ["0", "12", "1", "555", "+", "wamid", "wamid.", "US.", "us.123", "not a number", "alice@example.com"]
)
def test_the_erase_endpoint_refuses_what_is_not_a_phone_number_bsuid_or_wamid(api, transport, address):
    personal_data(transport)
    before = database_rows()
    response = api.post("/api/v1/recipients/erase", {"address": address}, format="json")
    assert response.status_code == 400, response.content
    assert "phone number, a BSUID or a wamid" in response.json()["address"][0]
    assert database_rows() == before


def test_the_erase_command_refuses_a_fragment_of_a_number(transport):
    personal_data(transport)
    before = database_rows()
    with pytest.raises(CommandError, match="address"):
        call_command("erase_recipient", "12")
    assert database_rows() == before


def test_erasure_leaves_another_recipient_whose_number_shares_its_digits_untouched(api, transport):
    personal_data(transport, numbers=(ALICE, CAROL))
    carol = _rows_of(transport, CAROL)
    response = api.post("/api/v1/recipients/erase", {"address": ALICE}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["counts"] == {
        "broadcasts": 1, "sessions": 0, "cancelled": 0, "logs": 2, "inbound_messages": 1, "webhook_events": 1,
        "callback_events": 0,
    }
    assert _rows_of(transport, CAROL) == carol
    assert not Broadcast.objects.filter(address=ALICE).exists()


def test_erasure_only_replaces_whole_values_in_webhook_payloads(transport):
    personal_data(transport)
    # An event that names no one: ids full of Alice's digits, and her number inside a longer one.
    ids = {"id": "2" + ALICE + "9", "phone_number_id": ALICE + "0", "text": f"ref 9{ALICE}", "waba": "0"}
    event = WebhookEvent.objects.create(transport=transport, body_sha256="ids", payload={"entry": [ids]})
    mention = {"text": f"call me at +{ALICE}, or {ALICE}."}
    spoken = WebhookEvent.objects.create(transport=transport, body_sha256="spoken", payload={"entry": [mention]})
    erasure = recipient_erase(app=transport.app, address=ALICE)
    event.refresh_from_db()
    spoken.refresh_from_db()
    assert event.payload == {"entry": [ids]}
    assert spoken.payload == {"entry": [{"text": "call me at [ERASED], or [ERASED]."}]}
    assert erasure.counts["webhook_events"] == 2  # Alice's own event and the one quoting her number


def test_erasure_by_bsuid_erases_that_user_only(transport):
    personal_data(transport, numbers=(BSUID, BSUID[:-2], BOB))
    others = [_rows_of(transport, BSUID[:-2]), _rows_of(transport, BOB)]
    erasure = recipient_erase(app=transport.app, address=BSUID)
    assert erasure.counts["broadcasts"] == 1
    assert rows_mentioning(BSUID) == []
    assert [_rows_of(transport, BSUID[:-2]), _rows_of(transport, BOB)] == others


def test_erasure_by_wamid_erases_the_person_it_was_sent_to(transport):
    personal_data(transport)
    alice = Broadcast.objects.get(address=ALICE)
    bob = _rows_of(transport, BOB)
    erasure = recipient_erase(app=transport.app, address=alice.wamid)
    assert erasure.counts["broadcasts"] == 1
    assert rows_mentioning(ALICE) == [] and rows_mentioning(alice.wamid) == []
    assert _rows_of(transport, BOB) == bob


def test_an_unknown_wamid_or_bsuid_erases_nothing_and_is_recorded(api, transport):
    personal_data(transport)
    before = database_rows()
    for address in ("wamid.HBgLMTIwMjU1NTAxMDAVAgARGBI", "GB.1234567"):
        response = api.post("/api/v1/recipients/erase", {"address": address}, format="json")
        assert response.status_code == 200
        assert set(response.json()["counts"].values()) == {0}
    after = database_rows()
    assert len(after.pop("broadcasts.Erasure")) == 2
    before.pop("broadcasts.Erasure")
    assert after == before


def test_a_dry_run_changes_nothing_and_reports_the_counts_of_the_real_run(api, transport):
    personal_data(transport, numbers=(ALICE,))
    personal_data(transport, wamid_prefix="S")
    Broadcast.objects.filter(address=ALICE).update(status=Broadcast.Status.QUEUED)
    before = database_rows()
    dry = api.post("/api/v1/recipients/erase?dry_run=true", {"address": "+1 202 555 0101"}, format="json")
    assert dry.status_code == 200, dry.content
    assert database_rows() == before
    assert dry.json()["dry_run"] is True and dry.json()["id"] is None

    real = api.post("/api/v1/recipients/erase", {"address": "+1 202 555 0101"}, format="json")
    assert real.json()["dry_run"] is False
    assert dry.json()["counts"] == real.json()["counts"]
    assert real.json()["counts"] == {
        "broadcasts": 2, "sessions": 1, "cancelled": 2, "logs": 4, "inbound_messages": 2, "webhook_events": 2,
        "callback_events": 0,
    }


def test_the_erase_command_has_a_dry_run(transport, capsys):
    personal_data(transport)
    before = database_rows()
    call_command("erase_recipient", "+1 202 555 0101", "--dry-run")
    dry = capsys.readouterr().out
    assert "Dry run" in dry and "1 broadcasts" in dry
    assert database_rows() == before
    call_command("erase_recipient", "+1 202 555 0101")
    done = capsys.readouterr().out
    assert "Dry run" not in done and dry.split("—", 1)[1] == done.split("—", 1)[1]


# --- Logs -----------------------------------------------------------------------------------------


def _outcome(transport) -> tuple[SendOutcome, Session]:
    session = Session(app=transport.app, transport=transport, message={"meta": {"parameters": ["Ana", "B-1042"]}})
    broadcast = Broadcast(session=session, address=ALICE, params={"parameters": ["Ana", "B-1042"]})
    body = {
        "to": ALICE,
        "type": "template",
        "template": {
            "name": "order_update",
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "B-1042"}]}
            ],
        },
    }
    result = SendResult(
        key=0,
        ok=False,
        http_status=400,
        provider_message_id=None,
        error_title="bad",
        request={"method": "POST", "url": "https://graph.example", "body": body},
        response_body='{"error":{"message":"Parameter B-1042 is too long"}}',
    )
    return SendOutcome(broadcast=broadcast, result=result), session


def test_logs_keep_the_shape_of_template_parameters_not_their_values(transport):
    outcome, session = _outcome(transport)
    log = outcome.log_row(session=session, attempt=1, task_id="t")
    parameters = log.request["body"]["template"]["components"][0]["parameters"]
    assert parameters == [{"type": "text", "text": "[REDACTED]"}, {"type": "text", "text": "[REDACTED]"}]
    assert "B-1042" not in log.response_body
    assert log.request["body"]["to"] == ALICE  # the number stays (masked in the admin, erased on request)


def test_logs_keep_parameters_when_asked_to(transport, settings):
    settings.LOG_MESSAGE_PARAMETERS = True
    outcome, session = _outcome(transport)
    log = outcome.log_row(session=session, attempt=1, task_id="t")
    assert log.request["body"]["template"]["components"][0]["parameters"][1]["text"] == "B-1042"


# --- Admin roles ----------------------------------------------------------------------------------


def _staff(client, username: str, *, personal_data_allowed: bool):
    user = get_user_model().objects.create_user(username, password="pw-for-tests", is_staff=True)
    permissions = Permission.objects.all()
    if not personal_data_allowed:
        permissions = permissions.exclude(codename="view_personal_data")
    user.user_permissions.set(permissions)
    client.force_login(user)
    return client


def _every_admin_page(client) -> dict[str, str]:
    pages = {}
    for model in admin.site._registry:
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        response = client.get(reverse(f"{name}_changelist"))
        assert response.status_code == 200, model
        pages[f"{model._meta.label} list"] = response.content.decode()
        for pk in model.objects.values_list("pk", flat=True)[:5]:
            response = client.get(reverse(f"{name}_change", args=[pk]))
            assert response.status_code == 200, (model, pk)
            pages[f"{model._meta.label} {pk}"] = response.content.decode()
    return pages


def test_staff_without_the_permission_never_see_a_full_number(client, transport):
    personal_data(transport)
    BroadcastLog.objects.filter(broadcast__address=ALICE, kind="STATUS").update(message=f"delivered to {ALICE}")
    client = _staff(client, "support", personal_data_allowed=False)
    pages = _every_admin_page(client)
    assert len(pages) > 15
    leaks = [page for page, html in pages.items() if ALICE in html or BOB in html]
    assert leaks == []
    broadcast = Broadcast.objects.get(address=ALICE)
    assert "1202*****01" in pages[f"broadcasts.Broadcast {broadcast.pk}"]


def test_staff_without_the_permission_can_still_search_by_full_number(client, transport):
    personal_data(transport)
    client = _staff(client, "support", personal_data_allowed=False)
    page = client.get(reverse("admin:broadcasts_broadcast_changelist"), {"q": "+1 202 555 0101"}).content.decode()
    assert "1 result" in page and "1202*****01" in page and ALICE not in page


def test_operators_with_the_permission_see_full_numbers(client, transport):
    personal_data(transport)
    client = _staff(client, "operator", personal_data_allowed=True)
    broadcast = Broadcast.objects.get(address=ALICE)
    assert ALICE in client.get(reverse("admin:broadcasts_broadcast_changelist")).content.decode()
    log = BroadcastLog.objects.filter(broadcast=broadcast, kind="ATTEMPT").get()
    assert ALICE in client.get(reverse("admin:broadcasts_broadcastlog_change", args=[log.pk])).content.decode()
    event = WebhookEvent.objects.filter(payload__icontains=ALICE).get()
    assert ALICE in client.get(reverse("admin:broadcasts_webhookevent_change", args=[event.pk])).content.decode()


def test_superusers_see_full_numbers(admin_client, transport):
    personal_data(transport)
    assert ALICE in admin_client.get(reverse("admin:broadcasts_inboundmessage_changelist")).content.decode()


def test_the_purge_runs_from_beat():
    from django.conf import settings

    from broadcasts.tasks import purge_personal_data

    assert settings.CELERY_BEAT_SCHEDULE["purge-personal-data"]["task"] == purge_personal_data.name
