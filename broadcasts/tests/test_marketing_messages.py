"""The Marketing Messages API: a transport's marketing_messages option routes MARKETING templates to
/marketing_messages (with product_policy); everything else stays on /messages."""

import pytest

from broadcasts.models import Broadcast, Session
from broadcasts.services import sessions as session_services
from broadcasts.services.dispatch import dispatch_batch
from broadcasts.services.manual_sends import send_test_message
from broadcasts.testing import PROMO, send_via_api, transport_for
from broadcasts.testing import RECEIPT as UTILITY
from templates.models import Template
from templates.services import templates_sync
from transports.models import Transport

TO = ["+15550100001", "+15550100002"]


@pytest.fixture(autouse=True)
def enqueued(monkeypatch):
    monkeypatch.setattr(session_services, "enqueue_dispatch", lambda session: None)


def _run(api, simulator, message, **options) -> Session:
    """A session of `message` to TO through a new transport with `options`, sent in one batch."""
    transport = transport_for(api, simulator, phone_strictness="possible", **options)
    templates_sync(transport=Transport.objects.get(pk=transport["id"]))
    session_id = send_via_api(api, transport, TO, message=message)["id"]
    dispatch_batch(session_id=session_id)
    session = Session.objects.get(pk=session_id)
    assert set(Broadcast.objects.filter(session=session).values_list("status", flat=True)) == {"SENT"}, [
        (b.status, b.error_code, b.error_title) for b in Broadcast.objects.filter(session=session)
    ]
    return session


@pytest.mark.parametrize(("mode", "policy"), [("prefer", "CLOUD_API_FALLBACK"), ("only", "STRICT")])
def test_a_marketing_template_goes_to_the_marketing_messages_api(api, simulator, settings, mode, policy):
    settings.TRANSPORT_ALLOWED_HOSTS = [simulator.base_url.split("://", 1)[1] + "/v"]
    _run(api, simulator, PROMO, marketing_messages=mode)

    sent = simulator.messages(template="promo_image")
    assert len(sent) == 2 and {row["endpoint"] for row in sent} == {"marketing_messages"}
    assert {row["payload"]["product_policy"] for row in sent} == {policy}
    assert {row["fallback"] for row in sent} == {False}


def test_a_utility_template_stays_on_messages(api, simulator, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = [simulator.base_url.split("://", 1)[1] + "/v"]
    _run(api, simulator, UTILITY, marketing_messages="prefer")

    sent = simulator.messages(template="order_confirmation")
    assert len(sent) == 2 and {row["endpoint"] for row in sent} == {"messages"}
    assert all("product_policy" not in row["payload"] for row in sent)


def test_off_sends_marketing_templates_to_messages_as_before(api, simulator, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = [simulator.base_url.split("://", 1)[1] + "/v"]
    _run(api, simulator, PROMO)

    sent = simulator.messages(template="promo_image")
    assert len(sent) == 2 and {row["endpoint"] for row in sent} == {"messages"}
    assert all("product_policy" not in row["payload"] for row in sent)


def test_prefer_falls_back_to_the_cloud_api_where_the_number_is_not_onboarded(api, simulator, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = [simulator.base_url.split("://", 1)[1] + "/v"]
    account = simulator.config.business_accounts[0]
    number = {"id": account.phone_numbers[0].id, "marketing_messages_onboarded": False}
    simulator.configure(business_accounts=[{"id": account.id, "phone_numbers": [number]}])

    _run(api, simulator, PROMO, marketing_messages="prefer")

    assert {row["fallback"] for row in simulator.messages(template="promo_image")} == {True}


def _number(simulator, **flags):
    account = simulator.config.business_accounts[0]
    simulator.configure(business_accounts=[{"id": account.id, "phone_numbers": [
        {"id": account.phone_numbers[0].id, **flags}
    ]}])


def test_only_fails_with_131055_when_onboarding_ends_after_create_and_the_transport_sends_on(
    api, simulator, settings
):
    settings.TRANSPORT_ALLOWED_HOSTS = [simulator.base_url.split("://", 1)[1] + "/v"]
    transport = transport_for(api, simulator, phone_strictness="possible", marketing_messages="only")
    templates_sync(transport=Transport.objects.get(pk=transport["id"]))  # onboarded when read: accepted
    session_id = send_via_api(api, transport, TO, message=PROMO)["id"]
    _number(simulator, marketing_messages_onboarded=False)  # ... and no longer when it sends

    dispatch_batch(session_id=session_id)

    rows = Broadcast.objects.filter(session_id=session_id)
    assert {(b.status, b.error_code, b.error_category) for b in rows} == {("FAILED", "131055", "PERMANENT")}
    assert simulator.messages() == []
    # One template's category refused, not the account: the transport goes on sending utility templates.
    assert not Transport.objects.get(pk=transport["id"]).is_stopped
    utility = send_via_api(api, transport, TO, message=UTILITY)["id"]
    dispatch_batch(session_id=utility)
    assert set(Broadcast.objects.filter(session_id=utility).values_list("status", flat=True)) == {"SENT"}


def test_marketing_disabled_on_the_cloud_api_fails_with_131063_and_the_transport_sends_on(api, simulator, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = [simulator.base_url.split("://", 1)[1] + "/v"]
    _number(simulator, cloud_api_marketing=False)
    transport = transport_for(api, simulator, phone_strictness="possible")  # marketing_messages off: /messages
    templates_sync(transport=Transport.objects.get(pk=transport["id"]))
    session_id = send_via_api(api, transport, TO, message=PROMO)["id"]

    dispatch_batch(session_id=session_id)

    rows = Broadcast.objects.filter(session_id=session_id)
    assert {(b.status, b.error_code, b.error_category) for b in rows} == {("FAILED", "131063", "PERMANENT")}
    assert not Transport.objects.get(pk=transport["id"]).is_stopped
    utility = send_via_api(api, transport, TO, message=UTILITY)["id"]
    dispatch_batch(session_id=utility)
    assert set(Broadcast.objects.filter(session_id=utility).values_list("status", flat=True)) == {"SENT"}
    assert {row["endpoint"] for row in simulator.messages(template="order_confirmation")} == {"messages"}


def test_the_category_meta_has_now_decides_not_the_one_at_create(api, simulator, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = [simulator.base_url.split("://", 1)[1] + "/v"]
    transport = transport_for(api, simulator, phone_strictness="possible", marketing_messages="prefer")
    templates_sync(transport=Transport.objects.get(pk=transport["id"]))
    session_id = send_via_api(api, transport, TO, message=PROMO)["id"]
    # Stored as the gateway last synced it: a stale UTILITY row sends to /messages, as Meta's category was then.
    Template.objects.filter(transport_id=transport["id"], name="promo_image").update(category="UTILITY")

    dispatch_batch(session_id=session_id)

    assert {row["endpoint"] for row in simulator.messages(template="promo_image")} == {"messages"}
    assert "category" not in (Session.objects.get(pk=session_id).message.get("meta") or {})


def test_a_test_message_is_routed_like_a_session(api, simulator, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = [simulator.base_url.split("://", 1)[1] + "/v"]
    created = transport_for(api, simulator, phone_strictness="possible", marketing_messages="only")
    transport = Transport.objects.get(pk=created["id"])
    templates_sync(transport=transport)

    promo, _ = send_test_message(transport=transport, to=TO[0], template="promo_image", params=["20%"],
                                 header=PROMO["meta"]["header"])
    utility, _ = send_test_message(transport=transport, to=TO[0], template="order_confirmation",
                                   params=["Ana", "B-1042", "12 March"])

    assert promo.ok and utility.ok
    assert promo.request["url"].endswith("/marketing_messages") and promo.request["body"]["product_policy"] == "STRICT"
    assert utility.request["url"].endswith("/messages")
    assert [row["endpoint"] for row in simulator.messages()] == ["marketing_messages", "messages"]
