"""The integrator's per-recipient reference: stored, returned, searchable, and carried to Meta and back."""

from django.utils import timezone

from broadcasts.models import Broadcast, Session
from broadcasts.services.dispatch import broadcast_id_of_reference, broadcast_reference
from broadcasts.services.webhooks.statuses import broadcast_statuses_apply
from transports.whatsapp.payloads import whatsapp_payload

HELLO = {"meta": {"templateName": "hello_world", "language": "en_US"}}


def create(api, transport, recipients):
    body = {"transport": transport["id"], "message": HELLO, "recipients": recipients}
    return api.post("/api/v1/sessions", body, format="json")


def test_a_recipients_reference_is_stored_returned_and_searchable(api, sim_transport):
    answer = create(api, sim_transport, [
        {"address": "+12025550101", "reference": "order-1042"}, {"address": "+12025550102"}, "+12025550103",
    ])
    assert answer.status_code == 202, answer.content
    session = answer.json()["id"]
    stored = dict(Broadcast.objects.filter(session_id=session).values_list("address", "reference"))
    assert stored == {"12025550101": "order-1042", "12025550102": "", "12025550103": ""}
    listed = api.get(f"/api/v1/sessions/{session}/broadcasts").json()["results"]
    assert {row["address"]: row["reference"] for row in listed}["12025550101"] == "order-1042"
    found = api.get(f"/api/v1/sessions/{session}/broadcasts", {"reference": "order-1042"}).json()["results"]
    assert [row["address"] for row in found] == ["12025550101"]
    one = api.get(f"/api/v1/broadcasts/{found[0]['id']}").json()
    assert one["reference"] == "order-1042"


def test_a_reference_too_long_or_not_text_is_a_400_naming_the_recipient_and_nothing_is_stored(api, sim_transport):
    answer = create(api, sim_transport, [
        {"address": "+12025550101", "reference": "x" * 129}, {"address": "+12025550102", "reference": 1042},
        {"address": "+12025550103", "reference": "x" * 128},
    ])
    assert answer.status_code == 400
    errors = {error["index"]: error["error"] for error in answer.json()["recipients"]}
    assert sorted(errors) == [0, 1] and all("at most 128 characters" in error for error in errors.values())
    assert Session.objects.count() == 0


def test_another_apps_search_by_reference_finds_nothing(api, other_api, sim_transport):
    session = create(api, sim_transport, [{"address": "+12025550101", "reference": "order-1042"}]).json()["id"]
    assert other_api.get(f"/api/v1/sessions/{session}/broadcasts", {"reference": "order-1042"}).status_code == 404


def test_meta_gets_the_broadcast_id_and_the_reference_and_the_echo_still_finds_the_broadcast(app, sim_transport):
    text = broadcast_reference(42, "order-1042")
    assert text == "wg-broadcast:42:order-1042" and broadcast_id_of_reference(text) == 42
    assert broadcast_reference(42) == "wg-broadcast:42" and broadcast_id_of_reference("wg-broadcast:42") == 42
    assert broadcast_id_of_reference("wg-broadcast:4x:order") is None
    payload = whatsapp_payload(to="12025550101", message=HELLO, params={}, callback_data=text)
    assert payload["biz_opaque_callback_data"] == "wg-broadcast:42:order-1042"

    session = Session.objects.create(app=app, transport_id=sim_transport["id"], status="PENDING", total=1)
    unknown = Broadcast.objects.create(session=session, address="12025550101", status="UNKNOWN", reference="order-9")
    broadcast_statuses_apply(app_id=app.pk, now=timezone.now(), items=[{
        "id": "wamid.LATE", "status": "delivered", "timestamp": "1732450000", "recipient_id": "12025550101",
        "biz_opaque_callback_data": broadcast_reference(unknown.pk, unknown.reference),
    }])
    unknown.refresh_from_db()
    assert (unknown.status, unknown.wamid) == ("DELIVERED", "wamid.LATE")

