"""Meta's messaging limit while sending: recipients past the allowance wait, QUEUED, for the 24 hours to allow them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from broadcasts.models import Broadcast, Session
from broadcasts.services import schedule, sweeper
from broadcasts.services.dispatch import dispatch_batch
from broadcasts.services.schedule import sessions_due_wake
from broadcasts.testing import (
    SIM_PHONE_ID,
    numbers,
    send_via_api,
    sent_earlier,
    simulator_template_add,
    transport_for,
    transport_with_limit,
)
from templates.services import templates_sync
from transports.models import Transport

OTHER_WABA, OTHER_PHONE = "200000000000002", "100000000000002"


@pytest.fixture
def tier_250(api, simulator, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = [simulator.base_url.split("://", 1)[1] + "/v"]
    return transport_with_limit(api, simulator, "TIER_250")


@pytest.fixture
def published(monkeypatch):
    """What the due-sessions check would enqueue (no broker in these tests: the test runs the batches)."""
    ids = []
    monkeypatch.setattr(schedule, "enqueue_dispatch", lambda session: ids.append(session.pk))
    return ids


def run(session_id, turns: int = 20) -> None:
    """Dispatch the session's batches as its task chain does, until the chain stops."""
    for _ in range(turns):
        if dispatch_batch(session_id=session_id).countdown is None:
            return
    raise AssertionError("the chain never stopped")


def sent_to(simulator, phone_id: str = SIM_PHONE_ID) -> list[str]:
    return sorted(m["to"].lstrip("+") for m in simulator.messages(phone_number_id=phone_id))


def statuses(session_id) -> dict[str, str]:
    return dict(Broadcast.objects.filter(session_id=session_id).values_list("address", "status"))


def test_past_the_limit_the_new_recipients_wait_and_are_sent_once_the_window_allows(
    api, simulator, tier_250, published
):
    earlier = sent_earlier(tier_250["id"], numbers(247))  # an hour ago: 3 places left of 250
    # 10 recipients: 2 messaged an hour ago (they cost nothing more) and 8 new, of which 3 fit.
    recipients = numbers(10, start=245)
    body = send_via_api(api, tier_250, recipients)
    [warning] = body["warnings"]
    assert (warning["used"], warning["over_by"]) == (247, 5)
    assert "wait until the 24-hour window allows them" in warning["detail"]

    run(body["id"])

    digits = [r.lstrip("+") for r in recipients]
    assert sent_to(simulator) == sorted(digits[:5])  # the 2 known and the first 3 new: nothing past the limit
    now = statuses(body["id"])
    assert [now[d] for d in digits[5:]] == ["QUEUED"] * 5
    assert not Broadcast.objects.filter(session_id=body["id"], status="QUEUED", attempts__gt=0).exists()
    session = Session.objects.get(pk=body["id"])
    first_out = earlier.broadcasts.first().sent_at + timedelta(hours=24)
    assert (session.status, session.waiting_reason, session.waiting_until) == ("PENDING", "messaging_limit", first_out)
    shown = api.get(f"/api/v1/sessions/{body['id']}").json()
    assert shown["status"] == "PENDING" and shown["waiting"]["reason"] == "messaging_limit"
    assert shown["stats"]["queued"] == 5

    # Not stuck: the sweeper leaves it alone, and the due check does not wake it before its time.
    Session.objects.filter(pk=session.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    assert sweeper.sweep().sessions_resumed == 0
    assert sessions_due_wake().woken == 0 and published == []

    # A day later the earlier recipients have left Meta's window: the due check wakes it and the rest go.
    earlier.broadcasts.update(sent_at=timezone.now() - timedelta(hours=25))
    assert sessions_due_wake(now=first_out + timedelta(seconds=1)).woken == 1 and published == [session.pk]
    run(session.pk)

    assert sent_to(simulator) == sorted(digits)
    session.refresh_from_db()
    assert (session.status, session.waiting_reason, session.waiting_until) == ("COMPLETED", "", None)
    assert api.get(f"/api/v1/sessions/{session.pk}").json()["waiting"] is None


def test_a_limit_used_up_by_another_session_holds_every_new_recipient(api, simulator, tier_250):
    first = send_via_api(api, tier_250, numbers(250))
    run(first["id"])
    assert len(sent_to(simulator)) == 250

    second = send_via_api(api, tier_250, [*numbers(2, start=1000), *numbers(1)])  # 2 new, 1 messaged just now
    run(second["id"])

    assert statuses(second["id"]) == {
        numbers(1)[0].lstrip("+"): "SENT", **{n.lstrip("+"): "QUEUED" for n in numbers(2, start=1000)}
    }
    assert len(sent_to(simulator)) == 251
    assert Session.objects.get(pk=second["id"]).waiting_reason == "messaging_limit"


def test_a_second_tenant_in_another_business_account_sends_as_usual(api, other_api, simulator, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = [simulator.base_url.split("://", 1)[1] + "/v"]
    simulator.configure(business_accounts=[
        {"id": "200000000000001", "phone_numbers": [{"id": SIM_PHONE_ID, "messaging_limit": "TIER_250"}]},
        {"id": OTHER_WABA, "phone_numbers": [
            {"id": OTHER_PHONE, "display_phone_number": "15550000002", "messaging_limit": "TIER_250"},
        ]},
    ])
    simulator_template_add(simulator, waba_id=OTHER_WABA)
    ours = transport_for(api, simulator, phone_strictness="possible")
    theirs = transport_for(other_api, simulator, phone_strictness="possible", phone_number_id=OTHER_PHONE,
                           business_account_id=OTHER_WABA)
    for transport in (ours, theirs):
        templates_sync(transport=Transport.objects.get(pk=transport["id"]))
    sent_earlier(ours["id"], numbers(250))  # ours is used up

    mine = send_via_api(api, ours, numbers(5, start=2000))
    their = send_via_api(other_api, theirs, numbers(5, start=2000))  # the same people, another business
    assert their["warnings"] == []
    run(mine["id"])
    run(their["id"])

    assert set(statuses(mine["id"]).values()) == {"QUEUED"} and sent_to(simulator) == []
    assert set(statuses(their["id"]).values()) == {"SENT"}
    assert len(sent_to(simulator, OTHER_PHONE)) == 5
    assert other_api.get(f"/api/v1/sessions/{their['id']}").json()["waiting"] is None
    assert other_api.get(f"/api/v1/sessions/{mine['id']}").status_code == 404  # and ours is not theirs to see


def test_with_the_setting_off_everything_is_sent_and_meta_decides(api, simulator, tier_250, settings):
    settings.MESSAGING_LIMIT_WAIT = False
    sent_earlier(tier_250["id"], numbers(250))
    body = send_via_api(api, tier_250, numbers(4, start=1000))
    assert "the session is sent as usual" in body["warnings"][0]["detail"]
    run(body["id"])
    assert set(statuses(body["id"]).values()) == {"SENT"}


def test_a_limit_never_read_holds_nothing(api, simulator, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = [simulator.base_url.split("://", 1)[1] + "/v"]
    transport = transport_for(api, simulator, phone_strictness="possible")  # no template sync: limit unknown
    sent_earlier(transport["id"], numbers(300))
    body = send_via_api(api, transport, numbers(4, start=1000))
    run(body["id"])
    assert set(statuses(body["id"]).values()) == {"SENT"}


def test_only_sends_in_the_last_24_hours_count(api, simulator, tier_250):
    sent_earlier(tier_250["id"], numbers(250), ago=timedelta(hours=24, minutes=1))
    body = send_via_api(api, tier_250, numbers(4, start=1000))
    assert body["warnings"] == []
    run(body["id"])
    assert set(statuses(body["id"]).values()) == {"SENT"}


def test_the_check_takes_the_same_few_queries_for_any_number_of_recipients(
    api, simulator, tier_250, django_assert_max_num_queries
):
    from broadcasts.services.limit_wait import broadcasts_claim_within_limit

    sent_earlier(tier_250["id"], numbers(200))
    body = send_via_api(api, tier_250, [*numbers(100), *numbers(400, start=1000)])
    session = Session.objects.select_related("transport").get(pk=body["id"])
    calls = []

    def claim(count, rows):
        calls.append(count)
        return []  # what the claim costs is the claim's own

    # The limit, the portfolio's lock, the allowance kept, the count, then (nothing claimable) whether anything
    # waits and when a place frees, and the lock's release.
    with django_assert_max_num_queries(7):
        assert broadcasts_claim_within_limit(session=session, limit=100, claim=claim)[1] is not None
    assert calls == [100, 50]  # up to a batch of those already counted, then at most the 50 places left


def test_the_admin_list_and_session_page_say_the_session_waits_for_the_limit(admin_client, api, simulator, tier_250):
    sent_earlier(tier_250["id"], numbers(250))
    waiting = send_via_api(api, tier_250, numbers(3, start=1000))
    run(waiting["id"])
    until = timezone.localtime(Session.objects.get(pk=waiting["id"]).waiting_until).strftime("%Y-%m-%d %H:%M")

    listed = admin_client.get("/admin/broadcasts/session/").content.decode()
    assert f"PENDING, waiting for Meta&#x27;s messaging limit until {until}" in listed
    page = admin_client.get(f"/admin/broadcasts/session/{waiting['id']}/change/").content.decode()
    assert "waiting for Meta&#x27;s messaging limit until" in page
    assert f"waiting (messaging limit) until {until}" in page
    progress = admin_client.get(f"/admin/broadcasts/session/{waiting['id']}/progress.json").json()
    assert progress["status_label"].startswith("PENDING, waiting for Meta's messaging limit until")


def test_far_from_the_limit_the_window_is_counted_once_not_per_batch(api, simulator, tier_250, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.BATCH_SIZE = 25
    body = send_via_api(api, tier_250, numbers(100))
    with CaptureQueriesContext(connection) as queries:
        run(body["id"])

    assert set(statuses(body["id"]).values()) == {"SENT"}
    counts = [q["sql"] for q in queries.captured_queries if "SELECT DISTINCT" in q["sql"]]
    assert len(counts) == 1, counts  # 4 batches: 250 places counted once, then spent 25 at a time
