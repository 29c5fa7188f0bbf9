"""Every Meta error the simulator imitates, with Meta's body and HTTP status."""

import pytest
import requests

from .helpers import TOKEN, assert_meta_error, body_params, template_message, text_message


def test_it_answers_190_for_an_unknown_token(graph):
    graph.token = "not-a-token"

    assert_meta_error(graph.send(text_message()), 190, 401)


def test_it_answers_190_with_subcode_463_for_an_expired_token(graph, sim):
    sim.configure(expired_tokens=[TOKEN])

    error = assert_meta_error(graph.send(text_message()), 190, 401)

    assert error["error_subcode"] == 463
    assert "expired" in error["message"]


def test_it_answers_10_for_a_token_without_messaging_permission(graph, sim):
    sim.configure(forbidden_tokens=[TOKEN])

    assert_meta_error(graph.send(text_message()), 10, 403)


def test_it_answers_200_for_a_token_without_management_permission(graph, sim):
    sim.configure(forbidden_tokens=[TOKEN])

    assert_meta_error(graph.templates(), 200, 403)


def test_it_answers_100_for_an_unknown_phone_number_id(graph):
    error = assert_meta_error(graph.send(text_message(), phone_id="999"), 100, 400)

    assert error["error_subcode"] == 33


def test_it_answers_100_when_messaging_product_is_missing(graph):
    payload = text_message()
    del payload["messaging_product"]

    assert_meta_error(graph.send(payload), 100, 400)


def test_it_answers_100_for_an_unsupported_api_version(graph):
    assert_meta_error(graph.send(text_message(), version="latest"), 100, 400)


@pytest.mark.parametrize("to", ["12ab5678901", "1234567", "1234567890123456"])
def test_it_answers_131026_for_a_recipient_that_is_not_a_phone_number(graph, to):
    assert_meta_error(graph.send(text_message(to=to)), 131026, 400)


def test_it_answers_131030_for_a_recipient_outside_the_allowed_list(graph, sim):
    sim.configure(allowed_recipients=["14155550100"])

    assert graph.send(text_message(to="14155550100")).status_code == 200
    assert_meta_error(graph.send(text_message(to="14155550101")), 131030, 400)


def test_it_answers_the_configured_error_for_a_chosen_recipient(graph, sim):
    sim.configure(recipient_errors={"+14155550666": 131049})

    assert_meta_error(graph.send(text_message(to="14155550666")), 131049, 400)
    assert graph.send(text_message(to="14155550667")).status_code == 200


def test_it_answers_132001_for_a_missing_template(graph):
    error = assert_meta_error(graph.send(template_message("no_such_template")), 132001, 404)

    assert error["error_subcode"] == 2494073
    assert "does not exist in en_US" in error["error_data"]["details"]


def test_it_answers_132001_for_a_template_in_another_language(graph):
    assert_meta_error(graph.send(template_message("hello_world", language="en")), 132001, 404)


def test_it_answers_132001_for_a_template_still_pending(graph):
    assert_meta_error(graph.send(template_message("new_offer", [body_params("Ana")])), 132001, 404)


def test_it_answers_132000_when_the_body_parameter_count_differs(graph):
    response = graph.send(template_message("order_confirmation", [body_params("Ana")]))

    error = assert_meta_error(response, 132000, 400)
    assert "(1) does not match the expected number of params (3)" in error["error_data"]["details"]


def test_it_answers_132000_when_a_url_button_variable_is_missing(graph):
    assert_meta_error(graph.send(template_message("shipping_update", [body_params("B-1")])), 132000, 400)


def test_it_answers_100_when_a_named_template_gets_positional_parameters(graph):
    response = graph.send(template_message("appointment_reminder", [body_params("Ana", "12 March", "10:30")]))

    error = assert_meta_error(response, 100, 400)
    assert "Parameter name is missing" in error["error_data"]["details"]


def test_it_answers_132012_when_the_header_media_type_differs(graph):
    header = {"type": "header", "parameters": [{"type": "video", "video": {"link": "https://cdn.example.com/a.mp4"}}]}

    assert_meta_error(graph.send(template_message("promo_image", [header, body_params("20%")])), 132012, 400)


def test_it_answers_132012_when_a_location_header_is_missing_or_of_another_kind(graph):
    image = {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://cdn.example.com/a.jpg"}}]}

    assert_meta_error(graph.send(template_message("store_location", [body_params("B-1")])), 132012, 400)
    assert_meta_error(graph.send(template_message("store_location", [image, body_params("B-1")])), 132012, 400)


@pytest.mark.parametrize(
    ("change", "code"),
    [({"name": ""}, 131008), ({"address": None}, 131008), ({"latitude": "91"}, 131009), ({"longitude": "x"}, 131009)],
)
def test_it_checks_a_location_headers_values(graph, change, code):
    location = {"latitude": "37.4421", "longitude": "-122.1615", "name": "Philz Coffee", "address": "101 Forest Ave",
                **change}
    header = {"type": "header", "parameters": [{"type": "location", "location": location}]}

    assert_meta_error(graph.send(template_message("store_location", [header, body_params("B-1")])), code, 400)


def test_it_answers_132015_for_a_paused_template(graph):
    assert_meta_error(graph.send(template_message("old_promo", [body_params("x")])), 132015, 400)


def test_it_answers_132016_for_a_disabled_template(graph):
    assert_meta_error(graph.send(template_message("legacy_notice")), 132016, 400)


def test_it_answers_131053_for_an_unknown_media_id(graph):
    header = {"type": "header", "parameters": [{"type": "image", "image": {"id": "424242"}}]}

    assert_meta_error(graph.send(template_message("promo_image", [header, body_params("20%")])), 131053, 400)


def test_it_answers_131053_for_a_media_link_that_fails_to_download(graph, sim):
    payload = {"messaging_product": "whatsapp", "to": "14155550123", "type": "document",
               "document": {"link": "https://fail.example.com/invoice.pdf"}}

    assert_meta_error(graph.send(payload), 131053, 400)
    sim.configure(failing_media_links=["https://cdn.example.com/gone.pdf"])
    payload["document"]["link"] = "https://cdn.example.com/gone.pdf"
    assert_meta_error(graph.send(payload), 131053, 400)


def test_it_answers_131051_for_an_unsupported_message_type(graph):
    assert_meta_error(graph.send({**text_message(), "type": "hologram"}), 131051, 400)


def test_it_answers_131008_when_the_text_body_is_missing(graph):
    assert_meta_error(graph.send({**text_message(), "text": {}}), 131008, 400)


def test_it_counts_errors_by_code_in_stats(graph, sim):
    graph.send(template_message("legacy_notice"))
    graph.send(template_message("legacy_notice"))

    assert sim.stats()["errors_by_code"]["132016"] == 2


def test_it_sends_nothing_for_a_rejected_request(graph, sim):
    graph.send(template_message("legacy_notice"))

    assert sim.messages() == []
    assert sim.stats()["counters"].get("accepted", 0) == 0


@pytest.mark.parametrize("path", ["/v23.0/100000000000001/nonsense", "/v23.0/a/b/c/d", "/favicon.ico"])
def test_an_unknown_graph_path_answers_metas_json_error(graph, path):
    response = requests.get(graph.base_url + path, headers=graph.headers(), timeout=5)

    assert response.headers["Content-Type"].startswith("application/json")
    error = assert_meta_error(response, 2500, 400)
    assert error["message"].startswith("Unknown path components")


def test_an_unsupported_method_answers_metas_json_error(graph):
    response = requests.put(f"{graph.base_url}/v23.0/100000000000001/messages", headers=graph.headers(), timeout=5)

    error = assert_meta_error(response, 100, 400)
    assert "Unsupported put request" in error["message"]
