from transports.config_schema import config_errors, config_with_defaults
from transports.whatsapp.preset import whatsapp_cloud_config

MINIMAL = {
    "request": {"url": "https://sms.example.com/send", "body": {"to": "{%address%}", "text": "{%message.content%}"}}
}


def test_a_minimal_config_is_valid_and_gets_defaults():
    assert config_errors(MINIMAL) == []
    full = config_with_defaults(MINIMAL)
    assert full["request"]["method"] == "POST"
    assert full["validationAddress"] == "PHONE" and full["phoneStrictness"] == "valid"
    assert full["maxAttempts"] == 3 and full["rateLimit"] == 80 and full["concurrency"] == 100
    assert full["timeouts"] == {"connect": 5, "read": 15}
    assert full["response"]["messageIdPath"] == "messages.0.id"


def test_the_whatsapp_preset_config_is_valid(settings):
    settings.TRANSPORT_ALLOWED_HOSTS = []
    config = whatsapp_cloud_config(phone_number_id="100000000000001", business_account_id="2")
    assert config_errors(config, secrets={"accessToken": "x"}) == []


def test_errors_name_the_field_and_the_rule():
    config = {
        "request": {"method": "DELETE", "url": "https://x.example/"},
        "validationAddress": "FAX",
        "maxAttempts": 0,
        "rateLimit": "fast",
        "timeouts": {"read": -1},
    }
    errors = config_errors(config)
    assert "request.method: must be one of POST, PUT, PATCH, GET" in errors
    assert "validationAddress: must be one of PHONE, EMAIL, NONE" in errors
    assert "maxAttempts: must be at least 1" in errors
    assert "rateLimit: must be of type number" in errors
    assert "timeouts.read: must be at least 0.1" in errors


def test_the_default_region_must_be_one_phonenumbers_knows():
    assert config_errors({**MINIMAL, "defaultRegion": "XX"}) == [
        "defaultRegion: must be a region code such as US, GB or IN (XX is not one)"
    ]
    assert config_errors({**MINIMAL, "defaultRegion": "gb"}) == ["defaultRegion: must match ^[A-Z]{2}$"]
    assert config_errors({**MINIMAL, "defaultRegion": "GB"}) == []


def test_a_missing_required_field_is_named():
    assert config_errors({}) == ["request: is required"]
    assert config_errors({"request": {}}) == ["request.url: is required"]
    assert sorted(config_errors({"request": {"url": "x"}, "preset": "whatsapp_cloud"})) == [
        "apiVersion: is required",
        "baseUrl: is required",
        "phoneNumberId: is required",
    ]


def test_placeholders_must_name_config_keys_and_secrets():
    config = {
        "request": {
            "url": "https://x.example/{%transport.config.nope%}",
            "headers": {"A": "{%secrets.key%}"},
            "body": "{%bogus.root%}",
        }
    }
    errors = config_errors(config, secrets={})
    assert any("{%transport.config.nope%}" in e and "names no key" in e for e in errors)
    assert any("{%secrets.key%}" in e and "no secret" in e for e in errors)
    assert any("{%bogus.root%}" in e for e in errors)


def test_a_url_to_a_private_address_is_refused_unless_allow_listed(settings):
    settings.TRANSPORT_ALLOWED_HOSTS = []
    config = {"request": {"url": "{%transport.config.baseUrl%}/send"}, "baseUrl": "http://10.1.2.3:8080"}
    (error,) = config_errors(config)
    assert error.startswith("request.url: host 10.1.2.3 resolves to an address that is not globally routable")
    settings.TRANSPORT_ALLOWED_HOSTS = ["10.1.2.3:8080"]
    assert config_errors(config) == []
