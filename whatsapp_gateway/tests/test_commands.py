from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.http import HttpRequest
from django.test import Client
from rest_framework.test import APIClient

from whatsapp_gateway.models import App


def _key_from(output: str) -> str:
    return output.split("API key (shown once, store it now): ")[1].strip()


def test_create_app_prints_a_key_that_works(db):
    out = StringIO()
    call_command("create_app", "shop", stdout=out)
    key = _key_from(out.getvalue())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert client.get("/api/v1/transports/").status_code == 200
    assert App.objects.get(name="shop").api_keys.count() == 1


def test_create_app_refuses_a_duplicate_name(db):
    call_command("create_app", "shop", stdout=StringIO())
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_app", "shop", stdout=StringIO())


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_create_app_refuses_a_blank_or_too_long_name(db, name):
    with pytest.raises(CommandError, match="blank|at most 100"):
        call_command("create_app", name, stdout=StringIO())
    assert not App.objects.exists()


def test_create_app_refuses_a_name_that_differs_only_by_spaces(db):
    call_command("create_app", "shop", stdout=StringIO())
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_app", " shop ", stdout=StringIO())


def test_bootstrap_demo_uses_the_fixed_demo_key_and_is_repeatable(db, settings, tmp_path):
    settings.DEBUG = True  # the demo is for development (pytest-django turns DEBUG off while tests run)
    settings.DEMO_API_KEY = "demo0001.local-development-key-0001"
    settings.VAR_DIR = tmp_path
    for _ in range(2):
        out = StringIO()
        call_command("bootstrap_demo", stdout=out)
        assert "Demo API key: demo0001.local-development-key-0001" in out.getvalue()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key demo0001.local-development-key-0001")
    assert client.get("/api/v1/transports/").status_code == 200
    # The admin login is throttled by django-axes, whose backend needs the request.
    assert Client().login(request=HttpRequest(), username="admin", password="admin")
    assert App.objects.filter(name="demo").count() == 1


def test_bootstrap_demo_generates_a_key_once_and_keeps_it(db, settings, tmp_path):
    settings.DEBUG = True
    settings.DEMO_API_KEY = ""
    settings.VAR_DIR = tmp_path
    first, second = StringIO(), StringIO()
    call_command("bootstrap_demo", stdout=first)
    call_command("bootstrap_demo", stdout=second)
    key = first.getvalue().split("Demo API key: ")[1].split()[0]
    assert f"Demo API key: {key}" in second.getvalue()
    assert (tmp_path / "demo_api_key").read_text().strip() == key


def test_bootstrap_demo_refuses_outside_debug_and_creates_nothing(db, settings, tmp_path):
    from django.contrib.auth import get_user_model

    settings.DEBUG = False
    settings.VAR_DIR = tmp_path
    with pytest.raises(CommandError, match="bootstrap_demo is for development only: DEBUG is off"):
        call_command("bootstrap_demo", stdout=StringIO())
    assert not App.objects.exists() and not get_user_model().objects.exists()
    assert not (tmp_path / "demo_api_key").exists()


def test_run_simulator_on_a_taken_port_fails_with_one_line_naming_it():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=rf"^cannot listen on 127.0.0.1:{port}: Address already in use"):
            call_command("run_simulator", "--host", "127.0.0.1", "--port", str(port), stdout=StringIO())


def test_bootstrap_demo_names_a_malformed_demo_api_key_in_one_line(db, settings, tmp_path):
    settings.DEBUG = True
    settings.DEMO_API_KEY = "much-too-long-prefix.secret-of-enough-length"
    settings.VAR_DIR = tmp_path
    with pytest.raises(CommandError, match="^DEMO_API_KEY: An API key must look like"):
        call_command("bootstrap_demo", stdout=StringIO())


def test_run_stack_refuses_an_address_that_is_not_host_and_port(db):
    with pytest.raises(CommandError, match="'8100' is not HOST:PORT"):
        call_command("run_stack", "--web", "8100", stdout=StringIO())


def test_the_demo_transport_follows_the_simulator_the_stack_runs(db, settings, tmp_path):
    from transports.models import Transport
    from whatsapp_gateway.demo import demo_bootstrap, demo_transport_point_at

    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    demo = demo_bootstrap()
    assert Transport.objects.get(pk=demo.transport_id).config["baseUrl"] == "http://127.0.0.1:8001"
    assert demo_transport_point_at(base_url="http://127.0.0.1:8101") == demo.transport_id
    assert Transport.objects.get(pk=demo.transport_id).config["baseUrl"] == "http://127.0.0.1:8101"
    # One an operator pointed at Meta stays there.
    transport = Transport.objects.get(pk=demo.transport_id)
    transport.config = {**transport.config, "baseUrl": "https://graph.facebook.com"}
    transport.save()
    demo_transport_point_at(base_url="http://127.0.0.1:8102")
    assert Transport.objects.get(pk=demo.transport_id).config["baseUrl"] == "https://graph.facebook.com"


def test_sends_webhooks_and_housekeeping_each_go_to_a_queue_of_their_own(settings):
    from celery_app import app as celery_app
    from celery_app import queue_names

    default = celery_app.conf.task_default_queue
    routes = {
        name: celery_app.amqp.router.route({}, name)["queue"].name
        for name in ("broadcasts.tasks.dispatch_session", "broadcasts.tasks.process_webhook_events",
                     "broadcasts.tasks.sweep_sessions", "broadcasts.tasks.purge_personal_data",
                     "templates.tasks.sync_all_templates", "broadcasts.callbacks.tasks.deliver_callback",
                     "broadcasts.callbacks.tasks.deliver_due_callbacks")
    }
    assert routes == {
        "broadcasts.tasks.dispatch_session": default,
        "broadcasts.tasks.process_webhook_events": f"{default}.webhooks",
        "broadcasts.tasks.sweep_sessions": f"{default}.housekeeping",
        "broadcasts.tasks.purge_personal_data": f"{default}.housekeeping",
        "templates.tasks.sync_all_templates": f"{default}.housekeeping",
        "broadcasts.callbacks.tasks.deliver_callback": f"{default}.callbacks",
        "broadcasts.callbacks.tasks.deliver_due_callbacks": f"{default}.callbacks",
    }
    assert queue_names(default_queue="gateway") == [
        "gateway", "gateway.webhooks", "gateway.housekeeping", "gateway.callbacks"
    ]


def test_the_stack_runs_a_sends_worker_and_an_events_worker_with_beat_and_tells_each_process_the_simulator():
    from whatsapp_gateway.stack import StackOptions, stack_commands, stack_env

    options = StackOptions(web="127.0.0.1:8100", simulator="127.0.0.1:8101", callback_transport_id=7)
    commands = stack_commands(options)
    assert set(commands) == {"web", "worker", "events-worker", "simulator"}
    sends, events = commands["worker"], commands["events-worker"]
    assert sends[sends.index("--queues") + 1] == "gateway" and "--beat" not in sends
    assert events[events.index("--queues") + 1] == "gateway.webhooks,gateway.housekeeping,gateway.callbacks"
    assert "--beat" in events
    assert commands["web"][-1] == "127.0.0.1:8100"
    assert commands["simulator"][-2:] == ["--callback-url", "http://127.0.0.1:8100/webhooks/whatsapp/7"]
    env = stack_env(options)
    assert env["SIMULATOR_URL"] == env["WHATSAPP_API_BASE_URL"] == "http://127.0.0.1:8101"
