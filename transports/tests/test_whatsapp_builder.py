import pytest

from transports.whatsapp.payloads import BuildError, whatsapp_payload


def _template(meta, params=None):
    return whatsapp_payload(to="15550100001", message={"content": "", "meta": meta}, params=params)["template"]


def test_it_builds_positional_body_parameters():
    template = _template({"templateName": "order_confirmation", "language": "en_US", "parameters": ["Ana", 42]})
    assert template == {
        "name": "order_confirmation",
        "language": {"code": "en_US"},
        "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "42"}]}
        ],
    }


def test_it_builds_named_parameters_with_parameter_name():
    template = _template({"templateName": "appointment_reminder", "parameters": {"first_name": "Ana", "date": "1 May"}})
    assert template["components"] == [
        {
            "type": "body",
            "parameters": [
                {"type": "text", "text": "Ana", "parameter_name": "first_name"},
                {"type": "text", "text": "1 May", "parameter_name": "date"},
            ],
        }
    ]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            {"type": "image", "link": "https://cdn.example.com/a.jpg"},
            {"type": "image", "image": {"link": "https://cdn.example.com/a.jpg"}},
        ),
        ({"type": "video", "id": "998877"}, {"type": "video", "video": {"id": "998877"}}),
        (
            {"type": "document", "link": "https://cdn.example.com/i.pdf", "filename": "invoice.pdf"},
            {"type": "document", "document": {"link": "https://cdn.example.com/i.pdf", "filename": "invoice.pdf"}},
        ),
        ({"type": "text", "text": "Hello"}, {"type": "text", "text": "Hello"}),
        (
            {"type": "document", "id": "4455", "filename": "receipt.pdf"},
            {"type": "document", "document": {"id": "4455", "filename": "receipt.pdf"}},
        ),
        (
            {"type": "text", "text": "Ana", "parameter_name": "first_name"},
            {"type": "text", "text": "Ana", "parameter_name": "first_name"},
        ),
    ],
)
def test_it_builds_headers(header, expected):
    components = _template({"templateName": "t", "header": header})["components"]
    assert components == [{"type": "header", "parameters": [expected]}]


LOCATION = {"name": "Philz Coffee", "address": "101 Forest Ave, Palo Alto"}


@pytest.mark.parametrize(
    ("latitude", "longitude", "expected"),
    [
        (37.44216251868683, -122.16153582049394, ("37.4421625187", "-122.1615358205")),
        ("37.4421", " -122.1615 ", ("37.4421", "-122.1615")),
        (-90, 180, ("-90", "180")),
        (0.00001, 0, ("0.00001", "0")),  # not 1e-05
    ],
)
def test_it_builds_a_location_header_with_decimal_strings(latitude, longitude, expected):
    header = {"type": "location", "latitude": latitude, "longitude": longitude, **LOCATION}
    components = _template({"templateName": "store_location", "header": header})["components"]
    assert components == [
        {
            "type": "header",
            "parameters": [
                {
                    "type": "location",
                    "location": {"latitude": expected[0], "longitude": expected[1], **LOCATION},
                }
            ],
        }
    ]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"latitude": 90.5}, "meta.header.latitude: must be a number (or numeric string) from -90 to 90"),
        ({"longitude": "-180.01"}, "meta.header.longitude: must be a number (or numeric string) from -180 to 180"),
        ({"latitude": "north"}, "meta.header.latitude"),
        ({"latitude": True}, "meta.header.latitude"),
        ({"longitude": float("nan")}, "meta.header.longitude"),
        ({"longitude": 10**400}, "meta.header.longitude"),
        ({"latitude": None}, "meta.header.latitude"),
        ({"name": ""}, "meta.header.name: required for a location header"),
        ({"address": None}, "meta.header.address: required for a location header"),
    ],
)
def test_a_bad_location_header_is_refused_naming_the_field_and_rule(change, words):
    header = {"type": "location", "latitude": 1, "longitude": 2, **LOCATION, **change}
    with pytest.raises(BuildError) as error:
        _template({"templateName": "store_location", "header": header})
    assert words in str(error.value)


def test_it_builds_url_and_quick_reply_buttons():
    components = _template(
        {
            "templateName": "shipping_update",
            "parameters": ["B-1"],
            "buttons": [
                {"type": "url", "index": 0, "parameters": ["abc"]},
                {"type": "quick_reply", "index": 1, "payload": "x"},
            ],
        }
    )["components"]
    assert components[1:] == [
        {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "abc"}]},
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": "1",
            "parameters": [{"type": "payload", "payload": "x"}],
        },
    ]


def test_it_builds_a_copy_code_button_as_metas_coupon_code():
    components = _template({"templateName": "promo", "buttons": [{"type": "copy_code", "index": 0, "code": "SAVE10"}]})
    assert components["components"] == [
        {"type": "button", "sub_type": "copy_code", "index": "0",
         "parameters": [{"type": "coupon_code", "coupon_code": "SAVE10"}]}
    ]


def test_a_media_header_takes_a_link_or_an_id_not_both():
    with pytest.raises(BuildError, match="exactly one of 'link' or 'id'"):
        _template({"templateName": "t", "header": {"type": "image", "link": "https://a/1.jpg", "id": "12"}})


def test_raw_components_pass_through_unchanged():
    raw = [{"type": "body", "parameters": [{"type": "currency", "currency": {"code": "USD", "amount_1000": 1}}]}]
    assert _template({"templateName": "t", "components": raw, "parameters": ["ignored"]})["components"] == raw


def test_a_message_without_template_is_a_text_message():
    payload = whatsapp_payload(to="15550100001", message={"content": "Hi there", "meta": {}})
    assert payload["type"] == "text" and payload["text"] == {"body": "Hi there", "preview_url": False}


def test_recipient_params_replace_a_positional_list_and_merge_over_named_ones():
    assert _template({"templateName": "t", "parameters": ["a", "b"]}, {"parameters": ["c", "d"]})["components"][0][
        "parameters"
    ] == [{"type": "text", "text": "c"}, {"type": "text", "text": "d"}]
    named = _template(
        {"templateName": "t", "parameters": {"first_name": "X", "date": "D"}},
        {"first_name": "Ana", "unrelated": "kept out", "parameters": {"time": "10:00"}},
    )
    assert {p["parameter_name"]: p["text"] for p in named["components"][0]["parameters"]} == {
        "first_name": "Ana",
        "date": "D",
        "time": "10:00",
    }


def test_recipient_params_can_replace_the_header():
    template = _template(
        {"templateName": "t", "header": {"type": "image", "link": "https://a/1.jpg"}},
        {"header": {"type": "image", "link": "https://a/2.jpg"}},
    )
    assert template["components"][0]["parameters"][0]["image"] == {"link": "https://a/2.jpg"}


@pytest.mark.parametrize(
    ("meta", "field"),
    [
        ({"templateName": "t", "header": {"type": "audio", "link": "x"}}, "meta.header.type"),
        ({"templateName": "t", "header": {"type": "image"}}, "meta.header"),
        ({"templateName": "t", "buttons": [{"type": "quick_reply", "index": 0}]}, "meta.buttons[0].payload"),
        ({"templateName": "t", "parameters": "Ana"}, "meta.parameters"),
        ({"templateName": "t", "parameters": [None]}, "meta.parameters[0]"),
    ],
)
def test_bad_meta_is_refused_naming_the_field(meta, field):
    with pytest.raises(BuildError, match=field.replace("[", r"\[").replace("]", r"\]")):
        _template(meta)


def test_text_over_meta_limit_is_refused():
    with pytest.raises(BuildError, match="4096"):
        whatsapp_payload(to="1", message={"content": "x" * 4097})
