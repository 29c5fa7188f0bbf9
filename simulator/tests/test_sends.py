"""Accepted sends: Meta's success shape, and what the simulator records."""

from .helpers import PHONE_ID, body_params, template_message, text_message


def test_it_accepts_a_text_message_with_metas_success_shape(graph, sim):
    response = graph.send(text_message(to="+14155550123"))

    assert response.status_code == 200
    body = response.json()
    assert body["messaging_product"] == "whatsapp"
    assert body["contacts"] == [{"input": "+14155550123", "wa_id": "14155550123"}]
    assert body["messages"][0]["id"].startswith("wamid.")
    assert "message_status" not in body["messages"][0]


def test_it_gives_every_message_a_unique_wamid(graph):
    wamids = {graph.send(text_message(to=f"1415555{n:04d}")).json()["messages"][0]["id"] for n in range(20)}

    assert len(wamids) == 20


def test_it_records_what_it_received(graph, sim):
    response = graph.send(template_message("order_confirmation", [body_params("Ana", "B-1042", "12 March")]))
    wamid = response.json()["messages"][0]["id"]

    [record] = sim.messages(to="14155550123")
    assert record["wamid"] == wamid
    assert record["type"] == "template"
    assert record["template"] == "order_confirmation"
    assert record["language"] == "en_US"
    assert record["phone_number_id"] == PHONE_ID
    assert record["payload"]["template"]["name"] == "order_confirmation"
    assert record["received_at"] > 0


def test_it_answers_template_sends_with_message_status_accepted(graph):
    response = graph.send(template_message("hello_world"))

    assert response.status_code == 200
    assert response.json()["messages"][0]["message_status"] == "accepted"


def test_it_accepts_named_parameters(graph):
    parameters = [
        {"type": "text", "parameter_name": "first_name", "text": "Ana"},
        {"type": "text", "parameter_name": "date", "text": "12 March"},
        {"type": "text", "parameter_name": "time", "text": "10:30"},
    ]

    response = graph.send(template_message("appointment_reminder", [{"type": "body", "parameters": parameters}]))

    assert response.status_code == 200, response.json()


def test_it_accepts_each_media_header_kind_by_link(graph):
    for name, kind, params in (
        ("promo_image", "image", ["20%"]),
        ("product_video", "video", ["Trail Runner 2"]),
        ("invoice_document", "document", ["INV-1", "$3"]),
    ):
        header = {"type": "header", "parameters": [{"type": kind, kind: {"link": f"https://cdn.example.com/x.{kind}"}}]}

        response = graph.send(template_message(name, [header, body_params(*params)], to="14155550199"))

        assert response.status_code == 200, (name, response.json())


def test_it_accepts_a_location_header(graph):
    location = {"latitude": "37.4421", "longitude": "-122.1615", "name": "Philz Coffee", "address": "101 Forest Ave"}
    header = {"type": "header", "parameters": [{"type": "location", "location": location}]}

    response = graph.send(template_message("store_location", [header, body_params("B-1042")]))

    assert response.status_code == 200, response.json()


def test_it_accepts_url_and_quick_reply_button_parameters(graph):
    components = [
        body_params("B-1042"),
        {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "B-1042"}]},
        {"type": "button", "sub_type": "quick_reply", "index": 1,
         "parameters": [{"type": "payload", "payload": "STOP"}]},
    ]

    response = graph.send(template_message("shipping_update", components))

    assert response.status_code == 200, response.json()


def test_it_accepts_media_messages_by_link(graph):
    payload = {"messaging_product": "whatsapp", "to": "14155550123", "type": "image",
               "image": {"link": "https://cdn.example.com/a.jpg", "caption": "Look"}}

    assert graph.send(payload).status_code == 200
