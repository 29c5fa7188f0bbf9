"""`manage.py sync_templates` as a cron job runs it: a failed transport is a non-zero exit naming it."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from whatsapp_gateway.testing import whatsapp_transport_via_api


def test_every_transport_synced_exits_zero_with_one_line_each(sim_transport):
    out = StringIO()
    call_command("sync_templates", stdout=out)
    assert out.getvalue().startswith(f"transport {sim_transport['id']}: ")
    assert " new, " in out.getvalue()


def test_one_failed_transport_fails_the_command_with_a_line_naming_it(api, sim_transport, simulator):
    # Meta (the simulator) refuses this one's token: its sync fails, the other one's still runs.
    refused = whatsapp_transport_via_api(
        api, base_url=simulator.base_url, phone_strictness="possible", access_token="not-a-token-meta-knows"
    )
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match=r"1 of 2 transport\(s\) failed to sync"):
        call_command("sync_templates", stdout=out, stderr=err)
    assert f"transport {sim_transport['id']}: " in out.getvalue()  # the other one was still synced
    failures = err.getvalue().strip().splitlines()
    assert len(failures) == 1
    assert failures[0].startswith(f"transport {refused['id']}: sync failed: ")


def test_a_failed_sync_of_the_one_transport_asked_for_names_it(api, simulator, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = [simulator.base_url.split("://", 1)[1] + "/v"]
    refused = whatsapp_transport_via_api(
        api, base_url=simulator.base_url, phone_strictness="possible", access_token="not-a-token-meta-knows"
    )
    with pytest.raises(CommandError, match=rf"^transport {refused['id']}: sync failed: "):
        call_command("sync_templates", "--transport", str(refused["id"]), stdout=StringIO())
