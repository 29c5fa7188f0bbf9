"""Business-scoped user ids (BSUIDs): a WhatsApp transport takes them for numbers, sends them in `recipient`,
and masks them like numbers; a generic transport does not know them."""

import pytest

from transports.addresses import AddressError, is_user_id
from transports.models import Transport
from transports.redaction import phones_masked
from transports.validation import address_normalize
from transports.whatsapp.payloads import whatsapp_payload
from transports.whatsapp.preset import whatsapp_cloud_config

USER_ID = "US.13491208655302741918"
PARENT_ID = "US.ENT.11815799212886844830"


def whatsapp() -> Transport:
    return Transport(name="wa", config=whatsapp_cloud_config(phone_number_id="100000000000001"))


@pytest.mark.parametrize("address", [USER_ID, PARENT_ID, f"  {USER_ID} "])
def test_a_whatsapp_transport_takes_a_user_id_as_it_is(address):
    assert address_normalize(whatsapp(), address) == address.strip()


@pytest.mark.parametrize("address", ["us.13491208655302741918", "US.", "US-1349120865530", "USA.13491208655302741918"])
def test_what_only_looks_like_a_user_id_is_still_read_as_a_number_and_refused(address):
    with pytest.raises(AddressError):
        address_normalize(whatsapp(), address)


def test_a_generic_phone_transport_refuses_a_user_id():
    request = {"url": "https://sms.example/send", "body": {"to": "{%address%}"}}
    generic = Transport(name="sms", config={"request": request})
    with pytest.raises(AddressError):
        address_normalize(generic, USER_ID)


def test_a_user_id_goes_in_recipient_and_a_number_in_to():
    message = {"meta": {"templateName": "hello_world", "language": "en_US"}}
    to_user = whatsapp_payload(to=USER_ID, message=message)
    to_number = whatsapp_payload(to="14155550123", message=message)
    assert to_user["recipient"] == USER_ID and "to" not in to_user
    assert to_number["to"] == "14155550123" and "recipient" not in to_number
    assert is_user_id(USER_ID) and not is_user_id("14155550123")


def test_user_ids_are_masked_like_numbers():
    body = {"recipient": USER_ID, "statuses": [{"recipient_user_id": USER_ID, "id": "wamid.X"}]}
    masked = phones_masked(body)
    assert USER_ID not in str(masked) and masked["statuses"][0]["id"] == "wamid.X"
    assert USER_ID not in phones_masked(f'{{"user_id": "{USER_ID}"}}')
