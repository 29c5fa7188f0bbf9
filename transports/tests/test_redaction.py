from transports.redaction import REDACTED, mask_phone, redact

SECRETS = {"accessToken": "EAAG-token/with+chars", "appSecret": "app-secret-1"}


def test_it_removes_secrets_from_headers_urls_and_bodies():
    request = {
        "url": "https://x.example/send?access_token=EAAG-token%2Fwith%2Bchars&v=1",
        "headers": {"Authorization": "Bearer EAAG-token/with+chars", "X-Other": "app-secret-1"},
        "body": {"nested": ["prefix EAAG-token/with+chars suffix"], "to": "15550100001"},
    }
    cleaned = redact(request, SECRETS)
    text = str(cleaned)
    assert "EAAG" not in text and "app-secret-1" not in text and "with%2Bchars" not in text
    assert cleaned["headers"]["Authorization"] == f"Bearer {REDACTED}"
    assert cleaned["body"]["to"] == "15550100001"
    assert request["headers"]["Authorization"] == "Bearer EAAG-token/with+chars"  # input untouched


def test_it_redacts_secret_query_parameters_even_when_the_value_is_unknown():
    assert redact("GET /x?token=abc123&verify_token=zzz&page=2", {}) == (
        f"GET /x?token={REDACTED}&verify_token={REDACTED}&page=2"
    )


def test_it_redacts_json_escaped_secrets_in_response_bodies():
    secrets = {"s": 'quo"ted-secret'}
    assert "quo" not in redact('{"echo": "quo\\"ted-secret"}', secrets)


def test_it_masks_phone_numbers_for_logs():
    assert mask_phone("15550100001") == "1555*****01"
    assert mask_phone("447911123456") == "4479******56"
    assert mask_phone("") == ""
