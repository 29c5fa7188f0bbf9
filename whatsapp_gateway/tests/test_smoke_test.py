"""`manage.py smoke_test`: a pass/fail report an operator runs after a deploy."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from whatsapp_gateway.services import worker_heartbeat_record


def smoke(*args) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("smoke_test", *args, stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


@pytest.fixture
def live_worker(db):
    worker_heartbeat_record(hostname="celery@smoke")


def test_it_passes_and_sends_one_message_to_dev_phone(live_worker, simulator, sim_transport, settings):
    settings.DEV_PHONE = "+12025550177"
    out, error = smoke("--transport", str(sim_transport["id"]))
    assert error is None, out
    for name in ("database", "broker", "worker", "credentials", "send"):
        assert f"PASS {name}" in out
    assert "smoke test passed" in out
    assert [m["to"].lstrip("+") for m in simulator.messages()] == ["12025550177"]
    assert "12025550177" not in out  # the number is masked in the report, as in every log line
    assert "hello_world sent to 1202*****77 as wamid." in out


def test_it_sends_to_the_number_given(live_worker, simulator, sim_transport):
    out, error = smoke("--transport", str(sim_transport["id"]), "--to", "+1 202-555-0178")
    assert error is None, out
    assert "sent to 1202*****78" in out
    assert [m["to"].lstrip("+") for m in simulator.messages()] == ["12025550178"]


def test_it_fails_clearly_on_an_expired_token_and_sends_nothing(live_worker, simulator, sim_transport):
    simulator.configure(expired_tokens=["demo-access-token"])
    out, error = smoke("--transport", str(sim_transport["id"]))
    assert error is not None and "credentials" in str(error) and "send" in str(error)
    assert "FAIL credentials" in out and "Meta refused: Meta error 190" in out
    assert "FAIL send" in out and "not attempted" in out
    assert "demo-access-token" not in out
    assert simulator.messages() == []


def test_it_fails_when_no_worker_is_alive(db, simulator, sim_transport):
    out, error = smoke("--transport", str(sim_transport["id"]), "--no-send")
    assert error is not None and "worker" in str(error)
    assert "FAIL worker" in out and "no worker heartbeat yet" in out
    assert "PASS credentials" in out and "SKIP send" in out


def test_it_fails_for_a_transport_that_does_not_exist(live_worker):
    out, error = smoke("--transport", "999999")
    assert error is not None
    assert "FAIL transport" in out and "transport 999999 does not exist" in out
