"""A transport row edited by hand in the database is reported before it fails a send."""

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import CommandError

from transports.checks import stored_transports_check
from transports.models import Transport


@pytest.fixture
def broken(app):
    # Inserted around the services, as a hand-written SQL INSERT would be.
    return Transport.objects.create(
        app=app,
        name="hand-made",
        config={"request": {"url": "https://api.example.com", "method": "DELETE"}, "maxAttempts": 0},
    )


def test_the_system_check_warns_about_a_hand_inserted_broken_transport(broken):
    warnings = stored_transports_check(databases=["default"])
    assert [w.id for w in warnings] == ["transports.W001"]
    assert "request.method: must be one of POST, PUT, PATCH, GET" in warnings[0].msg
    assert "maxAttempts: must be at least 1" in warnings[0].msg
    assert warnings[0].obj == broken
    assert any(w.id == "transports.W001" for w in run_checks(tags=["transports"], databases=["default"]))


def test_the_system_check_waits_for_a_database_check_so_other_commands_decrypt_nothing(broken, monkeypatch):
    from transports import services

    monkeypatch.setattr(services, "transports_config_problems", lambda **kw: pytest.fail("decrypted the transports"))
    assert not any(w.id == "transports.W001" for w in run_checks(tags=["transports"]))
    assert stored_transports_check() == []


def test_the_system_check_is_quiet_when_every_transport_is_valid(db):
    assert stored_transports_check(databases=["default"]) == []


def test_the_command_names_the_transport_the_field_and_the_rule(broken, capsys):
    with pytest.raises(CommandError, match="1 transport"):
        call_command("check_transports")
    out = capsys.readouterr().out
    assert f"Transport {broken.pk} (hand-made, app alice)" in out
    assert "maxAttempts: must be at least 1" in out


def test_the_command_says_so_when_all_is_well(db, capsys):
    call_command("check_transports")
    assert "valid" in capsys.readouterr().out


def test_undecryptable_secrets_are_reported(app):
    Transport.objects.create(
        app=app, name="bad-secrets", config={"request": {"url": "https://api.example.com"}}, encrypted_secrets="junk"
    )
    assert "secrets: cannot be decrypted" in stored_transports_check(databases=["default"])[0].msg
