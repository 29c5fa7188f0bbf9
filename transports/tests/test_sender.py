import threading
import time

from transports import engine
from transports.testing import FakeProvider, make_transport

MESSAGE = {"content": "Hello", "meta": {}}


def _send(transport, addresses, params=None, send_at=0.0):
    outgoing = [engine.Outgoing(key=f"k{i}", address=a, params=params or {"name": "Ana"}, send_at=send_at)
                for i, a in enumerate(addresses)]
    return engine.send_batch(transport, MESSAGE, outgoing)


def test_it_sends_and_reads_the_provider_message_id(provider):
    (result,) = _send(make_transport(provider.base_url), ["15550100001"])
    assert result.ok and result.http_status == 200 and result.provider_message_id == "wamid.1"
    assert result.key == "k0" and result.category == ""
    received = provider.received[0]
    assert received["body"] == {"to": "15550100001", "text": "Hello", "name": "Ana"}
    assert received["headers"]["Authorization"] == "Bearer tok-SECRET-123"
    assert received["query"] == {"to": "15550100001"}


def test_the_logged_request_and_response_never_contain_the_secret(provider):
    (result,) = _send(make_transport(provider.base_url, path="echo-secret"), ["15550100001"])
    assert result.ok
    assert "tok-SECRET-123" not in str(result.request) and "tok-SECRET-123" not in result.response_body
    assert result.request["headers"]["Authorization"] == "Bearer [REDACTED]"


def test_it_parses_meta_throttling_sent_as_http_400(provider):
    transport = make_transport(provider.base_url, path="throttled", preset="whatsapp_cloud")
    (result,) = _send(transport, ["15550100001"])
    assert not result.ok and result.http_status == 400
    assert (result.error_code, result.category, result.retry_after) == ("130429", "THROTTLED", 1)
    assert result.error_title == "(#130429) Rate limit hit"
    assert result.error_details == "Cloud API message throughput has been reached."


def test_an_expired_token_is_an_auth_problem_with_its_subcode(provider):
    (result,) = _send(make_transport(provider.base_url, path="auth"), ["15550100001"])
    assert (result.error_code, result.error_subcode, result.category) == ("190", "463", "AUTH")


def test_5xx_without_body_and_timeouts_are_transient(provider):
    (down,) = _send(make_transport(provider.base_url, path="down"), ["15550100001"])
    assert (down.ok, down.http_status, down.category) == (False, 502, "TRANSIENT")
    slow = make_transport(provider.base_url, path="slow", pk=2, timeouts={"connect": 1, "read": 0.2})
    (timeout,) = _send(slow, ["15550100001"])
    assert (timeout.ok, timeout.http_status, timeout.category) == (False, None, "TRANSIENT")
    assert timeout.error_title.startswith("Timeout")


def test_a_refused_connection_is_transient(settings):
    settings.TRANSPORT_ALLOWED_HOSTS = ["127.0.0.1:9"]
    (result,) = _send(make_transport("http://127.0.0.1:9"), ["15550100001"])
    assert (result.ok, result.category) == (False, "TRANSIENT") and "Network error" in result.error_title


def test_a_private_url_is_refused_at_send_time_without_a_request(provider, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = []
    (result,) = _send(make_transport(provider.base_url), ["15550100001"])
    assert (result.ok, result.category) == (False, "PERMANENT") and "Refused URL" in result.error_title
    assert provider.received == []


def test_a_missing_recipient_param_fails_only_that_message(provider):
    transport = make_transport(provider.base_url)
    outgoing = [engine.Outgoing(key=1, address="15550100001", params={"name": "Ana"}),
                engine.Outgoing(key=2, address="15550100002", params={})]
    ok, missing = engine.send_batch(transport, MESSAGE, outgoing)
    assert ok.ok and not missing.ok and missing.category == "PERMANENT"
    assert "{%recipient.params.name%}" in missing.error_title
    assert len(provider.received) == 1


def test_results_keep_the_order_of_the_outgoing_list(provider):
    results = _send(make_transport(provider.base_url), [f"1555010{i:04d}" for i in range(50)])
    assert [r.key for r in results] == [f"k{i}" for i in range(50)]
    assert all(r.ok for r in results)


def test_no_request_leaves_before_its_send_at(provider):
    # Measured where the request arrives (the provider records each arrival), each against its own slot:
    # the last in the list is due first, so waiting for the first slot only, or in list order, fails.
    now = time.time()
    due = {"15550100001": now + 0.6, "15550100002": now + 0.4, "15550100003": now + 0.2}
    outgoing = [engine.Outgoing(key=to, address=to, params={"name": "Ana"}, send_at=at) for to, at in due.items()]
    assert all(result.ok for result in engine.send_batch(make_transport(provider.base_url), MESSAGE, outgoing))
    arrived = {request["query"]["to"]: request["at"] for request in provider.received}
    assert sorted(arrived) == sorted(due)
    assert {to: arrived[to] >= at for to, at in due.items()} == dict.fromkeys(due, True)


def test_a_batch_running_late_keeps_its_slots_apart_instead_of_bursting(settings):
    # Two connections, slots 50 ms apart (20/s); the first answers take a second, so the requests
    # behind them miss their slots. Once answers are fast again they must not leave all at once.
    stalled = FakeProvider(latency=1.0)
    settings.TRANSPORT_ALLOWED_HOSTS = [f"127.0.0.1:{stalled.port}"]
    threading.Timer(0.5, lambda: setattr(stalled, "latency", 0.0)).start()
    try:
        start = time.time() + 0.05
        outgoing = [engine.Outgoing(key=i, address="15550100001", params={"name": "Ana"}, send_at=start + i * 0.05)
                    for i in range(40)]
        results = engine.send_batch(make_transport(stalled.base_url, pk=4, concurrency=2), MESSAGE, outgoing)
    finally:
        stalled.stop()
    assert all(r.ok for r in results)
    assert len(stalled.received) == 40
    # When each request left (arrival times at the provider add a busy machine's jitter on the way).
    arrivals = sorted(result.requested_at for result in results)
    caught_up = arrivals[2:]  # after the two stalled requests
    # 50 ms apart when they leave. Bursting, 17–19 of 37 gaps were under a millisecond.
    bunched = [b - a for a, b in zip(caught_up, caught_up[1:], strict=False) if b - a < 0.025]
    assert len(bunched) <= 3, bunched
    assert max(sum(1 for t in arrivals if w <= t < w + 1) for w in arrivals) <= 21  # 20/s, one of slack


def test_requests_that_missed_their_slots_take_new_ones_instead_of_catching_up(provider):
    # The worker stalled: every slot of the batch is two seconds old. The shared schedule gives new ones.
    asked, schedule = [], [time.time() + 0.05]

    def reserve(count: int) -> tuple[float, float, int]:  # like pace_reserve_until: 20/s, never in the past
        asked.append(count)
        first = max(time.time(), schedule[0])
        schedule[0] = first + count / 20.0
        return first, 20.0, count

    stale = time.time() - 2.0
    outgoing = [engine.Outgoing(key=i, address="15550100001", params={"name": "Ana"}, send_at=stale + i * 0.05)
                for i in range(10)]
    chunks = list(engine.send_batch_stream(make_transport(provider.base_url), MESSAGE, outgoing, reserve=reserve))
    assert all(result.ok for chunk in chunks for result in chunk)
    assert sum(asked) == 10  # one new slot for each request, none sent on an old one
    assert len(provider.received) == 10
    # When each request left (the provider's arrival times add a busy machine's jitter on the way).
    left = sorted(result.requested_at for chunk in chunks for result in chunk)
    assert left[-1] - left[0] >= 9 * 0.05 * 0.9, left  # at 20/s: not all at once
    bunched = [b - a for a, b in zip(left, left[1:], strict=False) if b - a < 0.025]
    assert len(bunched) <= 2, bunched


def test_requests_the_shared_schedule_has_no_slot_for_come_back_not_sent(provider):
    stale = time.time() - 2.0
    outgoing = [engine.Outgoing(key=i, address="15550100001", params={"name": "Ana"}, send_at=stale + i * 0.05)
                for i in range(10)]
    left = [4]  # the shared schedule has four slots left before the batch's horizon

    def reserve(count: int) -> tuple[float, float, int]:
        granted = min(count, left[0])
        left[0] -= granted
        return time.time(), 20.0, granted

    chunks = engine.send_batch_stream(make_transport(provider.base_url), MESSAGE, outgoing, reserve=reserve)
    results = [result for chunk in chunks for result in chunk]
    assert sum(result.ok for result in results) == 4 and len(provider.received) == 4
    unsent = [result for result in results if not result.ok]
    assert len(unsent) == 6 and all(r.not_sent and r.error_title.startswith("Not sent") for r in unsent)


def test_it_keeps_many_requests_in_flight_against_a_slow_server(settings):
    # Throughput itself is measured by the benchmark; here: requests overlap up to the configured concurrency.
    slow = FakeProvider(latency=0.2)
    settings.TRANSPORT_ALLOWED_HOSTS = [f"127.0.0.1:{slow.port}"]
    try:
        transport = make_transport(slow.base_url, pk=3, concurrency=300)
        results = _send(transport, ["15550100001"] * 1000)
    finally:
        slow.stop()
    assert all(r.ok for r in results)
    assert 200 <= slow.most_in_flight <= 300


def test_secrets_in_the_query_string_and_body_are_redacted_from_the_logged_request(provider):
    transport = make_transport(provider.base_url)
    transport.config["request"]["url"] += "&access_token={%secrets.accessToken%}"
    transport.config["request"]["body"]["auth"] = "key={%secrets.accessToken%}"
    (result,) = _send(transport, ["15550100001"])
    assert result.ok and provider.received[0]["query"]["access_token"] == "tok-SECRET-123"
    assert "tok-SECRET-123" not in str(result.request)
    assert result.request["url"].endswith("access_token=[REDACTED]")
    assert result.request["body"]["auth"] == "key=[REDACTED]"
