"""The opt-out list in the admin: list, add, remove, CSV import and export."""

from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from broadcasts.models import OptOut

URL = "/admin/broadcasts/optout/"


def test_it_lists_opt_outs_with_full_numbers_for_operators_allowed_to_see_them(admin_client, app):
    OptOut.objects.create(app=app, address="12025550101", scope="marketing", reason="Replied STOP")
    page = admin_client.get(URL).content.decode()
    assert "12025550101" in page and "Replied STOP" in page and "Import CSV" in page


def test_staff_without_the_personal_data_permission_see_masked_numbers(client, app, django_user_model):
    OptOut.objects.create(app=app, address="12025550101")
    staff = django_user_model.objects.create_user("op", password="pw-12345678", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_optout"))
    client.force_login(staff)
    page = client.get(URL).content.decode()
    assert "12025550101" not in page
    assert "1202*****01" in page


def test_an_operator_adds_an_opt_out_normalized(admin_client, app):
    response = admin_client.post(f"{URL}add/", {"app": app.pk, "address": "+1 (202) 555-0101", "scope": "all",
                                                "reason": "Called support"})
    assert response.status_code == 302, response.content.decode()[:2000]
    optout = OptOut.objects.get()
    assert (optout.app, optout.address, optout.scope, optout.source) == (app, "12025550101", "all", "admin")


def test_a_bad_address_is_refused_in_the_form_and_nothing_is_stored(admin_client, app):
    response = admin_client.post(f"{URL}add/", {"app": app.pk, "address": "12", "scope": "all"})
    assert response.status_code == 200
    assert "impossible phone number" in response.content.decode()
    assert not OptOut.objects.exists()


def test_an_operator_removes_opt_outs_with_the_action(admin_client, app, other_app):
    mine = OptOut.objects.create(app=app, address="12025550101")
    theirs = OptOut.objects.create(app=other_app, address="12025550101")
    response = admin_client.post(URL, {"action": "remove_optouts", "_selected_action": [mine.pk]})
    assert response.status_code == 302
    assert list(OptOut.objects.all()) == [theirs]


def test_the_selected_opt_outs_export_as_csv(admin_client, app):
    first = OptOut.objects.create(
        app=app, address="12025550101", scope="marketing", reason="Pressed STOP", source="button"
    )
    response = admin_client.post(URL, {"action": "export_csv", "_selected_action": [first.pk]})
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "address,scope,reason,source,created_at"
    assert lines[1].startswith("12025550101,marketing,Pressed STOP,button,")
    assert len(lines) == 2


def test_a_csv_import_adds_every_line_for_the_chosen_app(admin_client, app, other_app):
    csv = "address,scope,reason\n+1 202 555 0101,marketing,Form\n12025550199,,\nUS.13491208655302741918,all,\n"
    response = admin_client.post(f"{URL}import/", {"app": app.pk, "file": SimpleUploadedFile("o.csv", csv.encode())})
    assert response.status_code == 302
    assert sorted(OptOut.objects.filter(app=app).values_list("address", "scope", "source")) == [
        ("12025550101", "marketing", "import"), ("12025550199", "all", "import"),
        ("US.13491208655302741918", "all", "import"),
    ]
    assert not OptOut.objects.filter(app=other_app).exists()


def test_a_csv_with_a_bad_line_imports_nothing_and_names_the_line(admin_client, app):
    csv = "address,scope\n+12025550101,all\n12,all\n+12025550199,sometimes\n"
    response = admin_client.post(f"{URL}import/", {"app": app.pk, "file": SimpleUploadedFile("o.csv", csv.encode())})
    page = response.content.decode()
    assert response.status_code == 200
    assert "line 3: address: impossible phone number" in page and "line 4: scope:" in page
    assert not OptOut.objects.exists()
