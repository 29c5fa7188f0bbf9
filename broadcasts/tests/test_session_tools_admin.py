"""The session page's export and "New session from…" (retarget), as operators use them."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from broadcasts.models import Broadcast, Session
from broadcasts.testing import make_session


def _staff(*, personal_data: bool) -> Client:
    user = get_user_model().objects.create_user(f"op-{personal_data}", password="pw-for-tests", is_staff=True)
    permissions = Permission.objects.filter(content_type__app_label="broadcasts")
    if not personal_data:
        permissions = permissions.exclude(codename="view_personal_data")
    user.user_permissions.set(permissions)
    client = Client()
    client.force_login(user)
    return client


def _export(client, session) -> list[dict]:
    response = client.get(f"/admin/broadcasts/session/{session.pk}/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def session(app, wa_transport):
    session = make_session(app, wa_transport["id"], [("DELIVERED", "", 1), ("READ", "", 1), ("FAILED", "", 1)])
    first = Broadcast.objects.filter(session=session).order_by("id").first()
    Broadcast.objects.filter(pk=first.pk).update(
        params={"first_name": "Ana", "callback": first.address}, error_title=f"=call {first.address}"
    )
    return session


def test_the_session_page_has_the_export_and_retarget_buttons(admin_client, session):
    page = admin_client.get(f"/admin/broadcasts/session/{session.pk}/change/").content.decode()
    assert f"/admin/broadcasts/session/{session.pk}/export.csv" in page
    assert f"/admin/broadcasts/session/{session.pk}/retarget/" in page


def test_the_admin_export_masks_numbers_unless_the_operator_may_see_personal_data(session):
    address = Broadcast.objects.filter(session=session).order_by("id").first().address
    masked = _export(_staff(personal_data=False), session)
    assert masked[0]["address"] == f"{address[:4]}*****{address[-2:]}"
    assert address not in "".join(str(row) for row in masked)  # nor in params or the error title
    assert masked[0]["error_title"].startswith("'=call ")  # and formula cells are neutralised
    full = _export(_staff(personal_data=True), session)
    assert full[0]["address"] == address and address in full[0]["params"]


def test_new_session_from_offers_the_statuses_with_counts_and_creates_the_retarget(admin_client, session):
    page = admin_client.get(f"/admin/broadcasts/session/{session.pk}/retarget/").content.decode()
    assert "DELIVERED (1)" in page and "READ (1)" in page and "FAILED (1)" in page
    response = admin_client.post(f"/admin/broadcasts/session/{session.pk}/retarget/", {
        "statuses": ["DELIVERED", "FAILED"], "transport": session.transport_id, "keep_params": "on",
        "message": '{"meta": {"templateName": "hello_world", "language": "en_US"}}',
    }, follow=True)
    new = Session.objects.exclude(pk=session.pk).get()
    assert (new.retargeted_from_id, new.total) == (session.pk, 2)
    assert f"Session {new.pk} created for 2 recipients." in [str(m) for m in response.context["messages"]]


def test_new_session_from_shows_why_nothing_was_created(admin_client, session):
    response = admin_client.post(f"/admin/broadcasts/session/{session.pk}/retarget/", {
        "statuses": ["UNKNOWN"], "transport": session.transport_id,
        "message": '{"meta": {"templateName": "hello_world", "language": "en_US"}}',
    })
    assert response.status_code == 200
    assert "there is nobody to retarget" in response.content.decode()
    assert Session.objects.count() == 1


def test_an_operator_without_the_add_permission_cannot_retarget(session):
    client = _staff(personal_data=False)
    user = get_user_model().objects.get(username="op-False")
    user.user_permissions.remove(Permission.objects.get(codename="add_session", content_type__app_label="broadcasts"))
    assert client.get(f"/admin/broadcasts/session/{session.pk}/retarget/").status_code == 403
