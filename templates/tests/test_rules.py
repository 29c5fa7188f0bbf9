"""Meta's template rules, checked before anything is submitted."""

import pytest

from templates.requirements import requirements_of
from templates.rules import template_definition_errors
from templates.send_check import send_errors

BODY = {"type": "BODY", "text": "Hi {{1}}, order {{2}} shipped.", "example": {"body_text": [["Ana", "B-1"]]}}
VALID = {"name": "order_shipped_v2", "language": "en_US", "category": "UTILITY", "components": [BODY]}


def test_it_accepts_a_well_formed_template():
    assert template_definition_errors(VALID) == {}


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"name": "Order-Shipped"}, "name", "lowercase"),
        ({"name": "x" * 513}, "name", "1-512"),
        ({"language": "english"}, "language", "en_US"),
        ({"category": "PROMO"}, "category", "MARKETING"),
        ({"parameter_format": "MIXED"}, "parameter_format", "NAMED"),
        ({"components": []}, "components", "BODY"),
        ({"components": [{"type": "FOOTER", "text": "bye"}]}, "components", "BODY component is required"),
        ({"components": [BODY, BODY]}, "components", "Only one BODY"),
        (
            {"components": [{"type": "BODY", "text": "Hi {{1}} {{3}}", "example": {"body_text": [["a", "b"]]}}]},
            "components",
            "without gaps",
        ),
        ({"components": [{"type": "BODY", "text": "Hi {{1}}"}]}, "components", "example.body_text"),
        ({"components": [{"type": "BODY", "text": "x" * 1025}]}, "components", "limit is 1024"),
        ({"components": [BODY, {"type": "FOOTER", "text": "Code {{1}}"}]}, "components", "FOOTER text cannot"),
        ({"components": [BODY, {"type": "HEADER", "format": "IMAGE"}]}, "components", "header_handle"),
        ({"components": [BODY, {"type": "HEADER", "format": "GIF"}]}, "components", "HEADER format"),
        (
            {"components": [BODY, {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Go", "url": "http://a"}]}]},
            "components",
            "https://",
        ),
        (
            {"components": [{"type": "BODY", "text": "Hi {{first_name}}", "example": {"body_text": [["a"]]}}]},
            "components",
            "parameter_format to NAMED",
        ),
    ],
)
def test_it_names_the_field_and_the_rule(change, field, words):
    errors = template_definition_errors({**VALID, **change})
    assert field in errors
    assert any(words in message for message in errors[field]), errors


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{{1}}, your order shipped.", "cannot start or end with a variable"),
        ("Your order shipped, {{1}}", "cannot start or end with a variable"),
        ("Order {{1}}{{2}} shipped.", "side by side"),
    ],
)
def test_it_refuses_variable_placements_meta_rejects(text, words):
    samples = [f"s{i}" for i in range(text.count("{{"))]
    errors = template_definition_errors(
        {**VALID, "components": [{"type": "BODY", "text": text, "example": {"body_text": [samples]}}]}
    )
    assert any(words in message for message in errors["components"]), errors


@pytest.mark.parametrize(
    ("button", "words"),
    [
        ({"type": "PHONE_NUMBER", "text": "Call us"}, "needs phone_number"),
        ({"type": "QUICK_REPLY", "text": "Unsubscribe from all promotions"}, "longer than 25 characters"),
    ],
)
def test_it_checks_buttons_as_meta_does(button, words):
    errors = template_definition_errors({**VALID, "components": [BODY, {"type": "BUTTONS", "buttons": [button]}]})
    assert any(words in message for message in errors["components"]), errors


@pytest.mark.parametrize(
    "button",
    [
        {"type": "COPY_CODE", "example": "SPRING25"},
        {"type": "CATALOG", "text": "View catalog"},
        {"type": "MPM", "text": "View items"},
        {"type": "FLOW", "text": "Sign up", "flow_id": "1234567890"},
    ],
)
def test_it_accepts_copy_code_catalog_multi_product_and_flow_buttons(button):
    errors = template_definition_errors({**VALID, "components": [BODY, {"type": "BUTTONS", "buttons": [button]}]})
    assert errors == {}


def test_a_copy_code_button_needs_its_sample_code():
    button = {"type": "COPY_CODE", "text": "Copy"}
    errors = template_definition_errors({**VALID, "components": [BODY, {"type": "BUTTONS", "buttons": [button]}]})
    assert any("example" in message for message in errors["components"]), errors


def test_an_authentication_template_needs_no_body_text():
    definition = {
        **VALID,
        "category": "AUTHENTICATION",
        "components": [
            {"type": "BODY", "add_security_recommendation": True},
            {"type": "FOOTER", "code_expiration_minutes": 10},
            {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]},
        ],
    }
    assert template_definition_errors(definition) == {}
    assert "components" in template_definition_errors({**definition, "category": "UTILITY"})


def test_named_templates_need_named_examples():
    definition = {
        **VALID,
        "parameter_format": "NAMED",
        "components": [
            {
                "type": "BODY",
                "text": "Hi {{first_name}}, see you {{date}}.",
                "example": {"body_text_named_params": [{"param_name": "first_name", "example": "Ana"}]},
            }
        ],
    }
    assert template_definition_errors(definition) == {
        "components": ["BODY needs example.body_text_named_params for date."]
    }


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"components": [{**BODY, "example": "Ana, B-1"}]}, "example.body_text"),
        ({"components": [BODY, {"type": "HEADER", "format": "IMAGE", "example": "h"}]}, "header_handle"),
        (
            {
                "parameter_format": "NAMED",
                "components": [{"type": "BODY", "text": "Hi {{name}}.", "example": {"body_text_named_params": ["a"]}}],
            },
            "body_text_named_params for name",
        ),
        (
            {"components": [BODY, {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Go", "url": 5}]}]},
            "https://",
        ),
        ({"components": ["BODY", BODY]}, "Component 0 must be an object"),
    ],
)
def test_malformed_json_shapes_are_explained_not_a_crash(changes, words):
    # Hand-written JSON: an example as a string, named params as strings, a URL as a number.
    errors = template_definition_errors({**VALID, **changes})
    assert any(words in message for message in errors["components"]), errors


SHIPPING = [
    {"type": "HEADER", "format": "IMAGE"},
    {"type": "BODY", "text": "Hi {{1}}, order {{2}} shipped."},
    {
        "type": "BUTTONS",
        "buttons": [
            {"type": "URL", "text": "Track", "url": "https://example.com/t/{{1}}"},
            {"type": "QUICK_REPLY", "text": "Stop"},
        ],
    },
]


def test_requirements_say_what_a_send_must_give():
    requirements = requirements_of(SHIPPING)
    assert requirements.header_format == "IMAGE"
    assert requirements.body_variables == ("1", "2")
    assert requirements.describe() == (
        "an image header (link or media id); 2 positional body parameter(s) (1, 2); url button 0 parameter"
    )


@pytest.mark.parametrize(
    "header", [{"type": "image", "link": "https://example.com/a.jpg"}, {"type": "image", "id": "778"}]
)
def test_a_matching_send_has_no_errors(header):
    meta = {
        "parameters": ["Ana", "B-1"],
        "header": header,
        "buttons": [{"type": "url", "index": 0, "parameters": ["B-1"]}],
    }
    assert send_errors(name="shipping", requirements=requirements_of(SHIPPING), meta=meta) == []


@pytest.mark.parametrize(
    ("meta", "words"),
    [
        ({"parameters": ["Ana"]}, "expects 2 body parameter(s), got 1"),
        ({"parameters": {"a": 1}}, "positional parameters"),
        (
            {"parameters": ["Ana", "B"], "header": {"type": "video", "link": "https://e.com/v.mp4"}},
            "IMAGE header, not video",
        ),
        ({"parameters": ["Ana", "B"], "header": {"type": "image", "link": "ftp://x"}}, "usable header image"),
        ({"parameters": ["Ana", "B"], "header": {"type": "image", "link": "http://localhost/a.jpg"}}, "public http"),
        ({"parameters": ["Ana", "B"], "header": {"type": "image", "link": "http://10.0.0.7/a.jpg"}}, "public http"),
        ({"parameters": ["Ana", "B"]}, "IMAGE header: give header"),
    ],
)
def test_a_mismatched_send_is_explained(meta, words):
    meta = {"buttons": [{"type": "url", "index": 0, "parameters": ["B-1"]}], **meta}
    errors = send_errors(name="shipping", requirements=requirements_of(SHIPPING), meta=meta)
    assert any(words in error for error in errors), errors


def test_named_parameters_must_match_by_name():
    components = [{"type": "BODY", "text": "Hi {{first_name}} on {{date}}"}]
    errors = send_errors(
        name="reminder", requirements=requirements_of(components), meta={"parameters": {"first_name": "A", "time": "9"}}
    )
    assert errors == [
        "Template reminder is missing named parameter(s) date.",
        "Template reminder has no parameter(s) time; it takes first_name, date.",
    ]


PROMO = [
    {"type": "BODY", "text": "Hi {{1}}, here is your code."},
    {
        "type": "BUTTONS",
        "buttons": [{"type": "COPY_CODE", "example": "SAVE10"}, {"type": "QUICK_REPLY", "text": "Stop"}],
    },
]


def test_a_copy_code_button_needs_its_code_at_every_send():
    requirements = requirements_of(PROMO)
    assert requirements.describe() == "1 positional body parameter(s) (1); copy_code button 0 code"
    assert send_errors(name="promo", requirements=requirements, meta={"parameters": ["Ana"]}) == [
        "Template promo button 0 (COPY_CODE) needs its code."
    ]
    meta = {"parameters": ["Ana"], "buttons": [{"type": "copy_code", "index": 0, "code": "SAVE10"}]}
    assert send_errors(name="promo", requirements=requirements, meta=meta) == []


def test_a_button_of_the_wrong_type_is_refused():
    meta = {"parameters": ["Ana"], "buttons": [{"type": "quick_reply", "index": 0, "payload": "x"}]}
    assert send_errors(name="promo", requirements=requirements_of(PROMO), meta=meta) == [
        "Template promo button 0 is COPY_CODE, not QUICK_REPLY."
    ]


STORE = [
    {"type": "HEADER", "format": "LOCATION"},
    {"type": "BODY", "text": "Order {{1}} is ready for pickup."},
]
STORE_HEADER = {"type": "location", "latitude": 37.44, "longitude": -122.16, "name": "Philz", "address": "Forest Ave"}


def test_a_location_header_is_required_at_send_and_described():
    requirements = requirements_of(STORE)
    assert requirements.describe() == (
        "a location header (latitude, longitude, name, address); 1 positional body parameter(s) (1)"
    )
    assert send_errors(name="store", requirements=requirements, meta={"parameters": ["B-1"]}) == [
        "Template store has a LOCATION header: give header {type: location, latitude, longitude, name, address}."
    ]
    meta = {"parameters": ["B-1"], "header": STORE_HEADER}
    assert send_errors(name="store", requirements=requirements, meta=meta) == []


def test_a_location_template_refuses_another_header_type():
    meta = {"parameters": ["B-1"], "header": {"type": "image", "link": "https://e.com/a.jpg"}}
    assert send_errors(name="store", requirements=requirements_of(STORE), meta=meta) == [
        "Template store has a LOCATION header, not image."
    ]


def test_a_location_header_for_a_media_template_is_refused():
    meta = {"parameters": ["Ana", "B"], "buttons": [{"type": "url", "index": 0, "parameters": ["B-1"]}],
            "header": STORE_HEADER}
    (error,) = send_errors(name="shipping", requirements=requirements_of(SHIPPING), meta=meta)
    assert "IMAGE header, not location" in error


def test_a_header_for_a_template_without_one_is_refused():
    errors = send_errors(
        name="promo", requirements=requirements_of(PROMO[:1]),
        meta={"parameters": ["Ana"], "header": {"type": "image", "link": "https://e.com/a.jpg"}},
    )
    assert errors == ["Template promo has no header; remove meta.header."]


RAW_BODY = {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "B-1"}]}
RAW_IMAGE = {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://example.com/a.jpg"}}]}
RAW_URL_BUTTON = {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "B-1"}]}


def test_raw_components_that_fit_pass():
    meta = {"components": [RAW_IMAGE, RAW_BODY, RAW_URL_BUTTON]}
    assert send_errors(name="shipping", requirements=requirements_of(SHIPPING), meta=meta) == []


@pytest.mark.parametrize(
    ("components", "words"),
    [
        # Meta's raw shape is passed through unchanged, so it is checked as closely as the friendly fields.
        ([RAW_BODY, RAW_URL_BUTTON], "IMAGE header: give header"),
        (
            [{"type": "header", "parameters": [{"type": "video", "video": {"id": "1"}}]}, RAW_BODY, RAW_URL_BUTTON],
            "IMAGE header, not video",
        ),
        ([RAW_IMAGE, RAW_BODY], "button 0 (URL) needs its URL parameter"),
        ([RAW_IMAGE, {"type": "body", "parameters": None}, RAW_URL_BUTTON], "parameters: must be a list"),
        ([RAW_IMAGE, {"type": "body", "parameters": "abc"}, RAW_URL_BUTTON], "parameters: must be a list"),
        (["x", RAW_BODY], "components[0]: must be an object with a type"),
    ],
)
def test_raw_components_are_checked_like_the_friendly_fields(components, words):
    errors = send_errors(name="shipping", requirements=requirements_of(SHIPPING), meta={"components": components})
    assert any(words in error for error in errors), errors


def test_raw_copy_code_button_needs_its_coupon_code():
    body = {"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}
    button = {"type": "button", "sub_type": "copy_code", "index": 0, "parameters": []}
    errors = send_errors(name="promo", requirements=requirements_of(PROMO), meta={"components": [body, button]})
    assert errors == ["Template promo button 0 (COPY_CODE) needs its code."]
    button["parameters"] = [{"type": "coupon_code", "coupon_code": "SAVE10"}]
    assert send_errors(name="promo", requirements=requirements_of(PROMO), meta={"components": [body, button]}) == []
