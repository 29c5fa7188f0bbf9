"""Meta's catalogue reads only the whatsapp_cloud preset's errors; a generic provider's codes mean what it says."""

import pytest

from transports import engine
from transports.config_schema import config_errors
from transports.errors import ErrorCategory
from transports.providers import failure_classify
from transports.testing import make_transport
from transports.whatsapp.preset import whatsapp_cloud_config

GENERIC = {"request": {"url": "https://93.184.216.34/send"}}
WHATSAPP = whatsapp_cloud_config(phone_number_id="100000000000001")


def _send(transport) -> engine.SendResult:
    outgoing = [engine.Outgoing(key=1, address="15550100001", params={"name": "Ana"})]
    return engine.send_batch(transport, {"content": "Hello", "meta": {}}, outgoing)[0]


def test_a_generic_providers_503_is_transient_whatever_code_it_sends(provider):
    result = _send(make_transport(provider.base_url, path="fail-503-100"))
    assert (result.http_status, result.error_code, result.category) == (503, "100", ErrorCategory.TRANSIENT)


def test_a_generic_providers_code_190_is_not_metas_expired_token(provider):
    result = _send(make_transport(provider.base_url, path="fail-400-190"))
    assert (result.http_status, result.error_code, result.category) == (400, "190", ErrorCategory.PERMANENT)


def test_error_rules_name_what_a_generic_providers_codes_mean(provider):
    transport = make_transport(provider.base_url, path="fail-400-190", errorRules={"auth": [190]})
    assert _send(transport).category == ErrorCategory.AUTH
    transport = make_transport(provider.base_url, path="fail-503-100", errorRules={"permanent": ["100"]})
    assert _send(transport).category == ErrorCategory.PERMANENT


def test_the_whatsapp_preset_still_reads_metas_catalogue(provider):
    assert _send(make_transport(provider.base_url, path="fail-400-130429", preset="whatsapp_cloud")).category == (
        ErrorCategory.THROTTLED
    )
    assert _send(make_transport(provider.base_url, path="fail-400-190", preset="whatsapp_cloud")).category == (
        ErrorCategory.AUTH
    )


@pytest.mark.parametrize(
    ("config", "http_status", "code", "category"),
    [
        (GENERIC, None, "", ErrorCategory.TRANSIENT),
        (GENERIC, 408, "", ErrorCategory.TRANSIENT),
        (GENERIC, 429, "4", ErrorCategory.THROTTLED),
        (GENERIC, 401, "", ErrorCategory.AUTH),
        (GENERIC, 403, "131005", ErrorCategory.AUTH),
        (GENERIC, 404, "", ErrorCategory.PERMANENT),
        (GENERIC, 400, "130429", ErrorCategory.PERMANENT),  # Meta's throttling code, but not Meta
        (GENERIC, 500, "131026", ErrorCategory.TRANSIENT),
        ({**GENERIC, "errorRules": {"retryable": ["E_BUSY"]}}, 400, "E_BUSY", ErrorCategory.TRANSIENT),
        ({**GENERIC, "errorRules": {"throttled": [42]}}, 400, "42", ErrorCategory.THROTTLED),
        ({**GENERIC, "errorRules": {"permanent": [" 7 "]}}, 503, 7, ErrorCategory.PERMANENT),
        ({**GENERIC, "errorRules": {"auth": [190]}}, 400, "191", ErrorCategory.PERMANENT),  # not listed
        (WHATSAPP, 400, "130429", ErrorCategory.THROTTLED),
        (WHATSAPP, 400, "131026", ErrorCategory.PERMANENT),
        (WHATSAPP, 500, "190", ErrorCategory.AUTH),
        (WHATSAPP, 503, "", ErrorCategory.TRANSIENT),
    ],
)
def test_failure_classify(config, http_status, code, category):
    assert failure_classify(config, http_status=http_status, code=code)[0] == category


def test_only_metas_catalogue_gives_retry_hints():
    assert failure_classify(WHATSAPP, http_status=400, code="130429") == (ErrorCategory.THROTTLED, 1)
    assert failure_classify({**GENERIC, "errorRules": {"throttled": [130429]}}, http_status=400, code="130429") == (
        ErrorCategory.THROTTLED, None
    )


@pytest.mark.parametrize(
    ("rules", "error"),
    [
        ({"fatal": [1]}, "errorRules: Additional properties are not allowed ('fatal' was unexpected)"),
        ({"auth": 190}, "errorRules.auth: must be of type array"),
        ({"auth": [1.5]}, "errorRules.auth.0: must be of type integer or string"),
        ({"auth": [""]}, "errorRules.auth.0: must not be empty"),
        ({"auth": ["x" * 33]}, "errorRules.auth.0: must be at most 32 characters"),
        ({"auth": [190], "permanent": ["190"]}, "errorRules.auth: code 190 is in errorRules.permanent too"),
        ([190], "errorRules: must be of type object"),
    ],
)
def test_error_rules_are_checked_naming_the_field(rules, error):
    assert config_errors({**GENERIC, "errorRules": rules}, network=False) == [error]


def test_error_rules_are_refused_with_a_preset_which_reads_its_own_catalogue():
    assert config_errors({**WHATSAPP, "errorRules": {"auth": [1]}}, network=False) == [
        "errorRules: not with preset whatsapp_cloud, which reads its provider's own error catalogue"
    ]


def test_valid_error_rules_pass():
    rules = {"permanent": [100, "E_BAD"], "retryable": ["1"], "throttled": [], "auth": [190]}
    assert config_errors({**GENERIC, "errorRules": rules}, network=False) == []


def test_the_api_refuses_bad_error_rules_with_a_400_naming_the_field(api, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = []
    answer = api.post("/api/v1/transports", {"name": "sms", "config": {**GENERIC, "errorRules": {"auth": "190"}}},
                      format="json")
    assert answer.status_code == 400
    assert "errorRules.auth: must be of type array" in str(answer.json())
