"""A real third-party Cloud API client (pywa) against the simulator: every call it makes must be answered as Meta
answers it, and every webhook the simulator posts must parse in it. Loopback only: a request to any other host fails.
"""

import datetime
import threading

import httpx
import pytest
import requests
from pywa import WhatsApp, handlers, types
from pywa.errors import WhatsAppError
from pywa.types import templates as tpl

from .helpers import APP_SECRET, BODY, LTO, OFFER_BUTTONS, PHONE_ID, TOKEN, VERSION, WABA_ID, approved, card

TO = "14155550123"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def loopback_session(base_url: str) -> httpx.Client:
    """An httpx client that pywa uses as is: Graph's address is rewritten to the simulator; nothing else is reached."""
    target = httpx.URL(base_url)

    def to_simulator(request: httpx.Request) -> None:
        if request.url.host != "graph.facebook.com":
            raise AssertionError(f"pywa tried to reach {request.url.host}: only Graph is imitated")
        request.url = request.url.copy_with(scheme=target.scheme, host=target.host, port=target.port)

    return httpx.Client(event_hooks={"request": [to_simulator]}, timeout=10)


class Updates:
    """What pywa made of each webhook: one parsed update per POST, or none when it could not parse it."""

    def __init__(self, wa: WhatsApp):
        self.parsed: list = []
        self._lock = threading.Lock()
        kinds = (
            handlers.MessageHandler, handlers.MessageStatusHandler, handlers.CallbackButtonHandler,
            handlers.CallbackSelectionHandler, handlers.TemplateStatusUpdateHandler,
            handlers.TemplateCategoryUpdateHandler,
        )
        wa.add_handlers(*(kind(self._record) for kind in kinds))

    def _record(self, _wa, update) -> None:
        with self._lock:
            self.parsed.append(update)


@pytest.fixture
def wa(sim, receiver):
    session = loopback_session(sim.base_url)
    client = WhatsApp(
        phone_id=PHONE_ID, token=TOKEN, waba_id=WABA_ID, app_secret=APP_SECRET, verify_token="verify-me",
        session=session, api_version=VERSION.removeprefix("v"),
    )
    yield client
    session.close()


def feed(wa: WhatsApp, receiver) -> list[tuple[int, object]]:
    """Hand every webhook the receiver got to pywa, signature check first, as its own server would."""
    answers = []
    for request in receiver.requests:
        body, signature = request["body"], request["headers"]["X-Hub-Signature-256"]
        refused = wa.webhook_update_validator(body, signature)
        answers.append(refused or wa.webhook_update_handler(body))
    return answers


def sent_id(sent) -> str:
    assert sent.id.startswith("wamid.")
    return sent.id


# ------------------------------------------------------------------------------------- sending
def test_pywa_sends_text_media_location_contacts_and_reactions(wa, sim):
    media_id = wa.upload_media(PNG, mime_type="image/png", filename="a.png").id
    sent = [
        wa.send_message(to=TO, text="Hello from the simulator", preview_url=True),
        wa.send_image(to=TO, image="https://cdn.example.com/a.jpg", caption="A picture"),
        wa.send_image(to=TO, image=media_id),
        wa.send_video(to=TO, video="https://cdn.example.com/a.mp4", caption="A clip"),
        wa.send_document(to=TO, document="https://cdn.example.com/a.pdf", filename="a.pdf", caption="Terms"),
        wa.send_audio(to=TO, audio="https://cdn.example.com/a.ogg"),
        wa.send_voice(to=TO, voice="https://cdn.example.com/v.ogg"),
        wa.send_sticker(to=TO, sticker="https://cdn.example.com/s.webp"),
        wa.send_location(to=TO, latitude=37.4847, longitude=-122.148, name="HQ", address="1 Hacker Way"),
        wa.send_contact(to=TO, contact=types.Contact(
            name=types.Contact.Name(formatted_name="Ana Lima", first_name="Ana", last_name="Lima"),
            phones=[types.Contact.Phone(phone="+1 415 555 0100", type="WORK")],
            emails=[types.Contact.Email(email="ana@example.com", type="WORK")],
        )),
    ]
    first = sent_id(sent[0])
    sent.append(wa.send_reaction(to=TO, emoji="\U0001f44d", message_id=first))
    sent.append(wa.remove_reaction(to=TO, message_id=first))

    kinds = [row["type"] for row in sim.messages()]
    assert len({sent_id(message) for message in sent}) == len(sent)
    assert kinds == ["text", "image", "image", "video", "document", "audio", "audio", "sticker", "location",
                     "contacts", "reaction", "reaction"]


def test_pywa_sends_interactive_buttons_lists_and_cta(wa, sim):
    wa.send_message(to=TO, text="Pick one", header="Choices", footer="Thanks", buttons=[
        types.Button(title="Yes", callback_data="yes"), types.Button(title="No", callback_data="no"),
        types.Button(title="Later", callback_data="later"),
    ])
    wa.send_message(to=TO, text="Pick a row", buttons=types.SectionList(button_title="Options", sections=[
        types.Section(title="Fruit", rows=[types.SectionRow(title="Apple", callback_data="apple",
                                                            description="Red")]),
        types.Section(title="Veg", rows=[types.SectionRow(title="Leek", callback_data="leek")]),
    ]))
    wa.send_message(to=TO, text="See the offer", buttons=types.URLButton(title="Open", url="https://example.com/o"))

    kinds = [row["payload"]["interactive"]["type"] for row in sim.messages(type="interactive")]
    assert kinds == ["button", "list", "cta_url"]


def test_pywa_gets_metas_refusal_for_four_reply_buttons(wa):
    buttons = [types.Button(title=f"Option {n}", callback_data=f"o{n}") for n in range(4)]

    with pytest.raises(WhatsAppError) as refused:
        wa.send_message(to=TO, text="Too many", buttons=buttons)

    assert refused.value.code == 131009


def test_pywa_sends_templates_with_every_header_and_parameter_kind(wa, sim):
    language = tpl.TemplateLanguage.ENGLISH_US
    sends = [
        ("hello_world", []),
        ("order_confirmation", [tpl.BodyText.params("Ana", tpl.Currency(fallback_value="$10.99", code="USD",
                                                                          amount_1000=10990),
                                                    tpl.DateTime(fallback_value="12 March"))]),
        ("appointment_reminder", [tpl.BodyText.params(first_name="Ana", date="12 March", time="10:30")]),
        ("promo_image", [tpl.HeaderImage.params(image="https://cdn.example.com/a.jpg"), tpl.BodyText.params("Ana")]),
        ("product_video", [tpl.HeaderVideo.params(video="https://cdn.example.com/a.mp4"),
                           tpl.BodyText.params("Ana")]),
        ("invoice_document", [tpl.HeaderDocument.params(document="https://cdn.example.com/a.pdf"),
                              tpl.BodyText.params("Ana", "B-1042")]),
        ("store_location", [tpl.HeaderLocation.params(lat=37.48, lon=-122.14, name="HQ", address="1 Hacker Way"),
                            tpl.BodyText.params("Ana")]),
        ("shipping_update", [tpl.BodyText.params("B-1042"), tpl.URLButton.params(url_variable="B-1042", index=0),
                             tpl.QuickReplyButton.params(callback_data="STOP", index=1)]),
    ]
    for name, params in sends:
        sent = wa.send_template(to=TO, name=name, language=language, params=params)
        assert sent.status == types.SentTemplateStatus.ACCEPTED, name

    assert [row["template"] for row in sim.messages(type="template")] == [name for name, _ in sends]


def test_pywa_creates_sends_and_deletes_templates_with_every_button_kind(wa, sim):
    body = tpl.BodyText("Hi {{1}}, see what is new.", "Ana")
    created = [
        wa.create_template(tpl.Template(
            name="button_tour", category=tpl.TemplateCategory.MARKETING, language=tpl.TemplateLanguage.ENGLISH_US,
            components=[tpl.HeaderText("New this week"), body, tpl.FooterText(text="Reply STOP to opt out"),
                        tpl.Buttons(buttons=[
                            tpl.QuickReplyButton(text="Stop"),
                            tpl.URLButton(text="Track", url="https://shop.example.com/o/{{1}}",
                                          example="https://shop.example.com/o/8601"),
                            tpl.PhoneNumberButton(text="Call", phone_number="15550051310"),
                            tpl.CopyCodeButton(example="SPRING25"),
                            tpl.FlowButton(text="Sign up", flow_id="1234567890"),
                        ])])),
        wa.create_template(tpl.Template(
            name="catalog_offer", category=tpl.TemplateCategory.MARKETING, language=tpl.TemplateLanguage.ENGLISH_US,
            components=[body, tpl.Buttons(buttons=[tpl.CatalogButton(text="View catalog")])])),
        wa.create_template(tpl.Template(
            name="product_picks", category=tpl.TemplateCategory.MARKETING, language=tpl.TemplateLanguage.ENGLISH_US,
            components=[body, tpl.Buttons(buttons=[tpl.MPMButton(text="View items")])])),
        wa.create_template(tpl.Template(
            name="login_code", category=tpl.TemplateCategory.AUTHENTICATION,
            language=tpl.TemplateLanguage.ENGLISH_US,
            components=[tpl.AuthenticationBody(add_security_recommendation=True),
                        tpl.AuthenticationFooter(code_expiration_minutes=10),
                        tpl.Buttons(buttons=[tpl.CopyCodeOTPButton()])])),
    ]
    assert all(template.status == tpl.TemplateStatus.PENDING for template in created)
    for template in created:
        approve(sim, template.id)

    language = tpl.TemplateLanguage.ENGLISH_US
    sends = [
        ("button_tour", [tpl.BodyText.params("Ana"),
                         tpl.QuickReplyButton.params(callback_data="STOP", index=0),
                         tpl.URLButton.params(url_variable="8601", index=1),
                         tpl.CopyCodeButton.params(coupon_code="SPRING25", index=3),
                         tpl.FlowButton.params(index=4, flow_token="tok", flow_action_data={"step": "start"})]),
        ("catalog_offer", [tpl.BodyText.params("Ana"),
                           tpl.CatalogButton.params(thumbnail_product_sku="SKU-1", index=0)]),
        ("product_picks", [tpl.BodyText.params("Ana"), tpl.MPMButton.params(
            thumbnail_product_sku="SKU-1", index=0,
            product_sections=[types.ProductsSection(title="Picks", skus=["SKU-1", "SKU-2"])])]),
        ("login_code", [tpl.AuthenticationBody.params(otp="123456"), tpl.CopyCodeOTPButton.params(otp="123456")]),
    ]
    for name, params in sends:
        sent = wa.send_template(to=TO, name=name, language=language, params=params)
        assert sent.status == types.SentTemplateStatus.ACCEPTED, name

    read = wa.get_template(created[0].id)
    assert (read.name, read.status) == ("button_tour", tpl.TemplateStatus.APPROVED)
    assert wa.delete_template(template_name="catalog_offer").success
    names = {template.name for template in wa.get_templates()}
    assert "catalog_offer" not in names and {"button_tour", "product_picks", "login_code"} <= names


def approve(sim, template_id: str) -> None:
    """Approve a template now (Meta's review, without its delay), found by the id pywa got back."""
    read = requests.get(f"{sim.base_url}/{VERSION}/{template_id}", headers={"Authorization": f"Bearer {TOKEN}"},
                        timeout=5)
    response = requests.post(f"{sim.base_url}/_sim/templates/status",
                             json={"name": read.json()["name"], "status": "APPROVED"}, timeout=5)
    assert response.status_code == 200


def test_pywa_sends_carousel_and_limited_time_offer_templates(wa, graph, sim):
    # Created over plain Graph calls: pywa would upload the card images through the resumable upload API first.
    approved(graph, sim, "fruit_carousel", [], components=[BODY, {"type": "CAROUSEL", "cards": [card(), card()]}])
    approved(graph, sim, "spring_offer", [], components=[BODY, LTO, OFFER_BUTTONS])
    cards = [
        tpl.CarouselCard.params(index=n, params=[
            tpl.HeaderImage.params(image=f"https://cdn.example.com/{n}.jpg"), tpl.BodyText.params("apples"),
            tpl.QuickReplyButton.params(callback_data="more", index=0),
            tpl.URLButton.params(url_variable=f"p{n}", index=1),
        ])
        for n in range(2)
    ]
    language = tpl.TemplateLanguage.ENGLISH_US
    expires = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)

    carousel = wa.send_template(to=TO, name="fruit_carousel", language=language,
                                params=[tpl.BodyText.params("Ana"), tpl.Carousel.params(cards=cards)])
    offer = wa.send_template(to=TO, name="spring_offer", language=language, params=[
        tpl.BodyText.params("Ana"), tpl.LimitedTimeOffer.params(expiration_time=expires),
        tpl.CopyCodeButton.params(coupon_code="SPRING25", index=0), tpl.URLButton.params(url_variable="a", index=1),
    ])

    assert carousel.status == offer.status == types.SentTemplateStatus.ACCEPTED
    assert [row["template"] for row in sim.messages(type="template")] == ["fruit_carousel", "spring_offer"]


# ------------------------------------------------------------------------------------- management
def test_pywa_lists_templates_with_quality_and_pages(wa):
    page = wa.get_templates(pagination=types.Pagination(limit=4))
    names = [template.name for template in page]
    everything = [template.name for template in wa.get_templates(pagination=types.Pagination(limit=100))]

    assert len(names) == 4 and names == everything[:4]
    assert "hello_world" in everything
    hello = next(template for template in wa.get_templates() if template.name == "hello_world")
    assert hello.quality_score.score == tpl.QualityScoreType.GREEN
    assert hello.quality_score.date is not None


def test_pywa_uploads_reads_and_deletes_media(wa):
    uploaded = wa.upload_media(PNG, mime_type="image/png", filename="a.png")

    url = wa.get_media_url(uploaded.id)

    assert url.mime_type == "image/png" and url.file_size == len(PNG)
    assert wa.delete_media(uploaded.id).success


def test_pywa_marks_a_message_read_and_shows_typing(wa, sim):
    inbound = requests.post(f"{sim.base_url}/_sim/inbound", json={"from": TO, "text": "hi"}, timeout=5).json()["id"]

    assert wa.mark_message_as_read(message_id=inbound).success
    assert wa.indicate_typing(message_id=inbound).success
    assert sim.stats()["counters"]["marked_read"] == 2


# ------------------------------------------------------------------------------------- webhooks
INBOUND = [
    {"text": "hello"},
    {"type": "image", "image": {"caption": "look"}},
    {"type": "video", "video": {}},
    {"type": "audio", "audio": {"voice": True}},
    {"type": "document", "document": {"filename": "a.pdf"}},
    {"type": "sticker", "sticker": {"animated": False}},
    {"type": "location", "location": {"latitude": 37.48, "longitude": -122.14, "name": "HQ", "address": "1 St"}},
    {"type": "contacts", "contacts": [{"name": {"formatted_name": "Bo", "first_name": "Bo"},
                                       "phones": [{"phone": "+1 415 555 0100", "type": "CELL"}]}]},
    {"type": "reaction", "reaction": {"message_id": "wamid.ABC", "emoji": "\U0001f44d"}},
    {"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}}},
    {"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {"id": "r1", "title": "Row 1"}}},
    {"button": {"payload": "STOP", "text": "Stop promotions"}},
]


def test_pywa_parses_every_webhook_the_simulator_sends(wa, sim, receiver):
    # One status per POST, as Meta posts them to a number with little traffic.
    sim.configure(webhook_batch_size=1, failed_recipients={"14155550777": 131026})
    updates = Updates(wa)
    template = wa.send_template(to=TO, name="hello_world", language=tpl.TemplateLanguage.ENGLISH_US)
    wa.send_message(to="14155550777", text="will fail")
    for data in INBOUND:
        requests.post(f"{sim.base_url}/_sim/inbound", json={"from": TO, "name": "Ana", **data}, timeout=5)
    requests.post(f"{sim.base_url}/_sim/templates/status", json={"name": "old_promo", "status": "APPROVED"}, timeout=5)
    requests.post(f"{sim.base_url}/_sim/templates/category",
                  json={"name": "order_confirmation", "category": "MARKETING"}, timeout=5)
    expected = 3 + 1 + len(INBOUND) + 2  # sent/delivered/read, failed, inbound, template status and category

    receiver.wait_for(lambda: len(receiver.requests) >= expected)
    answers = feed(wa, receiver)

    assert answers == [("ok", 200)] * expected
    assert len(updates.parsed) == expected, [type(update).__name__ for update in updates.parsed]
    statuses = [u for u in updates.parsed if isinstance(u, types.MessageStatus)]
    assert [s.status for s in statuses if s.id == template.id] == [
        types.MessageStatusType.SENT, types.MessageStatusType.DELIVERED, types.MessageStatusType.READ]
    failed = next(s for s in statuses if s.status == types.MessageStatusType.FAILED)
    assert failed.error.code == 131026 and failed.from_user.wa_id == "14155550777"
    messages = [u for u in updates.parsed if isinstance(u, types.Message)]
    assert {m.type for m in messages} >= {types.MessageType.TEXT, types.MessageType.IMAGE,
                                          types.MessageType.LOCATION, types.MessageType.CONTACTS,
                                          types.MessageType.REACTION}
    assert all(m.from_user.wa_id == TO and m.from_user.name == "Ana" for m in messages)
    assert sum(isinstance(u, types.CallbackButton) for u in updates.parsed) == 2  # quick reply tap + reply button
    assert sum(isinstance(u, types.CallbackSelection) for u in updates.parsed) == 1
    [status_update] = [u for u in updates.parsed if isinstance(u, types.TemplateStatusUpdate)]
    assert status_update.template_name == "old_promo"
    [category_update] = [u for u in updates.parsed if isinstance(u, types.TemplateCategoryUpdate)]
    assert category_update.new_category == tpl.TemplateCategory.MARKETING


def test_pywa_refuses_a_webhook_with_a_wrong_signature(wa, sim, receiver):
    requests.post(f"{sim.base_url}/_sim/inbound", json={"from": TO, "text": "hi"}, timeout=5)
    [request] = receiver.wait_for(lambda: receiver.requests)

    assert wa.webhook_update_validator(request["body"] + b" ", request["headers"]["X-Hub-Signature-256"]) is not None
