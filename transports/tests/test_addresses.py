import pytest

from transports.addresses import AddressError, phone_normalize


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
