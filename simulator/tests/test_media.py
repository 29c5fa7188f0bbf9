"""Media upload and use of the returned id in sends."""

import requests

from .helpers import assert_meta_error, body_params, template_message

JPEG = b"\xff\xd8\xff\xe0" + b"0" * 100


def image_header(media_id: str) -> dict:
    return {"type": "header", "parameters": [{"type": "image", "image": {"id": media_id}}]}


def test_it_returns_a_media_id_usable_in_a_template_header(graph):
    response = graph.upload(JPEG, "image/jpeg", "promo.jpg")

    assert response.status_code == 200
    media_id = response.json()["id"]
    sent = graph.send(template_message("promo_image", [image_header(media_id), body_params("20%")]))
    assert sent.status_code == 200, sent.json()


def test_it_returns_a_media_id_usable_in_a_media_message(graph):
    media_id = graph.upload(b"%PDF-1.4 test", "application/pdf", "invoice.pdf").json()["id"]

    payload = {"messaging_product": "whatsapp", "to": "14155550123", "type": "document",
               "document": {"id": media_id, "filename": "invoice.pdf"}}

    assert graph.send(payload).status_code == 200


def test_it_describes_an_uploaded_media(graph, sim):
    media_id = graph.upload(JPEG, "image/jpeg").json()["id"]

    body = requests.get(f"{sim.base_url}/v23.0/{media_id}", headers=graph.headers(), timeout=5).json()

    assert body["id"] == media_id
    assert body["mime_type"] == "image/jpeg"
    assert body["file_size"] == len(JPEG)


def test_it_refuses_an_unsupported_mime_type(graph):
    assert_meta_error(graph.upload(b"MZ...", "application/x-msdownload"), 131053, 400)


def test_it_refuses_an_upload_without_messaging_product(graph):
    assert_meta_error(graph.upload(JPEG, "image/jpeg", messaging_product="facebook"), 100, 400)


def test_it_refuses_an_upload_without_a_valid_token(graph):
    graph.token = "nope"

    assert_meta_error(graph.upload(JPEG, "image/jpeg"), 190, 401)


def test_it_forgets_media_on_reset(graph, sim):
    media_id = graph.upload(JPEG, "image/jpeg").json()["id"]
    sim.reset()

    response = graph.send(template_message("promo_image", [image_header(media_id), body_params("20%")]))

    assert_meta_error(response, 131053, 400)
