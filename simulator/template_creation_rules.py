"""Meta's rules for creating a message template: what a create request may hold, and how Meta stores it."""

import re

from .errors import invalid_parameter

CATEGORIES = ("MARKETING", "UTILITY", "AUTHENTICATION")
HEADER_FORMATS = ("TEXT", "IMAGE", "VIDEO", "DOCUMENT", "LOCATION")
BUTTON_TYPES = ("QUICK_REPLY", "URL", "PHONE_NUMBER", "COPY_CODE", "OTP", "FLOW", "CATALOG", "MPM")
NAME_PATTERN = re.compile(r"^[a-z0-9_]{1,512}$")
VARIABLE_PATTERN = re.compile(r"{{\s*([^{}\s]+)\s*}}")
NAMED_VARIABLE = re.compile(r"^[a-z0-9_]+$")
LANGUAGES = frozenset(
    "af sq ar ar_EG ar_AE ar_LB ar_MA ar_QA az be_BY bn bn_IN bg ca zh_CN zh_HK zh_TW hr cs da prs_AF nl nl_BE "
    "en en_GB en_US en_AE en_AU en_CA en_GH en_IE en_IN en_JM en_MY en_NZ en_QA en_SG en_UG en_ZA et fil fi "
    "fr fr_BE fr_CA fr_CH fr_CI fr_MA ka de de_AT de_CH el gu ha he hi hu id ga it ja kn kk rw_RW ko ky_KG lo "
    "lv lt mk ms ml mr nb ps_AF fa pl pt_BR pt_PT pa ro ru sr si_LK sk sl es es_AR es_CL es_CO es_CR es_DO "
    "es_EC es_HN es_MX es_PA es_PE es_ES es_UY sw sv ta te th tr uk ur uz vi zu".split()
)
MEDIA_FORMATS = ("IMAGE", "VIDEO", "DOCUMENT")
OTP_TYPES = ("COPY_CODE", "ONE_TAP", "ZERO_TAP")
# Meta writes an authentication template's texts itself; these are its English wording.
AUTH_BODY = "*{{1}}* is your verification code."
AUTH_SECURITY = " For your security, do not share this code."
AUTH_FOOTER = "This code expires in {minutes} minutes."


def variables_in(text: str) -> list[str]:
    return VARIABLE_PATTERN.findall(text or "")


def check_new_template(payload: dict) -> tuple[str, str, str, str, list[dict]]:
    """Validate a create request as Meta does; returns (name, language, category, parameter_format, components)."""
    name = payload.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise invalid_parameter(
            "name may only contain lowercase letters, digits and underscores, at most 512 characters"
        )
    language = payload.get("language")
    if language not in LANGUAGES:
        raise invalid_parameter(f"language ({language}) is not a supported template language")
    category = str(payload.get("category", "")).upper()
    if category not in CATEGORIES:
        raise invalid_parameter(f"category must be one of {', '.join(CATEGORIES)}")
    parameter_format = str(payload.get("parameter_format") or "POSITIONAL").upper()
    if parameter_format not in ("POSITIONAL", "NAMED"):
        raise invalid_parameter("parameter_format must be POSITIONAL or NAMED")
    components = payload.get("components")
    if not isinstance(components, list) or not components:
        raise invalid_parameter("components are required")
    kinds = [str(component.get("type", "")).upper() if isinstance(component, dict) else "" for component in components]
    if kinds.count("BODY") != 1:
        raise invalid_parameter("a template needs exactly one BODY component")
    for kind in ("HEADER", "FOOTER", "BUTTONS", "CAROUSEL", "LIMITED_TIME_OFFER"):
        if kinds.count(kind) > 1:
            raise invalid_parameter(f"at most one {kind} component is allowed")
    if "CAROUSEL" in kinds and {"HEADER", "FOOTER", "BUTTONS"} & set(kinds):
        raise invalid_parameter("a CAROUSEL template has only a BODY beside its cards (no HEADER, FOOTER or BUTTONS)")
    if "LIMITED_TIME_OFFER" in kinds and (category != "MARKETING" or "FOOTER" in kinds):
        raise invalid_parameter("a LIMITED_TIME_OFFER is only for MARKETING templates, and without a FOOTER")
    if category == "AUTHENTICATION":
        return name, language, category, "POSITIONAL", _authentication_components(kinds, components)
    normalised = []
    for kind, component in zip(kinds, components, strict=True):
        checker = _COMPONENT_CHECKS.get(kind)
        if checker is None:
            raise invalid_parameter(f"unknown component type: {component.get('type')}")
        checker(component, parameter_format)
        normalised.append({**component, "type": kind})
    return name, language, category, parameter_format, normalised


def _authentication_components(kinds: list[str], components: list[dict]) -> list[dict]:
    """An authentication template: Meta's fixed body and footer texts, and exactly one OTP button.

    The request only chooses options (`add_security_recommendation`, `code_expiration_minutes`, the OTP kind);
    Meta writes the texts, with the code as {{1}}.
    """
    by_kind = dict(zip(kinds, components, strict=True))
    unknown = set(by_kind) - {"BODY", "FOOTER", "BUTTONS"}
    if unknown:
        raise invalid_parameter(f"an AUTHENTICATION template has no {', '.join(sorted(unknown))} component")
    body = by_kind["BODY"]
    security = body.get("add_security_recommendation", False)
    if not isinstance(security, bool):
        raise invalid_parameter("BODY add_security_recommendation must be true or false")
    normalised = [{"type": "BODY", "text": AUTH_BODY + (AUTH_SECURITY if security else ""),
                   "add_security_recommendation": security}]
    if "FOOTER" in by_kind:
        minutes = by_kind["FOOTER"].get("code_expiration_minutes")
        if minutes is not None:
            if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 90:
                raise invalid_parameter("FOOTER code_expiration_minutes must be a whole number from 1 to 90")
            normalised.append({"type": "FOOTER", "text": AUTH_FOOTER.format(minutes=minutes),
                               "code_expiration_minutes": minutes})
    buttons = (by_kind.get("BUTTONS") or {}).get("buttons")
    if not isinstance(buttons, list) or len(buttons) != 1 or not isinstance(buttons[0], dict) \
            or str(buttons[0].get("type", "")).upper() != "OTP":
        raise invalid_parameter("an AUTHENTICATION template needs exactly one OTP button")
    otp = buttons[0]
    otp_type = str(otp.get("otp_type", "")).upper()
    if otp_type not in OTP_TYPES:
        raise invalid_parameter(f"OTP button otp_type must be one of {', '.join(OTP_TYPES)}")
    if otp_type in ("ONE_TAP", "ZERO_TAP") and not otp.get("supported_apps") and not otp.get("package_name"):
        raise invalid_parameter(f"a {otp_type} OTP button needs supported_apps")
    text = otp.get("text") or ("Autofill" if otp_type != "COPY_CODE" else "Copy code")
    if not isinstance(text, str) or len(text) > 25:
        raise invalid_parameter("OTP button text must be at most 25 characters")
    normalised.append({"type": "BUTTONS", "buttons": [{**otp, "type": "OTP", "otp_type": otp_type, "text": text}]})
    return normalised


def _check_variables(text: str, parameter_format: str, where: str, component: dict, *, max_count: int | None = None):
    names = variables_in(text)
    if max_count is not None and len(names) > max_count:
        raise invalid_parameter(f"{where} may contain at most {max_count} variable")
    if not names:
        return
    if parameter_format == "POSITIONAL":
        if names != [str(number) for number in range(1, len(names) + 1)]:
            raise invalid_parameter(f"{where} variables must be {{{{1}}}}, {{{{2}}}}... in order", subcode=2388047)
    elif not all(NAMED_VARIABLE.match(name) for name in names):
        raise invalid_parameter(f"{where} variable names may only contain lowercase letters, digits and underscores")
    stripped = text.strip()
    if stripped.startswith("{{") or stripped.endswith("}}"):
        raise invalid_parameter(f"{where} must not start or end with a variable", subcode=2388299)
    example = component.get("example") or {}
    key = "header_text" if where == "header" else "body_text"
    if parameter_format == "NAMED":
        given = {item.get("param_name") for item in example.get(f"{key}_named_params", []) if isinstance(item, dict)}
        if not set(names) <= given:
            raise invalid_parameter(f"{where} variables need examples in example.{key}_named_params")
    elif not example.get(key):
        raise invalid_parameter(f"{where} variables need example values in example.{key}")


def _check_header(component: dict, parameter_format: str):
    header_format = str(component.get("format", "")).upper()
    if header_format not in HEADER_FORMATS:
        raise invalid_parameter(f"HEADER format must be one of {', '.join(HEADER_FORMATS)}")
    if header_format == "TEXT":
        text = component.get("text")
        if not isinstance(text, str) or not text or len(text) > 60:
            raise invalid_parameter("HEADER text is required and at most 60 characters", subcode=2388040)
        _check_variables(text, parameter_format, "header", component, max_count=1)
    elif header_format in MEDIA_FORMATS and not (component.get("example") or {}).get("header_handle"):
        raise invalid_parameter(f"a {header_format} header needs example.header_handle", subcode=2388273)


def _check_body(component: dict, parameter_format: str):
    text = component.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > 1024:
        raise invalid_parameter("BODY text is required and at most 1024 characters", subcode=2388040)
    _check_variables(text, parameter_format, "body", component)


def _check_footer(component: dict, parameter_format: str):
    text = component.get("text")
    if not isinstance(text, str) or not text or len(text) > 60:
        raise invalid_parameter("FOOTER text is required and at most 60 characters", subcode=2388040)
    if variables_in(text):
        raise invalid_parameter("FOOTER must not contain variables", subcode=2388073)


def _check_buttons(component: dict, parameter_format: str):
    buttons = component.get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 10:
        raise invalid_parameter("BUTTONS needs between 1 and 10 buttons")
    for button in buttons:
        kind = str(button.get("type", "")).upper() if isinstance(button, dict) else ""
        if kind not in BUTTON_TYPES:
            raise invalid_parameter(f"button type must be one of {', '.join(BUTTON_TYPES)}")
        if kind == "OTP":
            raise invalid_parameter("OTP buttons are only for AUTHENTICATION templates")
        if kind == "COPY_CODE":
            # Meta labels a copy-code button itself; the request gives the sample code.
            example = button.get("example")
            if not isinstance(example, str) or not 1 <= len(example) <= 15:
                raise invalid_parameter("COPY_CODE button needs example, a sample code of at most 15 characters")
        elif not isinstance(button.get("text"), str) or not button["text"] or len(button["text"]) > 25:
            raise invalid_parameter(f"{kind} button needs text of at most 25 characters")
        if kind == "URL":
            url = button.get("url", "")
            if not str(url).startswith(("https://", "http://")):
                raise invalid_parameter("URL button needs an http(s) url")
            if variables_in(url) and not button.get("example"):
                raise invalid_parameter("URL button with a variable needs an example")
        if kind == "FLOW" and not any(button.get(key) for key in ("flow_id", "flow_name", "flow_json")):
            raise invalid_parameter("FLOW button needs flow_id, flow_name or flow_json")
        if kind == "PHONE_NUMBER" and not button.get("phone_number"):
            raise invalid_parameter("PHONE_NUMBER button needs phone_number")


CARD_BUTTON_TYPES = ("QUICK_REPLY", "URL", "PHONE_NUMBER")


def _check_carousel(component: dict, parameter_format: str):
    """2 to 10 cards, each an IMAGE or VIDEO header, an optional body (≤160) and 1–2 buttons, all cards alike."""
    cards = component.get("cards")
    if not isinstance(cards, list) or not 2 <= len(cards) <= 10:
        raise invalid_parameter("CAROUSEL needs between 2 and 10 cards")
    shapes = set()
    for index, card in enumerate(cards):
        parts = card.get("components") if isinstance(card, dict) else None
        if not isinstance(parts, list):
            raise invalid_parameter(f"card {index} needs components")
        by_kind = {str(part.get("type", "")).upper(): part for part in parts if isinstance(part, dict)}
        if len(by_kind) != len(parts) or set(by_kind) - {"HEADER", "BODY", "BUTTONS"}:
            raise invalid_parameter(f"card {index} takes one HEADER, an optional BODY and BUTTONS")
        header_format = str((by_kind.get("HEADER") or {}).get("format", "")).upper()
        if header_format not in ("IMAGE", "VIDEO"):
            raise invalid_parameter(f"card {index} needs an IMAGE or VIDEO header")
        _check_header(by_kind["HEADER"], parameter_format)
        if "BODY" in by_kind:
            _check_body(by_kind["BODY"], parameter_format)
            if len(by_kind["BODY"]["text"]) > 160:
                raise invalid_parameter(f"card {index} body is at most 160 characters")
        buttons = (by_kind.get("BUTTONS") or {}).get("buttons")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 2:
            raise invalid_parameter(f"card {index} needs 1 or 2 buttons")
        _check_buttons(by_kind["BUTTONS"], parameter_format)
        button_types = tuple(str(button.get("type", "")).upper() for button in buttons)
        if set(button_types) - set(CARD_BUTTON_TYPES):
            raise invalid_parameter(f"card {index} buttons must be {', '.join(CARD_BUTTON_TYPES)}")
        shapes.add((header_format, "BODY" in by_kind, button_types))
    if len(shapes) > 1:
        raise invalid_parameter("every card needs the same header format, body and buttons")


def _check_limited_time_offer(component: dict, parameter_format: str):
    offer = component.get("limited_time_offer")
    text = offer.get("text") if isinstance(offer, dict) else None
    if not isinstance(text, str) or not 1 <= len(text) <= 16:
        raise invalid_parameter("LIMITED_TIME_OFFER needs limited_time_offer.text of at most 16 characters")
    if "has_expiration" in offer and not isinstance(offer["has_expiration"], bool):
        raise invalid_parameter("limited_time_offer.has_expiration must be true or false")


_COMPONENT_CHECKS = {
    "HEADER": _check_header, "BODY": _check_body, "FOOTER": _check_footer, "BUTTONS": _check_buttons,
    "CAROUSEL": _check_carousel, "LIMITED_TIME_OFFER": _check_limited_time_offer,
}
