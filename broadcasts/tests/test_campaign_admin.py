"""The admin's "New campaign": the form, the checks of every row, the preview, the test send and confirm."""

import re
import zoneinfo
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from broadcasts.models import Broadcast, Session
from templates.models import Template
from templates.services import templates_sync
from transports.models import Transport

ADD = "/admin/broadcasts/session/add/"


@pytest.fixture
def campaign(wa_transport, settings):
    """Alice's WhatsApp transport (its templates synced from the simulator) and a second, inactive one."""
    transport = Transport.objects.get(pk=wa_transport["id"])
    templates_sync(transport=transport)
    settings.TRANSPORT_ALLOWED_HOSTS = [*settings.TRANSPORT_ALLOWED_HOSTS, transport.config["baseUrl"].split("://")[1]]
    return transport


def _perms(*codenames):
    return Permission.objects.filter(codename__in=codenames, content_type__app_label="broadcasts")


def _template(transport, name) -> Template:
    return Template.objects.get(transport=transport, name=name)


def _csv(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("people.csv", text.encode(), content_type="text/csv")


def _step1(client, transport, template, **fields):
    body = {"transport": transport.pk, "template": template.pk, "address_column": "phone", "time_zone": "UTC",
            **fields}
    return client.post(ADD, body)


def _token(response) -> str:
    problems = r"errorlist.*?</ul>|errornote.*?</div>|rejected-rows.*?</table>"
    assert response.status_code == 302, re.findall(problems, response.content.decode(), re.S)
    return re.search(r"campaign=([\w-]+)", response["Location"]).group(1)


def test_the_form_lists_only_approved_templates_of_active_whatsapp_transports(admin_client, campaign, app):
    inactive = Transport.objects.create(app=app, name="wa-off", config=campaign.config, is_active=False)
    Template.objects.create(app=app, transport=inactive, name="off_template", language="en_US", category="UTILITY",
                            status="APPROVED", components=[])
    page = admin_client.get(ADD).content.decode()
    assert "appointment_reminder · en_US · UTILITY" in page and "order_confirmation · en_US · UTILITY" in page
    for hidden in ("old_promo", "legacy_notice", "new_offer", "off_template", "wa-off"):  # PAUSED, DISABLED, PENDING
        assert hidden not in page


def test_a_csv_with_one_bad_row_shows_its_error_and_stores_nothing(admin_client, campaign):
    template = _template(campaign, "order_confirmation")
    response = _step1(admin_client, campaign, template, param_1="Ana", param_2="B-1", param_3="Monday",
                      recipients_csv=_csv("phone\n+12025550101\n12\n+12025550101\n"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "1 rejected row" in page
    assert "<td>3</td><td>12</td><td>impossible phone number (too short)</td>" in page
    assert Session.objects.count() == 0 and Broadcast.objects.count() == 0
    token = re.search(r'name="campaign" value="([\w-]+)"', page).group(1)
    download = admin_client.get(f"{ADD}?campaign={token}&download=rejected")
    assert download["Content-Type"].startswith("text/csv")
    assert download.content.decode().splitlines() == ["row,value,reason", "3,12,impossible phone number (too short)"]
    # Ticking "valid rows only" with the kept file goes on to the preview: 1 valid, 1 invalid, 1 duplicate.
    response = _step1(admin_client, campaign, template, param_1="Ana", param_2="B-1", param_3="Monday",
                      campaign=token, skip_invalid="on")
    preview = admin_client.get(response["Location"]).content.decode()
    assert "Valid recipients: <strong>1</strong>" in preview
    assert "Rejected rows (left out): <strong>1</strong>" in preview
    assert "Duplicates (merged): <strong>1</strong>" in preview
    assert Session.objects.count() == 0


def test_a_file_the_service_cannot_read_is_an_error_on_the_form(admin_client, campaign):
    template = _template(campaign, "hello_world")
    response = _step1(admin_client, campaign, template, recipients_csv=_csv("number\n+12025550101\n"))
    assert response.status_code == 200
    assert 'The CSV has no column &quot;phone&quot;' in response.content.decode()
    assert Session.objects.count() == 0


def test_pasted_numbers_preview_with_the_columns_values_and_confirm_creates_one_session(admin_client, campaign):
    template = _template(campaign, "appointment_reminder")
    csv_text = "phone,name,date\n+12025550101,Ana,Monday\n+12025550102,Ben,Tuesday\n"
    response = _step1(admin_client, campaign, template, recipients_csv=_csv(csv_text), column_param_first_name="name",
                      param_first_name="there", column_param_date="date", param_time="10:00")
    _token(response)
    preview_url = response["Location"]
    preview = admin_client.get(preview_url).content.decode()
    assert "Hello Ana, your appointment is on Monday at 10:00. See you!" in preview
    assert "Hello Ben, your appointment is on Tuesday at 10:00. See you!" in preview
    assert "Valid recipients: <strong>2</strong>" in preview
    assert Session.objects.count() == 0
    response = admin_client.post(preview_url, {"_confirm": "1"})
    session = Session.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/broadcasts/session/{session.pk}/change/"
    assert session.status == Session.Status.NEW and session.total == 2 and session.transport_id == campaign.pk
    assert session.message["meta"] == {  # the fixed values; `date` comes from each row
        "templateName": "appointment_reminder", "language": "en_US",
        "parameters": {"first_name": "there", "date": "", "time": "10:00"},
    }
    rows = list(session.broadcasts.order_by("address").values_list("address", "params"))
    assert rows == [("12025550101", {"name": "Ana", "first_name": "Ana", "date": "Monday"}),
                    ("12025550102", {"name": "Ben", "first_name": "Ben", "date": "Tuesday"})]
    # The draft is gone: confirming twice does not make a second session.
    admin_client.post(preview_url, {"_confirm": "1"})
    assert Session.objects.count() == 1


def test_pasted_numbers_become_the_recipients(admin_client, campaign):
    template = _template(campaign, "hello_world")
    response = _step1(admin_client, campaign, template, numbers="+1 202 555 0101\n\n+12025550102\n+12025550101\n")
    admin_client.post(response["Location"], {"_confirm": "1"})
    session = Session.objects.get()
    assert sorted(session.broadcasts.values_list("address", flat=True)) == ["12025550101", "12025550102"]
    assert session.message["meta"] == {"templateName": "hello_world", "language": "en_US"}


def test_send_at_makes_the_session_scheduled(admin_client, campaign):
    template = _template(campaign, "hello_world")
    when = (timezone.now() + timedelta(hours=2)).astimezone(timezone.get_fixed_timezone(60))
    response = _step1(admin_client, campaign, template, numbers="+12025550101",
                      send_at=when.strftime("%Y-%m-%dT%H:%M"), time_zone="Europe/Madrid")
    preview = admin_client.get(response["Location"]).content.decode()
    assert "Scheduled for" in preview
    admin_client.post(response["Location"], {"_confirm": "1"})
    session = Session.objects.get()
    assert session.status == Session.Status.SCHEDULED
    wall = when.replace(second=0, microsecond=0).replace(tzinfo=None)
    assert session.send_at == wall.replace(tzinfo=zoneinfo.ZoneInfo("Europe/Madrid"))


def test_the_preview_test_send_goes_to_dev_phone_through_the_test_send(admin_client, campaign, settings):
    settings.DEV_PHONE = "+12025550199"
    template = _template(campaign, "order_confirmation")
    response = _step1(admin_client, campaign, template, param_1="Ana", param_2="B-1", param_3="Monday",
                      numbers="+12025550101")
    preview = admin_client.get(response["Location"]).content.decode()
    assert 'value="+12025550199"' in preview
    assert "Hi Ana, your order B-1 is confirmed and will arrive on Monday. Thank you!" in preview
    answer = admin_client.post(response["Location"], {"_test": "1", "to": "+12025550199"}).content.decode()
    assert "Test send: Sent: HTTP 200" in answer
    test = Session.objects.get()
    assert test.is_test and list(test.broadcasts.values_list("address", flat=True)) == ["12025550199"]
    assert test.message["meta"]["parameters"] == ["Ana", "B-1", "Monday"]


def test_numbers_are_masked_for_staff_without_the_personal_data_permission(client, campaign, django_user_model):
    user = django_user_model.objects.create_user("clerk", password="a-long-password-1", is_staff=True)
    user.user_permissions.add(*_perms("add_session", "view_session"))
    client.force_login(user)
    template = _template(campaign, "hello_world")
    response = _step1(client, campaign, template, numbers="+12025550101\n1234567")
    rejected = re.search(r'id="rejected-rows".*?</table>', response.content.decode(), re.S).group(0)
    assert "<td>3</td><td>1234*67</td>" in rejected and "1234567" not in rejected  # the form keeps what was typed
    response = _step1(client, campaign, template, numbers="+12025550101", skip_invalid="on")
    preview = client.get(response["Location"]).content.decode()
    assert "12025550101" not in preview and "1202*****01" in preview


def test_without_the_add_permission_the_form_is_a_403_and_the_list_has_no_button(client, db, django_user_model):
    user = django_user_model.objects.create_user("viewer", password="a-long-password-1", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_session", content_type__app_label="broadcasts"))
    client.force_login(user)
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, {}).status_code == 403
    assert 'id="new-campaign"' not in client.get("/admin/broadcasts/session/").content.decode()


def test_with_the_add_permission_the_list_has_the_button(client, db, django_user_model):
    user = django_user_model.objects.create_user("maker", password="a-long-password-1", is_staff=True)
    user.user_permissions.add(*_perms("add_session", "view_session"))
    client.force_login(user)
    assert 'id="new-campaign">New campaign</a>' in client.get("/admin/broadcasts/session/").content.decode()
    assert client.get(ADD).status_code == 200


def test_a_media_header_template_asks_for_its_link_and_positional_values(admin_client, campaign):
    template = _template(campaign, "promo_image")
    page = admin_client.get(ADD, {"transport": campaign.pk, "template": template.pk}).content.decode()
    assert 'name="header_link"' in page and 'name="header_id"' in page and 'name="param_1"' in page
    assert 'name="column_param_1"' in page and 'name="column_header_link"' in page
    response = _step1(admin_client, campaign, template, param_1="20%", header_link="https://example.com/a.jpg",
                      numbers="+12025550101")
    preview = admin_client.get(response["Location"]).content.decode()
    assert "Our spring sale starts today: 20% off everything in store." in preview
    admin_client.post(response["Location"], {"_confirm": "1"})
    assert Session.objects.get().message["meta"]["header"] == {"type": "image", "link": "https://example.com/a.jpg"}


def test_a_template_from_another_transport_is_refused(admin_client, campaign, app):
    other = Transport.objects.create(app=app, name="wa-2", config=campaign.config)
    response = _step1(admin_client, other, _template(campaign, "hello_world"), numbers="+12025550101")
    assert "Not a template of wa-2: pick one of its own." in response.content.decode()
    assert Session.objects.count() == 0


def test_csv_columns_fill_positional_parameters(admin_client, campaign):
    template = _template(campaign, "order_confirmation")
    csv_text = "phone,name,order\n+12025550101,Ana,B-1\n+12025550102,Ben,\n"
    response = _step1(admin_client, campaign, template, recipients_csv=_csv(csv_text), column_param_1="name",
                      column_param_2="order", param_2="(no number)", param_3="12 March")
    preview = admin_client.get(response["Location"]).content.decode()
    assert "Hi Ana, your order B-1 is confirmed and will arrive on 12 March. Thank you!" in preview
    assert "Hi Ben, your order (no number) is confirmed" in preview  # an empty cell: the fixed value
    admin_client.post(response["Location"], {"_confirm": "1"})
    params = dict(Session.objects.get().broadcasts.values_list("address", "params"))
    assert params["12025550101"]["parameters"] == ["Ana", "B-1", "12 March"]
    assert params["12025550102"]["parameters"] == ["Ben", "(no number)", "12 March"]


def test_a_button_parameter_from_a_column_shows_in_the_preview_and_the_test_send(admin_client, campaign, simulator):
    template = _template(campaign, "shipping_update")
    page = admin_client.get(ADD, {"transport": campaign.pk, "template": template.pk}).content.decode()
    assert 'name="button_0"' in page and 'name="column_button_0"' in page
    assert "Track parcel → https://shop.example.com/track/{{1}}" in page
    csv_text = "phone,parcel\n+12025550101,P-7\n+12025550102,\n"
    response = _step1(admin_client, campaign, template, recipients_csv=_csv(csv_text), column_param_1="parcel",
                      column_button_0="parcel")
    page = response.content.decode()
    assert response.status_code == 200 and "rejected-rows" in page
    assert "the column &quot;parcel&quot; is empty and the message has no value of its own for body.1" in page
    response = _step1(admin_client, campaign, template, campaign=re.search(r'name="campaign" value="([\w-]+)"',
                      page).group(1), column_param_1="parcel", column_button_0="parcel", skip_invalid="on")
    preview = admin_client.get(response["Location"]).content.decode()
    assert "Good news: your parcel P-7 is on its way." in preview
    assert "Track parcel → https://shop.example.com/track/P-7" in preview and "Stop updates" in preview
    answer = admin_client.post(response["Location"], {"_test": "1", "to": "+12025550199"}).content.decode()
    assert "Test send: Sent: HTTP 200" in answer
    sent = simulator.messages()[-1]["payload"]["template"]["components"]
    assert {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "P-7"}]} in sent


def test_the_preview_counts_the_recipients_on_the_opt_out_list(admin_client, campaign):
    from broadcasts.services.optouts import optout_create

    optout_create(app=campaign.app, address="+12025550102")
    optout_create(app=campaign.app, address="+12025550103", scope="marketing")  # a utility template still goes
    optout_create(app=campaign.app, address="+12025550109")  # not in the list
    template = _template(campaign, "hello_world")
    response = _step1(admin_client, campaign, template, numbers="+12025550101\n+12025550102\n+12025550103\n")
    preview = admin_client.get(response["Location"]).content.decode()
    assert "Valid recipients: <strong>3</strong>" in preview
    assert "Suppressed (on the opt-out list, stored but never sent): <strong>1</strong>" in preview
    assert "Estimated duration of 2 messages at" in preview


def test_the_preview_counts_no_other_apps_opt_outs(admin_client, campaign, other_app):
    from broadcasts.services.optouts import optout_create

    optout_create(app=other_app, address="+12025550101")
    response = _step1(admin_client, campaign, _template(campaign, "hello_world"), numbers="+12025550101\n")
    preview = admin_client.get(response["Location"]).content.decode()
    assert "Suppressed (on the opt-out list, stored but never sent): <strong>0</strong>" in preview


def test_the_rejected_rows_download_as_csv(admin_client, campaign):
    template = _template(campaign, "hello_world")
    response = _step1(admin_client, campaign, template, recipients_csv=_csv("phone\n+12025550101\n12\n=1+1\n"))
    token = re.search(r'name="campaign" value="([\w-]+)"', response.content.decode()).group(1)
    download = admin_client.get(ADD, {"campaign": token, "download": "rejected"})
    assert download["Content-Disposition"] == 'attachment; filename="rejected-rows.csv"'
    lines = download.content.decode().splitlines()
    assert lines[0] == "row,value,reason" and lines[1].startswith("3,12,") and lines[2].startswith("4,'=1+1,")
