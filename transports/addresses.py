"""Recipient address validation: PHONE (to the digits Meta expects), EMAIL or NONE."""

import re

import phonenumbers
from phonenumbers import NumberParseException, ValidationResult

PHONE, EMAIL, NONE = "PHONE", "EMAIL", "NONE"
STRICT_VALID, STRICT_POSSIBLE = "valid", "possible"
STRICTNESS = (STRICT_VALID, STRICT_POSSIBLE)
ADDRESS_KINDS = (PHONE, EMAIL, NONE)
# A phone number as digits (after an optional +), as Meta's bodies, logs and template buttons write one.
PHONE_DIGITS = r"\d{6,20}"
# A WhatsApp business-scoped user id (BSUID), which Meta gives users with a username: the country code,
# a dot and digits ("US.13491208655302741918"); a business portfolio's parent id has ".ENT." in the middle.
BSUID_PATTERN = r"[A-Z]{2}\.(?:ENT\.)?\d{6,40}"
# Keys under which Meta's bodies carry the person's number, and their business-scoped user id (BSUID).
META_NUMBER_KEYS = ("recipient_id", "wa_id", "from", "input", "to")
META_USER_ID_KEYS = (
    "user_id", "recipient_user_id", "parent_user_id", "recipient_parent_user_id", "from_user_id", "recipient",
)
# Keys under which Meta's bodies and ours carry a phone number or a user id.
PHONE_KEYS = frozenset({*META_NUMBER_KEYS, *META_USER_ID_KEYS, "address", "phone"})
PHONE_REGIONS = frozenset(phonenumbers.SUPPORTED_REGIONS)
REGION_PATTERN = r"^[A-Z]{2}$"  # a region code such as US; PHONE_REGIONS says which exist

_BSUID = re.compile(rf"^{BSUID_PATTERN}$")
_SEPARATORS = re.compile(r"[\s\-().\u00a0/]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MAX_RAW_LENGTH = 64

_IMPOSSIBLE_REASONS = {
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
    ValidationResult.INVALID_LENGTH: "wrong number of digits",
}


class AddressError(ValueError):
    """The address cannot be used; str() is the reason to show the user."""


_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "not a phone number (unknown country code)",
    NumberParseException.TOO_SHORT_NSN: "impossible phone number (too short)",
    NumberParseException.TOO_SHORT_AFTER_IDD: "impossible phone number (too short)",
    NumberParseException.TOO_LONG: "impossible phone number (too long)",
}


def _parse(text: str, region: str | None) -> phonenumbers.PhoneNumber | str:
    """The parsed number, or why it is not one."""
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException as error:
        return _PARSE_REASONS.get(error.error_type, "not a phone number")


def _reason(number: phonenumbers.PhoneNumber | str, region: str, strictness: str) -> str | None:
    """Why `number` fails the strictness check, or None when it passes."""
    if isinstance(number, str):
        return number
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible not in (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        return f"impossible phone number ({_IMPOSSIBLE_REASONS.get(possible, 'wrong length')})"
    if possible == ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        return "impossible phone number (local number without area code)"
    if strictness == STRICT_VALID and not phonenumbers.is_valid_number(number):
        where = phonenumbers.region_code_for_country_code(number.country_code)
        where = region if where in ("ZZ", "001") and not number.country_code else where
        return f"not a valid phone number for region {where}"
    return None


def phone_normalize(raw: str, *, region: str = "US", strictness: str = STRICT_VALID) -> str:
    """Country code and national number as digits, e.g. "+1 (415) 555-0123" → "14155550123".

    Accepted: "+CC…", "00CC…", or a national number read in `region`; spaces, dashes, dots
    and brackets are ignored. Digits without "+" that fail in `region` are tried once more as
    an international number. `strictness` "valid" needs a number in an assigned range;
    "possible" only the right length (Meta's +1 555 test numbers are possible, not valid).
    """
    if not isinstance(raw, str):
        raise AddressError('phone number must be text, e.g. "+14155550123"')
    if not raw.strip():
        raise AddressError("phone number is empty")
    if len(raw) > _MAX_RAW_LENGTH:
        raise AddressError("not a phone number (too long)")
    text = _SEPARATORS.sub("", raw.strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    if not re.fullmatch(r"\+?\d+", text):
        raise AddressError("not a phone number (only digits, spaces, dashes, brackets and a leading + or 00)")
    if text.startswith("+"):
        number = _parse(text, None)
        reason = _reason(number, region, strictness)
    else:
        number = _parse(text, region)
        reason = _reason(number, region, strictness)
        if reason is not None:
            # Meta's own form: digits, country code first, no "+".
            international = _parse("+" + text, None)
            if _reason(international, region, strictness) is None:
                number, reason = international, None
    if reason is not None:
        raise AddressError(reason)
    return f"{number.country_code}{number.national_number}"


def email_normalize(raw: str) -> str:
    if not isinstance(raw, str) or not _EMAIL.match(raw.strip()) or len(raw.strip()) > 254:
        raise AddressError("not a valid email address")
    local, _, domain = raw.strip().rpartition("@")
    return f"{local}@{domain.lower()}"


def is_user_id(address: str) -> bool:
    """Whether the (normalized) address is a WhatsApp business-scoped user id rather than a number."""
    return bool(_BSUID.match(address))


def address_normalize_with(raw, *, kind: str, region: str, strictness: str, user_ids: bool = False) -> str:
    """The normalized address for validation `kind`; raises AddressError.

    With `user_ids` (a provider that can send to them, WhatsApp), PHONE also takes a business-scoped
    user id, as it is.
    """
    if kind == PHONE:
        if user_ids and isinstance(raw, str) and is_user_id(raw.strip()):
            return raw.strip()
        return phone_normalize(raw, region=region, strictness=strictness)
    if kind == EMAIL:
        return email_normalize(raw)
    if not isinstance(raw, str):
        raise AddressError("address must be text")
    if not raw.strip():
        raise AddressError("address is empty")
    return raw.strip()


def phone_country(address: str) -> str:
    """The country (ISO 3166 region, e.g. "BR") of a normalized phone number's calling code, or "".

    "" for anything that is not a number: a business-scoped user id (Meta does not say which country's
    number stands behind it), an email address, an anonymized row. A calling code one country has alone
    ("55") settles it without parsing; one shared by several (+1 for the US, Canada and the Caribbean, +7,
    +44…) is told apart by the number's area code.
    """
    digits = str(address or "")
    if not digits.isdigit():
        return ""
    for length in (1, 2, 3):
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(digits[:length]))
        if regions is None:
            continue
        if len(regions) == 1:
            return regions[0] if regions[0] != "001" else ""
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(f"+{digits}", None))
        except NumberParseException:
            region = None
        return region if region and region in PHONE_REGIONS else regions[0]
    return ""
