"""Each worker's heartbeat thread: started and stopped by the worker signals, never killed by the database."""

import logging
import time
from unittest import mock

import pytest
from celery.signals import worker_ready, worker_shutdown
from django.db import OperationalError, connections

from whatsapp_gateway import heartbeat
from whatsapp_gateway.heartbeat import HeartbeatThread
from whatsapp_gateway.models import WorkerHeartbeat
from whatsapp_gateway.services import worker_heartbeat_record


def wait_for(condition, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert condition()


def test_the_thread_survives_a_database_error_and_beats_again(transactional_db, caplog):
    caplog.set_level(logging.WARNING, logger="gateway.heartbeat")
    calls = []

    def flaky(*, hostname):
        calls.append(hostname)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        worker_heartbeat_record(hostname=hostname)

    with mock.patch("whatsapp_gateway.services.worker_heartbeat_record", side_effect=flaky):
        thread = HeartbeatThread("celery@flaky", interval=0.05)
        thread.start()
        try:
            wait_for(lambda: WorkerHeartbeat.objects.filter(hostname="celery@flaky").exists())
            assert thread.is_alive()
        finally:
            thread.stop()
    assert not thread.is_alive()
    assert [r.getMessage() for r in caplog.records] == ["worker heartbeat not recorded"]
    assert "OperationalError" in caplog.records[0].error


def test_each_beat_closes_its_database_connection_even_when_it_fails(db):
    with (
        mock.patch("whatsapp_gateway.services.worker_heartbeat_record", side_effect=OperationalError),
        mock.patch.object(connections["default"], "close") as close,
        pytest.raises(OperationalError),
    ):
        HeartbeatThread("celery@closing").beat()
    close.assert_called_once_with()


def test_worker_ready_starts_the_thread_with_the_worker_hostname_and_worker_shutdown_stops_it():
    with mock.patch("whatsapp_gateway.services.worker_heartbeat_record") as record:
        # As Celery sends it: the consumer, which carries the worker's hostname.
        worker_ready.send(sender=mock.Mock(hostname="celery@signals"))
        thread = heartbeat._thread
        try:
            # The first beat is written at once, not after the interval.
            wait_for(lambda: record.called)
            record.assert_called_with(hostname="celery@signals")
        finally:
            worker_shutdown.send(sender=None)
    assert heartbeat._thread is None
    assert not thread.is_alive()
