"""The admin as operators use it: a readable preview, and Meta's rules before a template is submitted."""

import json

import requests

from templates.models import Template
from templates.services import templates_sync
from transports.models import Transport


def test_the_change_page_previews_the_template_and_the_parameters_a_send_must_give(admin_client, sim_transport):
    templates_sync(transport=Transport.objects.get(pk=sim_transport["id"]))
    template = Template.objects.get(name="order_confirmation")
    page = admin_client.get(f"/admin/message_templates/template/{template.pk}/change/").content.decode()
    assert "Hi {{1}}, your order {{2}} is confirmed and will arrive on {{3}}. Thank you!" in page
    assert "Questions? Just reply to this message." in page  # the footer
    assert "3 positional body parameter(s) (1, 2, 3)" in page


def test_the_add_form_shows_metas_rules_and_submits_nothing_that_breaks_them(admin_client, sim_transport, simulator):
    form = {
        "transport": sim_transport["id"], "name": "Order Shipped", "language": "en_US", "category": "UTILITY",
        "parameter_format": "POSITIONAL", "components": json.dumps([{"type": "BODY", "text": "Hi {{1}}, ok."}]),
    }
    page = admin_client.post("/admin/message_templates/template/add/", form)
    assert page.status_code == 200
    content = page.content.decode()
    assert "Use 1-512 lowercase letters, digits and underscores" in content
    assert "BODY needs example.body_text with 1 sample value(s)" in content
    at_meta = requests.get(
        f"{simulator.base_url}/v23.0/200000000000001/message_templates", params={"limit": 1000},
        headers={"Authorization": "Bearer demo-access-token"}, timeout=5,
    ).json()["data"]
    assert "Order Shipped" not in {item["name"] for item in at_meta}
    assert not Template.objects.filter(name="Order Shipped").exists()


def test_the_sync_action_names_each_template_it_had_to_skip(admin_client, sim_transport, simulator):
    simulator._call(lambda: simulator._state.templates._add(
        waba_id="200000000000001", name="x" * 600, language="en_US", category="UTILITY", status="APPROVED",
        components=[{"type": "BODY", "text": "Hi"}],
    ))
    Template.objects.create(app_id=Transport.objects.get(pk=sim_transport["id"]).app_id,
                            transport_id=sim_transport["id"], name="hello_world", language="en_US")
    page = admin_client.post(
        "/admin/message_templates/template/",
        {"action": "sync_from_meta", "_selected_action": list(Template.objects.values_list("pk", flat=True))},
        follow=True,
    )
    assert page.status_code == 200
    assert f"{'x' * 100} (en_US) skipped: name".encode() in page.content


def test_the_transport_list_syncs_the_selected_transports_templates(admin_client, sim_transport):
    page = admin_client.post(
        "/admin/transports/transport/", {"action": "sync_templates", "_selected_action": [sim_transport["id"]]},
        follow=True,
    )
    assert page.status_code == 200 and b"new, 0 updated, 0 deleted at Meta." in page.content
    assert Template.objects.filter(transport_id=sim_transport["id"], name="order_confirmation").exists()
