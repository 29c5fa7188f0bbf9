import re

from celery_app import app as celery_app
from whatsapp_gateway.testing import ROOT, variables_read_by_settings


def _variables_documented() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


def test_every_variable_the_settings_read_is_documented_in_env_example():
    read = variables_read_by_settings()
    assert {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "WHATSAPP_ACCESS_TOKEN", "BATCH_SIZE"} <= read
    assert read - _variables_documented() == set()


def test_env_example_documents_nothing_the_settings_do_not_read():
    assert _variables_documented() - variables_read_by_settings() == set()


def test_the_celery_settings_the_send_path_relies_on_are_set():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    # Cancelling a batch mid-send on a broker blip would resend what was already on the wire.
    assert conf.worker_cancel_long_running_tasks_on_connection_loss is False
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_always_eager is False
    # Every task must finish long before RabbitMQ's 30-minute consumer timeout.
    assert conf.task_time_limit < 30 * 60 / 2
    assert conf.task_soft_time_limit < conf.task_time_limit
    if conf.broker_url.startswith("amqp"):
        assert conf.broker_transport_options["confirm_publish"] is True


def test_the_filesystem_broker_publishes_each_message_whole_and_consumers_skip_a_partial_one(tmp_path):
    from kombu import Connection

    from whatsapp_gateway.broker import Transport

    options = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path), "store_processed": False}
    with Connection("filesystem://", transport_options=options) as connection:
        assert isinstance(connection.transport, Transport)
        queue = connection.SimpleQueue("probe")
        # What a publisher still writing looks like to a consumer that lists the folder.
        (tmp_path / ".1_00000000-0000-0000-0000-000000000000.probe.msg.partial").write_bytes(b"")
        queue.put({"n": 1})
        assert [path.name for path in tmp_path.iterdir() if path.name.endswith(".partial")] == [
            ".1_00000000-0000-0000-0000-000000000000.probe.msg.partial"
        ]  # the message itself was renamed into place
        assert queue.get(timeout=2).payload == {"n": 1}
        queue.close()
