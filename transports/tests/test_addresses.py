import pytest

from transports import validation
from transports.addresses import AddressError, address_normalize_with, phone_normalize
from transports.models import Transport
from transports.testing import make_transport


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+14155550123", "14155550123"),
        ("14155550123", "14155550123"),
        ("4155550123", "14155550123"),  # national number in the default region
        ("+1 (415) 555-0123", "14155550123"),
        ("415.555.0123", "14155550123"),
        ("0044 20 7946 0018", "442079460018"),
        ("+44 20 7946 0018", "442079460018"),
        ("447911123456", "447911123456"),  # Meta's form: digits, country code first
    ],
)
def test_it_normalizes_every_accepted_format_to_meta_digits(raw, expected):
    assert phone_normalize(raw, region="US") == expected


def test_it_reads_national_numbers_in_the_configured_region():
    assert phone_normalize("020 7946 0018", region="GB") == "442079460018"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("+1234567890", "impossible phone number (too short)"),  # the seed plan's "+1234567890": +1 needs 10 digits
        ("1234567890", "not a valid phone number for region US"),  # area code 123 does not exist
        ("123", "impossible phone number (too short)"),
        ("abc", "not a phone number"),
        ("", "phone number is empty"),
        ("+999123", "not a phone number"),
        ("+1555010000199999", "impossible phone number (too long)"),
        ("+999 1234567", "not a phone number (unknown country code)"),
        ("555-0123", "impossible phone number (local number without area code)"),
        ("+1 415 555 0123 ext 5", "not a phone number (only digits"),
        (14155550123, 'phone number must be text, e.g. "+14155550123"'),  # a JSON number, not a string
    ],
)
def test_it_explains_why_a_number_is_refused(raw, reason):
    with pytest.raises(AddressError) as error:
        phone_normalize(raw, region="US")
    assert str(error.value).startswith(reason)


def test_it_refuses_meta_test_numbers_when_strict_and_accepts_them_when_possible():
    with pytest.raises(AddressError, match="not a valid phone number for region US"):
        phone_normalize("+15550100001", strictness="valid")
    assert phone_normalize("+1 555 010 0001", strictness="possible") == "15550100001"


def test_possible_still_refuses_wrong_lengths():
    with pytest.raises(AddressError, match="too short"):
        phone_normalize("+1234567890", strictness="possible")


def _transport(**config) -> Transport:
    return make_transport(config={"request": {"url": "https://x.example/send"}, **config})


def test_a_transport_reads_national_numbers_in_its_default_region(settings):
    settings.PHONE_DEFAULT_REGION = "US"
    assert validation.address_normalize(_transport(), "(415) 555-0123") == "14155550123"
    assert validation.address_normalize(_transport(defaultRegion="GB"), "07911 123456") == "447911123456"


def test_a_transport_accepts_meta_test_numbers_only_when_its_strictness_is_possible():
    with pytest.raises(AddressError, match="not a valid phone number"):
        validation.address_normalize(_transport(), "+1 555 010 0001")  # "valid" is the default
    assert validation.address_normalize(_transport(phoneStrictness="possible"), "+1 555 010 0001") == "15550100001"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("ana@Example.COM", "ana@example.com"), ("  ana.b+news@mail.example.org ", "ana.b+news@mail.example.org")],
)
def test_email_addresses_are_trimmed_and_their_domain_lower_cased(raw, expected):
    assert address_normalize_with(raw, kind="EMAIL", region="US", strictness="valid") == expected


@pytest.mark.parametrize("raw", ["ana", "ana@example", "ana @example.com", "", None])
def test_a_bad_email_address_is_refused(raw):
    with pytest.raises(AddressError, match="not a valid email address"):
        address_normalize_with(raw, kind="EMAIL", region="US", strictness="valid")


def test_none_takes_any_text_as_is_but_not_an_empty_address():
    assert address_normalize_with(" device-42 ", kind="NONE", region="US", strictness="valid") == "device-42"
    with pytest.raises(AddressError, match="address is empty"):
        address_normalize_with("  ", kind="NONE", region="US", strictness="valid")
