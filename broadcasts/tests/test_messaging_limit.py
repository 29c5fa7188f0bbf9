"""Meta's messaging limit at session create: a session past the portfolio's unique users in 24 hours is warned."""

from datetime import timedelta

import pytest

from broadcasts.models import Session
from broadcasts.testing import numbers, send_via_api, sent_earlier, transport_for, transport_with_limit
from templates.services import templates_sync
from transports.models import Transport


def synced(api, simulator, tier: str) -> dict:
    return transport_with_limit(api, simulator, tier)


@pytest.fixture
def tier_250(api, simulator, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = [simulator.base_url.split("://", 1)[1] + "/v"]
    return synced(api, simulator, "TIER_250")


def test_a_session_past_the_limit_is_accepted_with_the_warning_and_its_numbers(api, tier_250):
    sent_earlier(tier_250["id"], numbers(200))
    # 100 recipients, 20 of them already messaged today: 80 new, 200 + 80 = 280 of 250.
    body = send_via_api(api, tier_250, numbers(100, start=180))
    [warning] = body["warnings"]
    assert warning["code"] == "messaging_limit"
    assert (warning["limit"], warning["used"], warning["over_by"]) == (250, 200, 30)
    assert "TIER_250" in warning["detail"] and "30 over" in warning["detail"]
    assert Session.objects.get(pk=body["id"]).total == 100  # stored and queued anyway


def test_a_session_within_the_limit_gets_no_warning(api, tier_250):
    sent_earlier(tier_250["id"], numbers(200))
    assert send_via_api(api, tier_250, numbers(50, start=200))["warnings"] == []  # exactly 250


def test_recipients_messaged_only_more_than_24_hours_ago_do_not_count(api, tier_250):
    sent_earlier(tier_250["id"], numbers(240), ago=timedelta(hours=25))
    assert send_via_api(api, tier_250, numbers(20, start=1000))["warnings"] == []


def test_sessions_still_queued_count_toward_the_window(api, tier_250):
    send_via_api(api, tier_250, numbers(200))
    [warning] = send_via_api(api, tier_250, numbers(100, start=500))["warnings"]
    assert (warning["used"], warning["over_by"]) == (200, 50)


def test_the_apps_other_numbers_of_the_same_portfolio_share_the_limit(api, simulator, tier_250):
    second = transport_for(api, simulator, phone_strictness="possible")  # same WABA, never synced itself
    sent_earlier(second["id"], numbers(240))
    [warning] = send_via_api(api, tier_250, numbers(20, start=1000))["warnings"]
    assert (warning["used"], warning["over_by"]) == (240, 10)


def test_an_unlimited_portfolio_never_warns(api, simulator, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = [simulator.base_url.split("://", 1)[1] + "/v"]
    transport = synced(api, simulator, "TIER_UNLIMITED")
    sent_earlier(transport["id"], numbers(5000))
    assert send_via_api(api, transport, numbers(500, start=6000))["warnings"] == []


def test_a_transport_whose_limit_was_never_read_does_not_warn(api, simulator, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = [simulator.base_url.split("://", 1)[1] + "/v"]
    transport = transport_for(api, simulator, phone_strictness="possible")
    sent_earlier(transport["id"], numbers(300))
    assert send_via_api(api, transport, numbers(10, start=1000))["warnings"] == []


def test_another_apps_sends_on_the_same_account_do_not_count(api, other_api, simulator, tier_250):
    theirs = transport_for(other_api, simulator, phone_strictness="possible")
    sent_earlier(theirs["id"], numbers(200, start=3000))
    assert send_via_api(api, tier_250, numbers(100))["warnings"] == []  # 300 if theirs counted
    # And ours do not count toward theirs.
    templates_sync(transport=Transport.objects.get(pk=theirs["id"]))
    assert send_via_api(other_api, theirs, numbers(40, start=5000))["warnings"] == []


def test_the_count_takes_the_same_few_queries_for_any_number_of_recipients(
    api, tier_250, django_assert_max_num_queries
):
    from broadcasts.services.limits import session_messaging_limit_warnings

    sent_earlier(tier_250["id"], numbers(1000))
    created = send_via_api(api, tier_250, numbers(2000, start=500))
    session = Session.objects.select_related("transport").get(pk=created["id"])
    with django_assert_max_num_queries(3):  # the limit, the used count, the count with this session's
        [warning] = session_messaging_limit_warnings(session=session)
    assert (warning["used"], warning["over_by"]) == (1000, 2500 - 250)


def test_the_dashboard_shows_each_portfolios_limit_and_usage(client, admin_user, api, other_api, simulator, tier_250):
    sent_earlier(tier_250["id"], numbers(260))
    theirs = synced(other_api, simulator, "TIER_250")
    sent_earlier(theirs["id"], numbers(7, start=5000))
    client.force_login(admin_user)
    page = client.get("/admin/dashboard/").content.decode()
    card = page[page.index('id="messaging-limits"'):page.index('id="circuit-breakers"')]
    assert "TIER_250" in card and "200000000000001" in card
    assert "260 of 250" in card  # ours, over the limit
    assert "7 of 250" in card  # the other app's, counted apart
