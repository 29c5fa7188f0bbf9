"""Free-form WhatsApp text only inside the 24-hour window: refused at create, per recipient, before Meta is asked."""

from datetime import timedelta

import pytest
from django.utils import timezone

from broadcasts.models import InboundMessage, Session
from transports.models import Transport

TEXT = {"content": "Your parcel is at the door"}
TEMPLATE = {"meta": {"templateName": "hello_world", "language": "en_US"}}
USER_ID = "US.13491208655302741918"


@pytest.fixture
def transport(wa_transport):
    return Transport.objects.get(pk=wa_transport["id"])


def wrote(transport, address: str, hours_ago: float, *, user_id: str = "") -> None:
    InboundMessage.objects.create(
        transport=transport, app_id=transport.app_id, wa_id=address, user_id=user_id, type="text", text="hi",
        message_id=f"wamid.IN{address}{hours_ago}", timestamp=timezone.now() - timedelta(hours=hours_ago),
    )


def create(api, transport, message, recipients, query=""):
    return api.post(f"/api/v1/sessions{query}", {"transport": transport.pk, "message": message,
                                                "recipients": recipients}, format="json")


def test_text_to_someone_who_never_wrote_is_refused_naming_the_recipient_and_the_rule(api, transport):
    wrote(transport, "12025550101", hours_ago=1)
    wrote(transport, "12025550102", hours_ago=25)  # closed an hour ago

    answer = create(api, transport, TEXT, ["+12025550101", "+12025550102", "+12025550103"])

    assert answer.status_code == 400, answer.content
    invalid = answer.json()["recipients"]
    assert [(item["index"], item["address"]) for item in invalid] == [(1, "+12025550102"), (2, "+12025550103")]
    assert all("24-hour window" in item["error"] and "131047" in item["error"] for item in invalid)
    assert not Session.objects.exists()


def test_skip_invalid_sends_to_those_inside_their_window(api, transport):
    wrote(transport, "12025550101", hours_ago=23)
    answer = create(api, transport, TEXT, ["+12025550101", "+12025550103"], query="?skip_invalid=true")
    assert answer.status_code == 202, answer.content
    assert Session.objects.get().broadcasts.get().address == "12025550101"


def test_a_template_needs_no_window(api, transport):
    assert create(api, transport, TEMPLATE, ["+12025550103"]).status_code == 202


def test_a_user_id_has_its_window_too(api, transport):
    wrote(transport, USER_ID, hours_ago=2, user_id=USER_ID)
    assert create(api, transport, TEXT, [USER_ID]).status_code == 202


def test_another_apps_inbound_opens_no_window_here(api, transport, other_app):
    theirs = Transport.objects.create(app=other_app, name="theirs", config=transport.config)
    wrote(theirs, "12025550101", hours_ago=1)
    answer = create(api, transport, TEXT, ["+12025550101"])
    assert answer.status_code == 400 and "24-hour window" in str(answer.json())
