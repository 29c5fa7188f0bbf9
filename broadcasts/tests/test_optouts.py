"""Opt-outs: the suppression list per app, through the API, inbound STOP / START, Meta's 131050, and every session."""

import pytest

from broadcasts.models import Broadcast, BroadcastLog, OptOut
from broadcasts.services.optouts import keyword_normal, optouts_from_errors, optouts_from_inbound

HELLO = {"meta": {"templateName": "hello_world", "language": "en_US"}}  # UTILITY in the simulator
PROMO = {  # MARKETING in the simulator
    "meta": {
        "templateName": "promo_image", "language": "en_US", "parameters": ["20%"],
        "header": {"type": "image", "link": "https://example.com/sale.jpg"},
    }
}


def _send(api, transport, recipients, message=HELLO):
    response = api.post(
        "/api/v1/sessions", {"transport": transport["id"], "message": message, "recipients": recipients},
        format="json",
    )
    assert response.status_code == 202, response.content
    return response.json()


def _broadcasts(api, session) -> dict[str, str]:
    page = api.get(f"/api/v1/sessions/{session['id']}/broadcasts").json()
    return {row["address"]: row["status"] for row in page["results"]}


# --- The API ----------------------------------------------------------------------------------------


def test_it_adds_an_opt_out_with_the_address_normalized_and_lists_it(api):
    response = api.post("/api/v1/opt-outs", {"address": "+1 202-555-0101", "scope": "marketing",
                                             "reason": "Asked by phone"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("address", "scope", "reason", "source")} == {
        "address": "12025550101", "scope": "marketing", "reason": "Asked by phone", "source": "api",
    }
    listed = api.get("/api/v1/opt-outs").json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]
    assert api.get("/api/v1/opt-outs?scope=all").json()["count"] == 0


def test_the_same_address_again_is_one_opt_out_widened_to_all(api):
    first = api.post("/api/v1/opt-outs", {"address": "+12025550101", "scope": "marketing"}, format="json")
    again = api.post("/api/v1/opt-outs", {"address": "12025550101", "scope": "all"}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["scope"] == "all"
    assert OptOut.objects.count() == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"address": "12"}, "address"),
    ({"address": "+12025550101", "scope": "sometimes"}, "scope"),
    ({"scope": "all"}, "address"),
    ({"address": 12025550101}, "address"),
])
def test_a_bad_opt_out_is_a_400_naming_the_field_and_nothing_is_stored(api, body, field):
    response = api.post("/api/v1/opt-outs", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert OptOut.objects.count() == 0


@pytest.mark.parametrize("query", ["scope=", "scope=sometimes"])
def test_a_bad_scope_filter_is_a_400_naming_it(api, query):
    response = api.get(f"/api/v1/opt-outs?{query}")
    assert response.status_code == 400 and "scope" in response.json()


def test_it_removes_an_opt_out(api):
    optout = api.post("/api/v1/opt-outs", {"address": "+12025550101"}, format="json").json()
    assert api.delete(f"/api/v1/opt-outs/{optout['id']}").status_code == 204
    assert api.delete(f"/api/v1/opt-outs/{optout['id']}").status_code == 404
    assert OptOut.objects.count() == 0


def test_another_app_neither_sees_nor_removes_an_apps_opt_outs(api, other_api):
    optout = api.post("/api/v1/opt-outs", {"address": "+12025550101"}, format="json").json()
    assert other_api.get("/api/v1/opt-outs").json()["count"] == 0
    assert other_api.delete(f"/api/v1/opt-outs/{optout['id']}").status_code == 404
    assert OptOut.objects.filter(pk=optout["id"]).exists()
    # Its own opt-out of the same number is its own row.
    assert other_api.post("/api/v1/opt-outs", {"address": "+12025550101"}, format="json").status_code == 201
    assert OptOut.objects.count() == 2


def test_the_opt_out_endpoints_need_a_key(client, db):
    assert client.get("/api/v1/opt-outs").status_code == 401
    assert client.post("/api/v1/opt-outs", {"address": "+12025550101"}).status_code == 401


# --- Sessions ---------------------------------------------------------------------------------------


def test_a_session_stores_a_suppressed_recipient_but_never_sends_to_it(api, wa_transport):
    api.post("/api/v1/opt-outs", {"address": "+1 202 555 0101", "scope": "all"}, format="json")
    session = _send(api, wa_transport, ["+12025550101", "+12025550199"])
    assert session["total"] == 2
    assert session["stats"]["suppressed"] == 1 and session["stats"]["queued"] == 1
    assert _broadcasts(api, session) == {"12025550101": "SUPPRESSED", "12025550199": "QUEUED"}
    suppressed = Broadcast.objects.get(address="12025550101")
    assert list(BroadcastLog.objects.filter(broadcast=suppressed).values_list("message", flat=True)) == [
        "Not sent: the recipient opted out."
    ]
    assert api.get(f"/api/v1/sessions/{session['id']}").json()["stats"]["suppressed"] == 1


def test_a_marketing_opt_out_suppresses_marketing_templates_only(api, wa_transport):
    api.post("/api/v1/opt-outs", {"address": "+12025550101", "scope": "marketing"}, format="json")
    utility = _send(api, wa_transport, ["+12025550101"], HELLO)
    marketing = _send(api, wa_transport, ["+12025550101"], PROMO)
    assert _broadcasts(api, utility) == {"12025550101": "QUEUED"}
    assert _broadcasts(api, marketing) == {"12025550101": "SUPPRESSED"}
    assert marketing["stats"]["suppressed"] == 1


def test_another_apps_opt_out_suppresses_nothing_of_this_app(api, other_api, wa_transport):
    other_api.post("/api/v1/opt-outs", {"address": "+12025550101"}, format="json")
    session = _send(api, wa_transport, ["+12025550101"])
    assert session["stats"]["suppressed"] == 0
    assert _broadcasts(api, session) == {"12025550101": "QUEUED"}


def test_a_suppressed_broadcast_is_not_sent_again_by_a_trigger(api, wa_transport):
    api.post("/api/v1/opt-outs", {"address": "+12025550101"}, format="json")
    session = _send(api, wa_transport, ["+12025550101"])
    api.post(f"/api/v1/sessions/{session['id']}/trigger", {}, format="json")
    assert Broadcast.objects.get(address="12025550101").status == "SUPPRESSED"


# --- Filled on its own --------------------------------------------------------------------------------


def _text(body: str) -> dict:
    return {"type": "text", "text": {"body": body}}


@pytest.mark.parametrize("text", ["STOP", "stop", " Stop! ", "arrêt", "ARRET", "Stopp", "baja", "unsubscribe"])
def test_an_inbound_stop_keyword_in_any_language_case_or_accent_opts_out_of_everything(app, text):
    assert optouts_from_inbound(app_id=app.pk, messages=[("12025550101", _text(text))]) == (1, 0)
    optout = OptOut.objects.get(app=app)
    assert (optout.address, optout.scope, optout.source) == ("12025550101", "all", "keyword")


@pytest.mark.parametrize("text", ["please don't stop", "stopping by later", "STOP IT NOW", ""])
def test_a_message_that_only_contains_a_keyword_opts_out_of_nothing(app, text):
    assert optouts_from_inbound(app_id=app.pk, messages=[("12025550101", _text(text))]) == (0, 0)
    assert not OptOut.objects.exists()


def test_an_opt_out_button_opts_out_of_marketing_and_start_opts_back_in(app, other_app):
    button = {"type": "button", "button": {"payload": "STOP_PROMOTIONS", "text": "Stop promotions"}}
    optouts_from_inbound(app_id=other_app.pk, messages=[("12025550101", _text("STOP"))])
    assert optouts_from_inbound(app_id=app.pk, messages=[("12025550101", button)]) == (1, 0)
    assert OptOut.objects.get(app=app).scope == "marketing"
    assert optouts_from_inbound(app_id=app.pk, messages=[("12025550101", _text("Start"))]) == (0, 1)
    assert not OptOut.objects.filter(app=app).exists()
    assert OptOut.objects.filter(app=other_app).exists()  # another app's list is its own


def test_keywords_come_from_the_settings(app, settings):
    settings.OPT_OUT_STOP_KEYWORDS = {"nl": ["AFMELDEN"]}
    assert optouts_from_inbound(app_id=app.pk, messages=[("12025550101", _text("STOP"))]) == (0, 0)
    assert optouts_from_inbound(app_id=app.pk, messages=[("12025550101", _text("afmelden"))]) == (1, 0)
    assert keyword_normal("  Arrêt! ") == "ARRET"


def test_metas_131050_opts_the_recipient_out_of_marketing_and_other_codes_do_not(app):
    assert optouts_from_errors(failed=[(app.pk, "12025550101", "131050"), (app.pk, "12025550199", "131026")]) == 1
    optout = OptOut.objects.get(app=app)
    assert (optout.address, optout.scope, optout.source) == ("12025550101", "marketing", "meta")


def test_a_stop_reply_through_metas_webhook_suppresses_the_next_session(api, wa_transport, client, simulator):
    from broadcasts.services.webhooks.inbound import inbound_messages_record
    from transports.models import Transport

    transport = Transport.objects.get(pk=wa_transport["id"])
    message = {"from": "12025550101", "id": "wamid.IN-STOP-1", "timestamp": "1764000000", **_text("Stop")}
    from django.utils import timezone

    inbound_messages_record(transport=transport, items=[("", message, {})], now=timezone.now())
    session = _send(api, wa_transport, ["+12025550101"])
    assert _broadcasts(api, session) == {"12025550101": "SUPPRESSED"}


def test_a_failed_status_webhook_with_131050_opts_the_recipient_out_of_marketing(app, other_app, wa_transport, api):
    from django.utils import timezone

    from broadcasts.services.webhooks.statuses import broadcast_statuses_apply

    session = _send(api, wa_transport, ["+12025550101"], PROMO)
    Broadcast.objects.filter(session_id=session["id"]).update(status="SENT", wamid="wamid.MKT-1")
    failed = {"id": "wamid.MKT-1", "status": "failed", "timestamp": "1764000000", "recipient_id": "12025550101",
              "errors": [{"code": 131050, "title": "Unable to deliver the message: the user stopped marketing"}]}
    broadcast_statuses_apply(app_id=app.pk, items=[failed], now=timezone.now())
    optout = OptOut.objects.get(app=app)
    assert (optout.address, optout.scope, optout.source) == ("12025550101", "marketing", "meta")
    assert not OptOut.objects.filter(app=other_app).exists()
    assert _broadcasts(api, _send(api, wa_transport, ["+12025550101"], PROMO)) == {"12025550101": "SUPPRESSED"}
