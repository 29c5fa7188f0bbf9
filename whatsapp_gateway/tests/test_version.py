"""One version, shown by the command, the OpenAPI info and the admin header, with a changelog entry."""

import subprocess
import sys

from django.conf import settings
from django.core.management import call_command

from whatsapp_gateway.testing import ROOT


def test_the_version_command_prints_settings_version(capsys):
    call_command("version")
    assert capsys.readouterr().out.strip() == settings.VERSION


def test_manage_py_version_is_the_gateways_not_djangos():
    run = subprocess.run([sys.executable, "manage.py", "version"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == settings.VERSION


def test_the_openapi_info_carries_the_version(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert schema["info"]["version"] == settings.VERSION


def test_the_admin_header_shows_the_version(admin_client):
    assert f"WhatsApp Gateway {settings.VERSION}" in admin_client.get("/admin/").content.decode()


def test_the_changelog_has_an_entry_for_this_version():
    assert f"## [{settings.VERSION}]" in (ROOT / "CHANGELOG.md").read_text()
