"""One source per constant: the schema, the model, the preset and the API's shorthand agree on defaults and bounds."""

import inspect

import pytest

from transports import defaults
from transports.api.serializers import WhatsAppCloudInput
from transports.config_schema import CONFIG_SCHEMA, config_errors, config_with_defaults
from transports.models import Transport
from transports.testing import make_transport
from transports.whatsapp.preset import (
    SHORTHAND_FIELDS,
    SHORTHAND_OPTIONS,
    whatsapp_cloud_config,
    whatsapp_cloud_expand,
    whatsapp_cloud_options,
)

GENERIC = {"request": {"url": "https://93.184.216.34/send"}}


def test_a_config_without_limits_gets_the_same_defaults_everywhere():
    full = config_with_defaults(GENERIC)
    transport = make_transport(config=GENERIC)
    preset = whatsapp_cloud_config(phone_number_id="1")
    assert full["maxAttempts"] == transport.max_attempts == preset["maxAttempts"] == defaults.MAX_ATTEMPTS
    assert full["rateLimit"] == transport.rate_limit == preset["rateLimit"] == defaults.RATE_LIMIT
    assert full["concurrency"] == preset["concurrency"] == defaults.CONCURRENCY
    assert full["timeouts"] == preset["timeouts"] == defaults.TIMEOUTS
    # The retry window is the preset's: a generic transport has none unless its config sets one.
    assert preset["retryWindow"] == Transport(config=preset).retry_window == defaults.RETRY_WINDOW
    assert Transport(config={"preset": "whatsapp_cloud"}).retry_window == defaults.RETRY_WINDOW  # stored before it
    assert "retryWindow" not in full and transport.retry_window == 0


def test_every_shorthand_option_is_an_argument_of_the_preset_an_api_field_and_round_trips():
    assert set(inspect.signature(whatsapp_cloud_config).parameters) == set(SHORTHAND_OPTIONS)
    assert set(WhatsAppCloudInput().fields) == set(SHORTHAND_FIELDS)
    options = {
        "phone_number_id": "100000000000001", "business_account_id": "200000000000001", "api_version": "v24.0",
        "base_url": "https://graph.example.com", "rate_limit": 20, "max_attempts": 5, "retry_window": 600,
        "phone_strictness": "possible",
        "default_region": "GB", "concurrency": 10, "timeouts": {"connect": 2, "read": 30},
    }
    config, _secrets = whatsapp_cloud_expand({**options, "access_token": "tok"})
    assert whatsapp_cloud_options(config) == options


@pytest.mark.parametrize(
    ("option", "key", "low", "high"),
    [
        ("rate_limit", "rateLimit", defaults.RATE_LIMIT_MIN, defaults.RATE_LIMIT_MAX),
        ("max_attempts", "maxAttempts", defaults.MAX_ATTEMPTS_MIN, defaults.MAX_ATTEMPTS_MAX),
        ("concurrency", "concurrency", defaults.CONCURRENCY_MIN, defaults.CONCURRENCY_MAX),
        ("retry_window", "retryWindow", defaults.RETRY_WINDOW_MIN, defaults.RETRY_WINDOW_MAX),
    ],
)
def test_the_api_shorthand_and_the_config_accept_the_same_bounds(option, key, low, high):
    def shorthand_ok(value) -> bool:
        return WhatsAppCloudInput(data={"phone_number_id": "1", "access_token": "t", option: value}).is_valid()

    def config_ok(value) -> bool:
        return config_errors({**GENERIC, key: value}, network=False) == []

    step = 0.001 if isinstance(low, float) else 1
    for value, accepted in ((low, True), (high, True), (low - step, False), (high + step, False)):
        assert (shorthand_ok(value), config_ok(value)) == (accepted, accepted), value
    assert (CONFIG_SCHEMA["properties"][key]["minimum"], CONFIG_SCHEMA["properties"][key]["maximum"]) == (low, high)
