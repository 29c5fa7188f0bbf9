"""Deployment: secure defaults off DEBUG, the compose stack, the monitoring files."""

import ast
import os
import re
import runpy
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from whatsapp_gateway.metrics import metric_names
from whatsapp_gateway.testing import ROOT, production_env, variables_read_by_settings

DOCKER = ROOT / "docker"
GATEWAY_SERVICES = {"web", "worker", "beat", "simulator"}
# Read by compose itself (interpolated into compose.yml), not by the gateway's settings.
COMPOSE_ONLY = {"POSTGRES_PASSWORD", "RABBITMQ_PASSWORD", "WEB_PORT", "RABBITMQ_MANAGEMENT_PORT"}


def check_deploy(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )


def settings_in(env: dict, *names: str) -> list[str]:
    """repr() of each named setting as a process started with `env` sees it."""
    code = "from django.conf import settings as s; " + "; ".join(f"print(repr(s.{name}))" for name in names)
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"], cwd=ROOT, capture_output=True, text=True,
        env={**env, "DJANGO_SETTINGS_MODULE": "whatsapp_gateway.settings"}, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_check_deploy_passes_with_the_documented_production_variables():
    result = check_deploy(production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_errors_when_the_webhook_credentials_are_unset():
    result = check_deploy(production_env(WHATSAPP_APP_SECRET=None, WHATSAPP_VERIFY_TOKEN=None))
    assert result.returncode != 0
    assert "whatsapp_gateway.E001" in result.stderr and "WHATSAPP_APP_SECRET is not set" in result.stderr
    assert "whatsapp_gateway.E002" in result.stderr and "WHATSAPP_VERIFY_TOKEN is not set" in result.stderr


def test_check_deploy_errors_on_the_public_demo_values():
    result = check_deploy(production_env(
        WHATSAPP_APP_SECRET="demo-app-secret", WHATSAPP_VERIFY_TOKEN="demo-verify-token",
        WHATSAPP_ACCESS_TOKEN="demo-access-token",
    ))
    assert result.returncode != 0
    for check_id, name in (("E001", "WHATSAPP_APP_SECRET"), ("E002", "WHATSAPP_VERIFY_TOKEN"),
                           ("E003", "WHATSAPP_ACCESS_TOKEN")):
        assert f"whatsapp_gateway.{check_id}" in result.stderr and f"{name} is the public demo value" in result.stderr


def test_debug_is_off_unless_set():
    # Neither DEBUG nor pytest's PYTEST_VERSION: what a production process sees when DEBUG is forgotten.
    env = {k: v for k, v in production_env().items() if k not in {"DEBUG", "PYTEST_VERSION"}}
    assert settings_in(env, "DEBUG") == ["False"]
    del env["SECRET_KEY"]
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0 and "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_with_debug_off_no_whatsapp_credential_falls_back_to_a_demo_value():
    unset = production_env(WHATSAPP_APP_SECRET=None, WHATSAPP_VERIFY_TOKEN=None)
    assert settings_in(unset, "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN") == ["''"] * 3


def test_a_webhook_signed_with_the_demo_secret_finds_no_demo_transport_in_production_config(
    app, client, settings, tmp_path
):
    import hashlib
    import hmac

    from django.core.management import CommandError, call_command

    from transports.models import Transport

    settings.VAR_DIR = tmp_path
    assert settings.DEBUG is False
    # The WHATSAPP_* credentials exactly as a production process without them sees them.
    names = list(settings.WHATSAPP_DEMO_VALUES)
    unset = production_env(WHATSAPP_APP_SECRET=None, WHATSAPP_VERIFY_TOKEN=None)
    for name, value in zip(names, settings_in(unset, *names), strict=True):
        setattr(settings, name, ast.literal_eval(value))
    with pytest.raises(CommandError):
        call_command("bootstrap_demo")
    with pytest.raises(CommandError):
        call_command("create_whatsapp_transport", "--app", app.name)
    assert not Transport.objects.exists()
    body = b'{"object": "whatsapp_business_account", "entry": []}'
    signature = "sha256=" + hmac.new(b"demo-app-secret", body, hashlib.sha256).hexdigest()
    answer = client.post("/webhooks/whatsapp/1", body, content_type="application/json",
                         headers={"X-Hub-Signature-256": signature})
    assert answer.status_code == 403


def test_the_secure_defaults_are_on_when_debug_is_off():
    assert settings_in(
        production_env(), "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
        "SECURE_PROXY_SSL_HEADER", "STORAGES['staticfiles']['BACKEND']",
    ) == [
        "True", "True", "True", "31536000", "('HTTP_X_FORWARDED_PROTO', 'https')",
        "'whitenoise.storage.CompressedManifestStaticFilesStorage'",
    ]


def test_probes_and_metrics_are_not_redirected_to_https(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/admin/login/").status_code == 301
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code in (200, 503)


def test_whitenoise_serves_the_admin_static_files(client, db):
    response = client.get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content])


# --- compose --------------------------------------------------------------------------------------------


def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yml").read_text())


def env_file_keys(path: Path) -> set[str]:
    return set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", path.read_text(), flags=re.MULTILINE))


def test_compose_runs_every_part_of_the_gateway_with_a_health_check():
    services = compose()["services"]
    assert set(services) == GATEWAY_SERVICES | {"postgres", "rabbitmq"}
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert services["worker"]["command"][:4] == ["celery", "-A", "celery_app", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "celery_app", "beat"]
    assert services["rabbitmq"]["image"].endswith("-management")
    assert services["postgres"]["image"].startswith("postgres:")


def test_compose_keeps_data_in_volumes():
    spec = compose()
    volumes = set(spec["volumes"])
    assert {"postgres", "rabbitmq", "metrics"} <= volumes
    mounted = {v.split(":")[0] for s in spec["services"].values() for v in s.get("volumes", [])}
    assert {"postgres", "rabbitmq", "metrics", "beat"} <= mounted
    for name in ("web", "worker", "beat"):
        assert "metrics:/run/gateway-metrics" in spec["services"][name]["volumes"]
        assert spec["services"][name]["environment"]["PROMETHEUS_MULTIPROC_DIR"] == "/run/gateway-metrics"


def test_compose_environment_is_what_the_settings_read():
    read = variables_read_by_settings()
    services = compose()["services"]
    for name in GATEWAY_SERVICES:
        assert services[name]["env_file"] == ".env"
        assert set(services[name]["environment"]) - read == set(), name
    documented = env_file_keys(DOCKER / ".env.example")
    assert documented - read - COMPOSE_ONLY == set()
    # What the settings require when DEBUG is off is there to fill in.
    given = documented | set(services["web"]["environment"])
    assert {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECRETS_ENCRYPTION_KEYS", "DATABASE_URL", "CELERY_BROKER_URL",
            "METRICS_TOKEN"} <= given
    interpolated = set(re.findall(r"\$\{([A-Z_]+)", (DOCKER / "compose.yml").read_text()))
    assert interpolated <= COMPOSE_ONLY
    assert {"POSTGRES_PASSWORD", "RABBITMQ_PASSWORD"} <= documented


def test_the_image_runs_as_a_non_root_user_in_stages():
    dockerfile = (DOCKER / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, flags=re.MULTILINE)) >= 2
    users = re.findall(r"^USER (\S+)", dockerfile, flags=re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    assert "collectstatic" in dockerfile and "HEALTHCHECK" in dockerfile


# --- monitoring files -----------------------------------------------------------------------------------

PROMQL_WORDS = {
    "sum", "by", "rate", "delta", "and", "or", "unless", "histogram_quantile", "le", "max", "min", "avg",
    "count", "without", "on", "ignoring", "group_left", "irate", "increase", "bool", "offset",
}


def metric_names_in(expr: str) -> set[str]:
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges
    expr = re.sub(r"\([^()]*\)(?=\s*\()", "", expr)
    words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr))
    # The words after `by`/`without` are label names; only gateway_* names are metrics here.
    return {w for w in words if w.startswith("gateway_")} - PROMQL_WORDS


def alert_rules() -> list[dict]:
    spec = yaml.safe_load((DOCKER / "prometheus" / "alerts.yml").read_text())
    return [rule for group in spec["groups"] for rule in group["rules"]]


def test_the_alert_rules_parse_and_use_only_metrics_the_gateway_exposes():
    rules = alert_rules()
    names = {rule["alert"] for rule in rules}
    assert {"GatewayNoLiveWorker", "GatewayHighFailureRate", "GatewayQueueGrowing", "GatewayTransportStopped"} <= names
    for rule in rules:
        used = metric_names_in(rule["expr"])
        assert used, rule["alert"]
        assert used <= metric_names(), (rule["alert"], used - metric_names())
        assert rule["labels"]["severity"] and rule["annotations"]["summary"]


def test_the_grafana_dashboard_uses_only_metrics_the_gateway_exposes():
    import json

    dashboard = json.loads((DOCKER / "grafana" / "dashboard.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert len(exprs) >= 10
    for expr in exprs:
        used = metric_names_in(expr)
        assert used and used <= metric_names(), (expr, used - metric_names())


@pytest.mark.needs("promtool (apt-get install prometheus)", available=shutil.which("promtool") is not None)
def test_promtool_accepts_the_rules_and_the_scrape_config():
    for args in (["check", "rules", "alerts.yml"], ["check", "config", "--syntax-only", "prometheus.yml"]):
        result = subprocess.run(["promtool", *args], cwd=DOCKER / "prometheus", capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def _beat_health(schedule: Path) -> int:
    return subprocess.run(
        [sys.executable, str(DOCKER / "healthcheck.py"), "beat", str(schedule)], capture_output=True, timeout=30
    ).returncode


def test_the_beat_health_check_follows_a_real_beats_schedule_file(tmp_path):
    schedule = tmp_path / "celerybeat-schedule"
    assert _beat_health(schedule) == 1, "no schedule file yet"

    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "celery_app", "beat", "--schedule", str(schedule), "--loglevel", "INFO"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not list(tmp_path.glob("celerybeat-schedule*")) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _beat_health(schedule) == 0
    finally:
        beat.terminate()
        beat.wait(timeout=15)

    stale = time.time() - 600
    for path in tmp_path.glob("celerybeat-schedule*"):
        os.utime(path, (stale, stale))
    assert _beat_health(schedule) == 1, "a schedule not saved for 10 minutes means beat is gone"


def test_gunicorn_access_lines_leave_out_query_strings_and_referrers():
    # Query strings carry Meta's hub.verify_token and searched phone numbers; referrers repeat them.
    config = runpy.run_path(str(DOCKER / "gunicorn.conf.py"))
    access_format = config["access_log_format"]
    assert "%(U)s" in access_format
    for atom in ("%(r)s", "%(q)s", "%(f)s"):
        assert atom not in access_format


@pytest.mark.needs("make", available=shutil.which("make") is not None)
def test_the_makefile_runs_development_commands_in_debug_unless_told_otherwise():
    def debug_under_make(env: dict) -> str:
        return subprocess.run(
            ["make", "-s", "--eval", 'show-debug: ; @echo "$$DEBUG"', "show-debug"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=30,
        ).stdout.strip()

    without = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    assert debug_under_make(without) == "1"
    assert debug_under_make({**without, "DEBUG": "false"}) == "false"
