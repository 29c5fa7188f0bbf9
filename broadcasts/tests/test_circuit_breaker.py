"""The circuit breaker: a transport whose requests keep failing on Meta's side pauses, probes, and burns no attempts."""

import pytest

from broadcasts.models import Broadcast, TransportPace
from broadcasts.services import pacing
from broadcasts.services.dispatch import batch_claim, dispatch_batch
from broadcasts.services.outcomes import SendOutcome, outcomes_record
from broadcasts.testing import make_session
from transports.engine import SendResult
from transports.models import Transport
from transports.testing import make_transport


@pytest.fixture
def breaker(settings):
    settings.CIRCUIT_FAILURES, settings.CIRCUIT_PROBE_AFTER, settings.CIRCUIT_PROBE_MAX = 5, 10.0, 35.0
    return settings


def _answer(broadcast: Broadcast, *, ok: bool = False, http_status: int | None = 500) -> SendOutcome:
    return SendOutcome(broadcast=broadcast, result=SendResult(
        key=broadcast.pk, ok=ok, http_status=200 if ok else http_status,
        provider_message_id=f"wamid.{broadcast.pk}" if ok else None,
        error_code="" if ok else "131000", error_title="" if ok else "Something went wrong",
        category="" if ok else "TRANSIENT",
    ))


def _record(session, transport, *, count: int, **answer) -> list[Broadcast]:
    claimed = batch_claim(session=session, limit=count)
    outcomes_record(session=session, transport=transport, task_id="t",
                    outcomes=[_answer(b, **answer) for b in claimed])
    return list(Broadcast.objects.filter(pk__in=[b.pk for b in claimed]))


def _attempts_spent(session, transport, *, count: int) -> list[int]:
    """Record `count` failures; what each cost in attempts (a retry whose full-jitter delay came out
    near zero may be claimed again in the next batch, with the attempt it already spent)."""
    before = {b.pk: b.attempts for b in Broadcast.objects.filter(session=session)}
    return [b.attempts - before[b.pk] for b in _record(session, transport, count=count)]


def test_it_opens_at_the_threshold_then_probes_and_each_failed_probe_doubles_the_wait(app, breaker, clock):
    transport = make_transport(app=app)
    record = lambda **kw: pacing.circuit_record(transport_id=transport.pk, **kw)  # noqa: E731

    assert not record(failures=4, successes=0).tripped
    circuit = record(failures=1, successes=0)
    assert circuit.tripped and not circuit.probing and circuit.wait(clock[0]) == 10
    # Answers of batches already on the wire change nothing while it is open.
    assert record(failures=3, successes=0).open_until == circuit.open_until

    clock[0] += 10
    assert pacing.circuit_state(transport_id=transport.pk).probing
    assert pacing.circuit_probe_take(transport_id=transport.pk)
    assert not pacing.circuit_probe_take(transport_id=transport.pk)  # one probe at a time
    assert record(failures=1, successes=0, probe=True).wait(clock[0]) == 20
    clock[0] += 20
    assert pacing.circuit_probe_take(transport_id=transport.pk)
    assert record(failures=1, successes=0, probe=True).wait(clock[0]) == 35  # capped by CIRCUIT_PROBE_MAX

    assert not record(failures=0, successes=1).tripped  # one success closes it
    pace = TransportPace.objects.get(transport=transport)
    assert (pace.failures_in_row, pace.circuit_trips) == (0, 0)


def test_failures_while_it_is_open_cost_no_attempt_and_wait_for_it(app, sim_transport, breaker, clock):
    transport = Transport.objects.get(pk=sim_transport["id"])
    session = make_session(app, transport.pk, [("QUEUED", "", 0)] * 8)

    # Below the threshold: ordinary transient failures, each costs an attempt.
    assert _attempts_spent(session, transport, count=3) == [1, 1, 1]
    # The 4th and 5th in a row open the circuit: they cost none.
    assert _attempts_spent(session, transport, count=2) == [0, 0]
    circuit = pacing.circuit_state(transport_id=transport.pk)
    assert circuit.tripped
    waiting = Broadcast.objects.filter(session=session).exclude(next_attempt_at=None).order_by("-updated_at")[:2]
    assert all(b.next_attempt_at.timestamp() >= circuit.open_until for b in waiting)
    assert set(Broadcast.objects.filter(session=session).values_list("status", flat=True)) == {"QUEUED"}


def test_a_4xx_or_a_timeout_does_not_trip_it(app, sim_transport, breaker, clock):
    transport = Transport.objects.get(pk=sim_transport["id"])
    session = make_session(app, transport.pk, [("QUEUED", "", 0)] * 6)
    _record(session, transport, count=6, http_status=400)
    assert not pacing.circuit_state(transport_id=transport.pk).tripped


def test_while_open_a_worker_sends_nothing_and_after_the_wait_one_message_probes(
    app, sim_transport, simulator, breaker, clock
):
    transport = Transport.objects.get(pk=sim_transport["id"])
    session = make_session(app, transport.pk, [("QUEUED", "", 0)] * 4)
    pacing.circuit_record(transport_id=transport.pk, failures=5, successes=0)

    result = dispatch_batch(session_id=session.pk)
    assert result.countdown == pytest.approx(10)
    assert simulator.messages() == [] and not Broadcast.objects.exclude(status="QUEUED").exists()

    clock[0] += 10
    dispatch_batch(session_id=session.pk)
    assert len(simulator.messages()) == 1  # the probe, alone
    assert Broadcast.objects.filter(status="SENT").count() == 1
    assert not pacing.circuit_state(transport_id=transport.pk).tripped  # it answered: closed again


def test_the_dashboard_and_metrics_show_a_tripped_circuit(admin_client, app, breaker):
    breaker.METRICS_TOKEN = "metrics-token-for-tests"  # noqa: S105
    transport = make_transport(app=app, name="stormy")
    pacing.circuit_record(transport_id=transport.pk, failures=5, successes=0)
    card = admin_client.get("/admin/dashboard/").content.decode().split('id="circuit-breakers"')[1].split("</div>")[0]
    assert "circuit breaker (1)" in card and "stormy" in card and "paused until" in card
    metrics = admin_client.get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-token-for-tests").content.decode()
    assert f'gateway_transport_circuit_open{{transport="{transport.pk}"}} 1.0' in metrics
