"""CSV sends, exports and retargets through the API, as an integrator makes them."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from broadcasts.models import Broadcast, Session
from broadcasts.testing import make_session
from transports.models import Transport

HELLO = {"meta": {"templateName": "hello_world", "language": "en_US"}}
NAMED = {"meta": {"templateName": "appointment_reminder", "language": "en_US",
                  "parameters": {"first_name": "there", "date": "soon", "time": "10:00"}}}


def _upload(api, transport, data: bytes | str, message=HELLO, **fields):
    raw = data.encode() if isinstance(data, str) else data
    query = fields.pop("query", "")
    headers = {name: fields.pop(name) for name in list(fields) if name.startswith("HTTP_")}
    body = {
        "transport": str(transport["id"]), "message": json.dumps(message),
        "recipients_csv": SimpleUploadedFile("people.csv", raw, content_type="text/csv"), **fields,
    }
    return api.post("/api/v1/sessions" + query, body, format="multipart", **headers)


def test_a_csv_send_stores_one_broadcast_per_address_with_the_other_columns_as_params(api, wa_transport):
    data = "\ufeffphone;first_name;date\r\n+1 202 555 0101;Ana;Monday\r\n+12025550102;Ben;\r\n0012025550101;Ana;x\r\n"
    response = _upload(api, wa_transport, data, message=NAMED)
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["total"], body["duplicates"], body["invalid"], body["retargeted_from"]) == (2, 1, [], None)
    rows = Broadcast.objects.filter(session_id=body["id"]).order_by("id").values_list("address", "params")
    assert list(rows) == [
        ("12025550101", {"first_name": "Ana", "date": "Monday"}), ("12025550102", {"first_name": "Ben"}),
    ]


def test_bad_rows_are_a_400_listing_each_row_and_nothing_is_stored(api, wa_transport):
    response = _upload(api, wa_transport, "phone,first_name\n+12025550101,Ana\n12,Ben\nnope,Cy\n")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_recipients"
    assert body["recipients_csv"] == [
        {"row": 3, "address": "12", "error": "impossible phone number (too short)"},
        {"row": 4, "address": "nope", "error": body["recipients_csv"][1]["error"]},
    ]
    assert body["detail"] == "recipients_csv: row 3: impossible phone number (too short) (and 1 more problem)"
    assert Session.objects.count() == 0 and Broadcast.objects.count() == 0


def test_skip_invalid_sends_to_the_good_rows_and_reports_the_others_by_row(api, wa_transport):
    response = _upload(api, wa_transport, "phone\n+12025550101\n12\n", query="?skip_invalid=true")
    assert response.status_code == 202, response.content
    assert response.json()["invalid"] == [{"row": 3, "address": "12", "error": "impossible phone number (too short)"}]
    assert response.json()["total"] == 1


@pytest.mark.parametrize(("data", "fields", "field", "code", "words"), [
    ("mobile\n+12025550101\n", {}, "address_column", "missing_address_column", 'no column "phone"'),
    ("phone\n+12025550101\n", {"address_column": "tel"}, "address_column", "missing_address_column", '"tel"'),
    ("phone,name\n+12025550101,Jos\xe9\n".encode("latin-1"), {}, "recipients_csv", "invalid_csv_encoding",
     "not UTF-8: line 2"),
    ("", {}, "recipients_csv", "invalid_csv", "The CSV is empty"),
])
def test_a_csv_that_cannot_be_read_is_a_400_naming_the_field(api, wa_transport, data, fields, field, code, words):
    response = _upload(api, wa_transport, data, **fields)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == code
    assert words in body[field][0]
    assert Session.objects.count() == 0


def test_a_csv_over_the_row_limit_is_a_400_that_says_the_limit(api, wa_transport, settings):
    settings.MAX_RECIPIENTS_PER_SESSION = 3
    response = _upload(api, wa_transport, "phone\n" + "".join(f"+1202555010{n}\n" for n in range(4)))
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_recipients"
    assert "At most 3 rows per CSV" in response.json()["recipients_csv"][0]


@pytest.mark.parametrize(("fields", "field"), [
    ({"message": "{not json"}, "message"),
    ({"message": "[]"}, "message"),
    ({"transport": "x"}, "transport"),
])
def test_bad_form_fields_are_400s_naming_them(api, wa_transport, fields, field):
    body = {"transport": str(wa_transport["id"]), "message": json.dumps(HELLO),
            "recipients_csv": SimpleUploadedFile("p.csv", b"phone\n+12025550101\n"), **fields}
    response = api.post("/api/v1/sessions", body, format="multipart")
    assert response.status_code == 400
    assert field in response.json()


def test_a_form_without_the_file_names_it(api, wa_transport):
    response = api.post("/api/v1/sessions", {"transport": "1", "message": "{}"}, format="multipart")
    assert response.status_code == 400
    assert "recipients_csv" in response.json()


def test_the_same_upload_with_the_same_idempotency_key_is_the_first_session(api, wa_transport):
    first = _upload(api, wa_transport, "phone\n+12025550101\n", HTTP_IDEMPOTENCY_KEY="list-7")
    again = _upload(api, wa_transport, "phone\n+12025550101\n", HTTP_IDEMPOTENCY_KEY="list-7")
    other = _upload(api, wa_transport, "phone\n+12025550102\n", HTTP_IDEMPOTENCY_KEY="list-7")
    assert (first.status_code, again.status_code, other.status_code) == (202, 200, 409)
    assert again.json()["id"] == first.json()["id"]


def test_another_apps_transport_is_refused_for_a_csv_send(other_api, wa_transport):
    response = _upload(other_api, wa_transport, "phone\n+12025550101\n")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_transport"
    assert Session.objects.count() == 0


# --- export -----------------------------------------------------------------------------------------------


def _exported(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_the_export_has_one_row_per_broadcast_with_its_results(api, app, wa_transport):
    session = make_session(app, wa_transport["id"], [("READ", "", 1), ("FAILED", "PERMANENT", 2)])
    first, second = Broadcast.objects.filter(session=session).order_by("id")
    Broadcast.objects.filter(pk=first.pk).update(wamid="wamid.A", params={"first_name": "Ana"})
    Broadcast.objects.filter(pk=second.pk).update(error_code="131026", error_title="Message undeliverable")
    response = api.get(f"/api/v1/sessions/{session.pk}/broadcasts.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="session-{session.pk}-broadcasts.csv"' in response["Content-Disposition"]
    rows = _exported(response)
    assert [(r["id"], r["address"], r["status"], r["wamid"], r["attempts"]) for r in rows] == [
        (str(first.pk), first.address, "READ", "wamid.A", "1"), (str(second.pk), second.address, "FAILED", "", "2"),
    ]
    assert json.loads(rows[0]["params"]) == {"first_name": "Ana"}
    assert (rows[1]["error_code"], rows[1]["error_title"]) == ("131026", "Message undeliverable")


def test_formula_cells_are_neutralised_in_the_export(api, app, wa_transport):
    session = make_session(app, wa_transport["id"], [("FAILED", "PERMANENT", 1)] * 4)
    titles = ["=HYPERLINK(\"http://evil\")", "+1+1", "-2", "@SUM(A1)"]
    for broadcast, title in zip(Broadcast.objects.filter(session=session).order_by("id"), titles, strict=True):
        Broadcast.objects.filter(pk=broadcast.pk).update(error_title=title, error_code=title[:5])
    rows = _exported(api.get(f"/api/v1/sessions/{session.pk}/broadcasts.csv"))
    assert [row["error_title"] for row in rows] == [f"'{title}" for title in titles]
    assert all(row["error_code"].startswith("'") for row in rows)


def test_an_accept_header_for_csv_is_honoured_and_an_unknown_session_is_a_json_404(api, app, wa_transport):
    session = make_session(app, wa_transport["id"], [("SENT", "", 1)])
    assert api.get(f"/api/v1/sessions/{session.pk}/broadcasts.csv", HTTP_ACCEPT="text/csv").status_code == 200
    missing = api.get("/api/v1/sessions/6f1c2a7e-0d55-4a4e-9a51-2b0f1f6f2c11/broadcasts.csv", HTTP_ACCEPT="text/csv")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


def test_another_app_cannot_export_the_session(other_api, app, wa_transport):
    session = make_session(app, wa_transport["id"], [("SENT", "", 1)])
    assert other_api.get(f"/api/v1/sessions/{session.pk}/broadcasts.csv").status_code == 404


# --- retarget ---------------------------------------------------------------------------------------------


def _retarget(api, session, **body):
    return api.post(f"/api/v1/sessions/{session.pk}/retarget", {"message": HELLO, **body}, format="json")


def test_retarget_sends_a_new_session_to_the_recipients_in_the_chosen_statuses(api, app, wa_transport):
    session = make_session(app, wa_transport["id"], [("DELIVERED", "", 1), ("READ", "", 1), ("FAILED", "", 1)])
    delivered = Broadcast.objects.filter(session=session, status="DELIVERED").get()
    response = _retarget(api, session, statuses=["DELIVERED"])
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["retargeted_from"], body["total"], body["status"]) == (str(session.pk), 1, "NEW")
    new = Session.objects.get(pk=body["id"])
    assert new.retargeted_from_id == session.pk and new.transport_id == session.transport_id
    assert list(new.broadcasts.values_list("address", flat=True)) == [delivered.address]  # delivered, not read
    assert api.get(f"/api/v1/sessions/{new.pk}").json()["retargeted_from"] == str(session.pk)

    everyone = _retarget(api, session, statuses=["DELIVERED", "READ"]).json()
    assert everyone["total"] == 2


def test_retarget_keeps_each_recipients_params_unless_asked_not_to(api, app, wa_transport):
    session = make_session(app, wa_transport["id"], [("FAILED", "", 1)])
    Broadcast.objects.filter(session=session).update(params={"first_name": "Ana"})
    kept = _retarget(api, session, statuses=["FAILED"], message=NAMED).json()
    dropped = _retarget(api, session, statuses=["FAILED"], keep_params=False).json()
    assert Broadcast.objects.get(session_id=kept["id"]).params == {"first_name": "Ana"}
    assert Broadcast.objects.get(session_id=dropped["id"]).params == {}


@pytest.mark.parametrize(("statuses", "words"), [
    (["QUEUED", "SENDING"], "QUEUED, SENDING cannot be retargeted"),
    (["NOT_A_STATUS"], "not a valid choice"),
    ([], "This list may not be empty."),
])
def test_retarget_statuses_are_checked_against_the_real_ones(api, app, wa_transport, statuses, words):
    session = make_session(app, wa_transport["id"], [("DELIVERED", "", 1)])
    response = _retarget(api, session, statuses=statuses)
    assert response.status_code == 400
    assert words in json.dumps(response.json()["statuses"])
    assert Session.objects.count() == 1


def test_an_empty_selection_is_a_400_that_says_so(api, app, wa_transport):
    session = make_session(app, wa_transport["id"], [("READ", "", 1)])
    response = _retarget(api, session, statuses=["FAILED", "UNKNOWN"])
    assert response.status_code == 400
    assert response.json()["code"] == "empty_selection"
    assert response.json()["statuses"] == [
        "No broadcast of this session is FAILED or UNKNOWN: there is nobody to retarget."
    ]


def test_retarget_validates_the_new_message_and_stores_nothing_when_it_is_bad(api, app, wa_transport):
    session = make_session(app, wa_transport["id"], [("READ", "", 1)])
    message = {"meta": {"templateName": "order_confirmation", "language": "en_US", "parameters": ["Ana"]}}
    response = _retarget(api, session, statuses=["READ"], message=message)
    assert response.status_code == 400
    assert response.json()["code"] == "template_not_usable"
    assert Session.objects.count() == 1


def test_another_app_can_neither_retarget_the_session_nor_have_its_transport_used(
    api, other_api, app, other_app, wa_transport
):
    session = make_session(app, wa_transport["id"], [("READ", "", 1)])
    assert _retarget(other_api, session, statuses=["READ"]).status_code == 404
    theirs = Transport.objects.create(app=other_app, name="charlie-wa", config={"maxAttempts": 3})
    response = _retarget(api, session, statuses=["READ"], transport=theirs.pk)
    assert response.status_code == 400 and response.json()["code"] == "unknown_transport"
    assert Session.objects.count() == 1


# --- Template slots from columns, and more files that cannot be sent ---------------------------------------

ORDER = {"meta": {"templateName": "order_confirmation", "language": "en_US", "parameters": ["", "", "12 March"]}}
SHIPPING = {"meta": {"templateName": "shipping_update", "language": "en_US", "parameters": [""],
                     "buttons": [{"type": "url", "index": 0, "parameters": [""]}]}}


def test_columns_fill_positional_parameters_and_a_button_for_each_row(api, wa_transport):
    csv_text = "phone,name,order\n+12025550101,Ana,B-1\n+12025550102,Ben,B-2\n"
    response = _upload(api, wa_transport, csv_text, message=ORDER,
                       columns=json.dumps({"body.1": "name", "body.2": "order"}))
    assert response.status_code == 202, response.content
    params = dict(Broadcast.objects.values_list("address", "params"))
    assert params["12025550101"]["parameters"] == ["Ana", "B-1", "12 March"]
    assert params["12025550102"]["parameters"] == ["Ben", "B-2", "12 March"]

    response = _upload(api, wa_transport, "phone,parcel\n+12025550103,P-9\n", message=SHIPPING,
                       columns=json.dumps({"body.1": "parcel", "button.0": "parcel"}))
    assert response.status_code == 202, response.content
    row = Broadcast.objects.get(address="12025550103").params
    assert row["parameters"] == ["P-9"]
    assert row["buttons"] == [{"type": "url", "index": 0, "parameters": ["P-9"]}]


def test_a_row_whose_column_is_empty_where_the_message_has_no_value_is_rejected_by_row(api, wa_transport):
    response = _upload(api, wa_transport, "phone,name,order\n+12025550101,Ana,B-1\n+12025550102,,B-2\n",
                       message=ORDER, columns=json.dumps({"body.1": "name", "body.2": "order"}))
    assert response.status_code == 400
    assert response.json()["recipients_csv"] == [{
        "row": 3, "address": "+12025550102",
        "error": 'the column "name" is empty and the message has no value of its own for body.1',
    }]
    assert Session.objects.count() == 0


@pytest.mark.parametrize(("columns", "words"), [
    ({"body.1": "nope"}, 'the CSV has no column "nope"'),
    ({"body.4": "name"}, "body.4: the message has no such positional parameter"),
    ({"footer": "name"}, '"footer" is not a slot'),
    ({"button.3": "name"}, "button.3: the message has no button with that index"),
    ({"header.link": "name"}, "header.link: the message has no header"),
    (["body.1"], "An object of slot → CSV column"),
])
def test_columns_that_do_not_fit_the_file_or_the_message_are_a_400_naming_columns(api, wa_transport, columns, words):
    response = _upload(api, wa_transport, "phone,name\n+12025550101,Ana\n", message=ORDER, columns=json.dumps(columns))
    assert response.status_code == 400, response.content
    assert words in response.json()["columns"][0]
    assert Session.objects.count() == 0


@pytest.mark.parametrize(("data", "words"), [
    ("phone,name\n+12025550101,Zoë\n".encode("utf-16"), "UTF-16"),
    ("phone,name\n+12025550101,Jos\xe9\n".encode("cp1252"), "line 2 has the byte 0xe9"),
    (b"phone,name\n+12025550101,a\x00b\n", "NUL character"),
])
def test_a_csv_in_another_encoding_is_a_400_that_says_how_to_save_it(api, wa_transport, data, words):
    response = _upload(api, wa_transport, data)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_csv_encoding"
    assert words in body["recipients_csv"][0] and 'save it as "CSV UTF-8"' in body["recipients_csv"][0]
    assert Session.objects.count() == 0


def test_a_csv_without_the_chosen_address_column_names_the_columns_it_has(api, wa_transport):
    response = _upload(api, wa_transport, "mobile,name\n+12025550101,Ana\n", address_column="tel")
    assert response.status_code == 400
    assert response.json()["address_column"] == [
        'The CSV has no column "tel" (its header names "mobile", "name"): name the column with the addresses '
        'in address_column, or call it "phone".'
    ]


def test_a_csv_of_100001_rows_is_refused_at_the_row_past_the_default_limit(api, wa_transport, settings):
    assert settings.MAX_RECIPIENTS_PER_SESSION == 100_000
    rows = "".join(f"+1202{n:07d}\n" for n in range(100_001))
    response = _upload(api, wa_transport, "phone\n" + rows)
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_recipients"
    assert "row 100002" in response.json()["recipients_csv"][0]
    assert Session.objects.count() == 0 and Broadcast.objects.count() == 0


def test_formula_cells_are_sent_as_text_refused_as_addresses_and_neutralised_in_the_export(api, app, wa_transport):
    csv_text = 'phone,first_name\n+12025550101,"=HYPERLINK(""http://x.example"")"\n=1+2,Ben\n@SUM(A1),Cy\n'
    response = _upload(api, wa_transport, csv_text, message=NAMED)
    assert response.status_code == 400
    assert [(row["row"], row["address"]) for row in response.json()["recipients_csv"]] == [(3, "=1+2"), (4, "@SUM(A1)")]

    response = _upload(api, wa_transport, csv_text, message=NAMED, query="?skip_invalid=true")
    assert response.status_code == 202, response.content
    session_id = response.json()["id"]
    # The value reaches the recipient as the text it is; only a spreadsheet would run it.
    assert Broadcast.objects.get().params == {"first_name": '=HYPERLINK("http://x.example")'}
    export = api.get(f"/api/v1/sessions/{session_id}/broadcasts.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert json.loads(rows[0]["params"]) == {"first_name": '=HYPERLINK("http://x.example")'}  # a JSON object cell
    assert not [cell for row in rows for cell in row.values() if cell[:1] in ("=", "+", "-", "@")]
