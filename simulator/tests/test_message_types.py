"""Non-template message types as Meta's reference describes them: accepted when valid, refused with Meta's code."""

import pytest

from .helpers import PHONE_ID, assert_meta_error

TO = "14155550123"


def message(kind: str, body: object) -> dict:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": TO, "type": kind, kind: body}


def reply_buttons(count: int, title: str = "Yes") -> dict:
    buttons = [{"type": "reply", "reply": {"id": f"choice-{n}", "title": f"{title[:17]} {n}"}} for n in range(count)]
    return {"type": "button", "body": {"text": "Pick one"}, "action": {"buttons": buttons}}


def list_message(sections: list[dict]) -> dict:
    return {"type": "list", "header": {"type": "text", "text": "Menu"}, "body": {"text": "Choose"},
            "footer": {"text": "Thanks"}, "action": {"button": "See options", "sections": sections}}


def rows(count: int, prefix: str = "r") -> list[dict]:
    return [{"id": f"{prefix}{n}", "title": f"Row {n}", "description": "Short"} for n in range(count)]


CONTACT = {
    "name": {"formatted_name": "Ana Lima", "first_name": "Ana", "last_name": "Lima"},
    "phones": [{"phone": "+1 415 555 0100", "type": "WORK", "wa_id": "14155550100"}],
    "emails": [{"email": "ana@example.com", "type": "WORK"}],
    "org": {"company": "Example"},
}


# ------------------------------------------------------------------------------------- contacts
def test_contacts_messages_take_metas_list_of_contacts(graph, sim):
    response = graph.send(message("contacts", [CONTACT, {"name": {"formatted_name": "Bo", "first_name": "Bo"}}]))

    assert response.status_code == 200, response.text
    assert sim.messages(type="contacts")[0]["payload"]["contacts"][1]["name"]["formatted_name"] == "Bo"


@pytest.mark.parametrize("contacts", [CONTACT, [], [{"phones": [{"phone": "1"}]}], [{"name": {"first_name": "A"}}]])
def test_contacts_messages_without_a_list_of_named_contacts_are_refused(graph, contacts):
    assert_meta_error(graph.send(message("contacts", contacts)), 131008, 400)


# ------------------------------------------------------------------------------------- location / reaction
def test_location_messages_need_coordinates_in_range(graph):
    ok = graph.send(message("location", {"latitude": "37.48", "longitude": -122.14, "name": "HQ", "address": "1 St"}))
    assert ok.status_code == 200, ok.text

    assert_meta_error(graph.send(message("location", {"latitude": 37.48})), 131008, 400)
    assert_meta_error(graph.send(message("location", {"latitude": 91, "longitude": 0})), 131009, 400)


def test_reactions_need_the_message_id_and_may_remove_the_emoji(graph):
    assert graph.send(message("reaction", {"message_id": "wamid.ABC", "emoji": "\U0001f44d"})).status_code == 200
    assert graph.send(message("reaction", {"message_id": "wamid.ABC", "emoji": ""})).status_code == 200

    assert_meta_error(graph.send(message("reaction", {"emoji": "\U0001f44d"})), 131008, 400)


# ------------------------------------------------------------------------------------- interactive
def test_interactive_reply_buttons_list_and_cta_url_are_accepted(graph):
    cta = {"type": "cta_url", "body": {"text": "See the offer"},
           "action": {"name": "cta_url", "parameters": {"display_text": "Open", "url": "https://example.com/o"}}}
    for body in (reply_buttons(3), list_message([{"title": "A", "rows": rows(5)},
                                                 {"title": "B", "rows": rows(5, "s")}]), cta):
        response = graph.send(message("interactive", body))
        assert response.status_code == 200, response.text


def test_interactive_with_more_than_three_reply_buttons_is_refused(graph):
    error = assert_meta_error(graph.send(message("interactive", reply_buttons(4))), 131009, 400)

    assert "3" in error["error_data"]["details"]


def test_interactive_reply_button_titles_over_20_characters_are_refused(graph):
    body = reply_buttons(1)
    body["action"]["buttons"][0]["reply"]["title"] = "x" * 21

    assert_meta_error(graph.send(message("interactive", body)), 131009, 400)


def test_interactive_lists_with_more_than_10_sections_are_refused(graph):
    sections = [{"title": f"S{n}", "rows": rows(1, f"s{n}-")} for n in range(11)]

    assert_meta_error(graph.send(message("interactive", list_message(sections))), 131009, 400)


def test_interactive_lists_with_more_than_10_rows_in_total_are_refused(graph):
    sections = [{"title": "A", "rows": rows(6)}, {"title": "B", "rows": rows(5, "b")}]

    error = assert_meta_error(graph.send(message("interactive", list_message(sections))), 131009, 400)

    assert "10" in error["error_data"]["details"]


@pytest.mark.parametrize("where", ["row", "section", "button"])
def test_interactive_lists_with_over_long_titles_are_refused(graph, where):
    body = list_message([{"title": "A", "rows": rows(2)}])
    if where == "row":
        body["action"]["sections"][0]["rows"][0]["title"] = "x" * 25
    elif where == "section":
        body["action"]["sections"][0]["title"] = "x" * 25
    else:
        body["action"]["button"] = "x" * 21

    assert_meta_error(graph.send(message("interactive", body)), 131009, 400)


def test_interactive_without_an_action_is_refused(graph):
    assert_meta_error(graph.send(message("interactive", {"type": "button", "body": {"text": "Hi"}})), 131008, 400)


# ------------------------------------------------------------------------------------- read / typing
def test_mark_as_read_answers_success(graph, sim):
    payload = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.HBgLMTQxNTU1NTAxMjM="}

    response = graph.send(payload)

    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}
    assert sim.messages() == []  # a read receipt is not a message
    assert sim.stats()["counters"]["marked_read"] == 1


def test_typing_indicator_answers_success(graph):
    payload = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X",
               "typing_indicator": {"type": "text"}}

    response = graph.send(payload)

    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}


@pytest.mark.parametrize("payload", [
    {"messaging_product": "whatsapp", "status": "read"},
    {"messaging_product": "whatsapp", "status": "delivered", "message_id": "wamid.X"},
    {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X", "typing_indicator": {"type": "x"}},
])
def test_a_bad_read_receipt_is_refused(graph, payload):
    assert_meta_error(graph.send(payload, phone_id=PHONE_ID), 100, 400)
