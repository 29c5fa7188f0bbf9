"""The CSV audience service: any spreadsheet's export in, every row checked, bad ones named by row number."""

import io

import pytest

from broadcasts.services.audiences import CSVRecipients, audience_columns, audience_from_csv
from broadcasts.services.errors import SessionError
from transports.models import Transport

MESSAGE = {"content": "Hello {%recipient.params.first_name%}"}


@pytest.fixture
def transport(app):
    """A generic phone transport whose body uses a recipient param (no Meta, no network)."""
    return Transport.objects.create(app=app, name="sms", config={
        "request": {"url": "https://sms.example.com/send", "body": {"to": "{%address%}", "text": "{%message.content%}",
                                                                    "name": "{%recipient.params.first_name%}"}},
        "phoneStrictness": "possible",
    })


def _read(transport, data: bytes | str, **options):
    raw = data.encode() if isinstance(data, str) else data
    return audience_from_csv(file=io.BytesIO(raw), transport=transport, message=MESSAGE, **options)


def _refusal(transport, data, **options) -> SessionError:
    with pytest.raises(SessionError) as caught:
        _read(transport, data, **options)
    return caught.value


def test_it_reads_the_phone_column_and_makes_the_other_columns_params(transport):
    audience = _read(transport, "phone,first_name,city\r\n+1 415 555 0123,Ana,Madrid\r\n+14155550124,Ben,\r\n")
    assert audience.valid == [
        ("14155550123", {"first_name": "Ana", "city": "Madrid"}),
        ("14155550124", {"first_name": "Ben"}),  # an empty cell is left out: the message's value applies
    ]
    assert (audience.rows, audience.rejected, audience.duplicates) == (2, [], 0)
    assert audience.param_columns == ["first_name", "city"]


def test_it_drops_a_utf8_bom(transport):
    audience = _read(transport, "\ufeffphone,first_name\n+14155550123,José\n".encode())
    assert audience.valid == [("14155550123", {"first_name": "José"})]
    assert audience.address_column == "phone"


def test_it_detects_semicolons_and_reads_quoted_fields(transport):
    data = 'first_name;phone;note\n"Doe; Ana";+14155550123;"she said ""hi""\non two lines"\nBen;+14155550124;x\n'
    audience = _read(transport, data)
    assert audience.delimiter == ";"
    assert audience.valid == [
        ("14155550123", {"first_name": "Doe; Ana", "note": 'she said "hi"\non two lines'}),
        ("14155550124", {"first_name": "Ben", "note": "x"}),
    ]


def test_commas_inside_quotes_do_not_make_a_comma_file_look_like_another(transport):
    audience = _read(transport, 'phone,"first_name"\n+14155550123,"Doe; Ana, Jr"\n')
    assert audience.delimiter == ","
    assert audience.valid == [("14155550123", {"first_name": "Doe; Ana, Jr"})]


def test_bad_rows_are_rejected_by_their_spreadsheet_row_number_and_the_rest_kept(transport):
    data = "phone,first_name\n+14155550123,Ana\n12,Ben\n\n+14155550124,Cy,extra\nnot a number,Di\n+14155550125,Ed\n"
    audience = _read(transport, data)
    assert [row["row"] for row in audience.rejected] == [3, 5, 6]  # line 4 is blank: no row, still counted
    assert audience.rejected[0] == {"row": 3, "address": "12", "error": "impossible phone number (too short)"}
    assert "3 fields, but the header has 2" in audience.rejected[1]["error"]
    assert audience.rejected[2]["address"] == "not a number"
    assert [address for address, _ in audience.valid] == ["14155550123", "14155550125"]
    assert audience.rows == 5


def test_duplicates_are_merged_into_the_first_row_and_counted(transport):
    data = "phone,first_name\n+1 415 555 0123,Ana\n0014155550123,Ana again\n(415) 555-0123,Ana thrice\n"
    audience = _read(transport, data)
    assert audience.valid == [("14155550123", {"first_name": "Ana"})]
    assert audience.duplicates == 2


def test_another_address_column_can_be_chosen_and_its_case_need_not_match(transport):
    audience = _read(transport, "Mobile,first_name\n+14155550123,Ana\n", address_column="mobile")
    assert audience.valid == [("14155550123", {"first_name": "Ana"})]
    assert audience.address_column == "Mobile"


def test_a_missing_address_column_is_refused_naming_the_columns_there_are(transport):
    error = _refusal(transport, "mobile,name\n+14155550123,Ana\n")
    assert error.field == "address_column"
    assert error.code == "missing_address_column"
    assert 'no column "phone"' in error.message and '"mobile", "name"' in error.message


def test_a_file_in_another_encoding_is_refused_naming_the_encoding_problem(transport):
    error = _refusal(transport, "phone,first_name\n+14155550123,José\n".encode("cp1252"))
    assert (error.field, error.code) == ("recipients_csv", "invalid_csv_encoding")
    assert "not UTF-8: line 2 has the byte 0xe9" in error.message
    assert 'save it as "CSV UTF-8"' in error.message


def test_utf16_is_named_as_such(transport):
    error = _refusal(transport, "phone\n+14155550123\n".encode("utf-16"))
    assert "The CSV is UTF-16" in error.message


def test_an_empty_file_and_an_unclosed_quote_are_refused(transport):
    assert "The CSV is empty" in _refusal(transport, b"").message
    error = _refusal(transport, 'phone,first_name\n+14155550123,"Ana\n')
    assert error.field == "recipients_csv" and "cannot be read" in error.message


def test_a_header_naming_a_column_twice_is_refused(transport):
    assert 'names the column "name" twice' in _refusal(transport, "phone,name,name\n1,2,3\n").message


def test_the_row_limit_holds_and_the_one_row_more_is_a_refusal_that_says_the_limit(transport, settings):
    settings.MAX_RECIPIENTS_PER_SESSION = 100_000
    rows = "".join(f"+1555{n:07d},Ana\n" for n in range(100_001))
    error = _refusal(transport, "phone,first_name\n" + rows)
    assert error.code == "too_many_recipients" and error.status == 400
    assert "At most 100,000 rows per CSV" in error.message and "row 100002" in error.message
    assert len(_read(transport, "phone,first_name\n" + rows[: rows.rindex("+1555")]).valid) == 100_000


def test_a_param_that_the_transport_refuses_rejects_the_row(transport):
    transport.config["request"]["body"]["city"] = "{%recipient.params.city%}"
    transport.save()
    audience = _read(transport, "phone,first_name,city\n+14155550123,Ana,Madrid\n+14155550124,Ben,\n")
    assert audience.valid == [("14155550123", {"first_name": "Ana", "city": "Madrid"})]
    assert audience.rejected == [
        {"row": 3, "address": "+14155550124", "error": "missing recipient param {%recipient.params.city%}"}
    ]


def test_the_columns_of_a_header_are_read_for_a_form_and_the_file_is_rewound():
    file = io.BytesIO('\ufeffphone;"first; name";order\n+14155550123;Ana;1\n'.encode())
    assert audience_columns(file=file) == ["phone", "first; name", "order"]
    assert file.read(3) == b"\xef\xbb\xbf"


def test_the_same_upload_has_the_same_fingerprint_and_another_column_another():
    def fingerprint(data, column="phone"):
        return CSVRecipients(file=io.BytesIO(data), address_column=column).fingerprint()

    assert fingerprint(b"phone\n1\n") == fingerprint(b"phone\n1\n")
    assert fingerprint(b"phone\n1\n") != fingerprint(b"phone\n2\n")
    assert fingerprint(b"phone\n1\n") != fingerprint(b"phone\n1\n", "mobile")
