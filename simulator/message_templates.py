"""Message templates: the store, Meta's creation rules and cursor paging."""

import base64
import itertools
import re
import time
from dataclasses import dataclass, field

from .errors import MetaError, invalid_parameter
from .template_seeds import SEED_TEMPLATES

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
TEMPLATE_LIMIT = 250  # templates one business account may hold (Meta's figure for a new account)
# Meta writes an authentication template's texts itself; these are its English wording.
AUTH_BODY = "*{{1}}* is your verification code."
AUTH_SECURITY = " For your security, do not share this code."
AUTH_FOOTER = "This code expires in {minutes} minutes."


@dataclass
class Template:
    id: str
    waba_id: str
    name: str
    language: str
    category: str
    status: str
    components: list[dict]
    parameter_format: str = "POSITIONAL"
    quality: str = "UNKNOWN"
    rejected_reason: str = "NONE"
    # Variables per component, worked out once so sends validate in O(parameters).
    header_format: str | None = None
    header_variables: list[str] = field(default_factory=list)
    body_variables: list[str] = field(default_factory=list)
    buttons: list[dict] = field(default_factory=list)
    quality_date: int = field(default_factory=lambda: int(time.time()))
    cards: list["Template"] = field(default_factory=list)  # a carousel's cards, each checked like a template
    offer_expires: bool | None = None  # a limited-time offer; True when each send gives its expiry
    previous_category: str | None = None  # set once Meta has recategorised the template

    def __post_init__(self):
        for component in self.components:
            kind = component.get("type", "").upper()
            if kind == "HEADER":
                self.header_format = component.get("format", "TEXT").upper()
                self.header_variables = variables_in(component.get("text", ""))
            elif kind == "BODY":
                self.body_variables = variables_in(component.get("text", ""))
            elif kind == "BUTTONS":
                self.buttons = list(component.get("buttons", []))
            elif kind == "CAROUSEL":
                self.cards = [
                    Template(id="", waba_id=self.waba_id, name=self.name, language=self.language,
                             category=self.category, status=self.status, components=card.get("components", []),
                             parameter_format=self.parameter_format)
                    for card in component.get("cards", [])
                ]
            elif kind == "LIMITED_TIME_OFFER":
                self.offer_expires = bool((component.get("limited_time_offer") or {}).get("has_expiration"))

    def as_graph(self) -> dict:
        """The template as Graph API lists it."""
        return {
            "id": self.id,
            "name": self.name,
            "language": self.language,
            "status": self.status,
            "category": self.category,
            "parameter_format": self.parameter_format,
            "components": self.components,
            "quality_score": {"score": self.quality, "date": self.quality_date},
            "rejected_reason": self.rejected_reason,
            **({"previous_category": self.previous_category} if self.previous_category else {}),
        }


def variables_in(text: str) -> list[str]:
    return VARIABLE_PATTERN.findall(text or "")


class TemplateStore:
    """Templates of every business account, in creation order."""

    def __init__(self, default_waba_id: str):
        self._ids = itertools.count(300_000_000_000_001)
        self.templates: dict[str, Template] = {}
        for seed in SEED_TEMPLATES:
            self._add(
                waba_id=default_waba_id, name=seed["name"], language=seed.get("language", "en_US"),
                category=seed["category"], status=seed["status"], components=seed["components"],
                parameter_format=seed.get("parameter_format", "POSITIONAL"), quality=seed.get("quality", "GREEN"),
            )

    def _add(self, **values) -> Template:
        template = Template(id=str(next(self._ids)), **values)
        self.templates[template.id] = template
        return template

    def find(self, *, waba_id: str, name: str, language: str | None = None) -> list[Template]:
        return [
            template for template in self.templates.values()
            if template.waba_id == waba_id and template.name == name
            and (language is None or template.language == language)
        ]

    def for_send(self, *, waba_id: str, name: str, language: str) -> Template:
        """The template a send may use, or the error Meta answers (132001 / 132015 / 132016)."""
        matches = self.find(waba_id=waba_id, name=name, language=language)
        if not matches:
            raise MetaError(132001, f"template name ({name}) does not exist in {language}", subcode=2494073)
        template = matches[0]
        if template.status == "PAUSED":
            raise MetaError(132015, f"template ({name}) is paused because of low quality")
        if template.status == "DISABLED":
            raise MetaError(132016, f"template ({name}) has been disabled")
        if template.status != "APPROVED":
            # Meta treats a template that is not approved yet as missing in that translation.
            raise MetaError(132001, f"template name ({name}) does not exist in {language}", subcode=2494073)
        return template

    def create(self, *, waba_id: str, payload: dict) -> Template:
        name, language, category, parameter_format, components = check_new_template(payload)
        if self.find(waba_id=waba_id, name=name, language=language):
            raise invalid_parameter(
                f"Content in this language already exists: {name} ({language})", subcode=2388024
            )
        return self._add(
            waba_id=waba_id, name=name, language=language, category=category, status="PENDING",
            components=components, parameter_format=parameter_format, quality="UNKNOWN",
        )

    def delete(self, *, waba_id: str, name: str, hsm_id: str | None) -> list[Template]:
        doomed = self.find(waba_id=waba_id, name=name)
        if hsm_id:
            doomed = [template for template in doomed if template.id == hsm_id]
        if not doomed:
            raise invalid_parameter(f"Message template not found: {name}")
        for template in doomed:
            del self.templates[template.id]
        return doomed

    def summary(self, *, waba_id: str, filters: dict[str, str], fields: list[str]) -> dict:
        """The list's `summary=` counts: matches, all templates of the account, its limit, translations complete."""
        mine = [t for t in self.templates.values() if t.waba_id == waba_id]
        languages_by_name: dict[str, set[str]] = {}
        for template in mine:
            languages_by_name.setdefault(template.name, set()).add(template.language)
        every_language = set().union(*languages_by_name.values()) if languages_by_name else set()
        known = {
            "total_count": sum(1 for t in mine if _matches(t, filters)),
            "message_template_count": len(mine),
            "message_template_limit": TEMPLATE_LIMIT,
            "are_translations_complete": all(langs == every_language for langs in languages_by_name.values()),
        }
        unknown = [name for name in fields if name not in known]
        if unknown:
            raise invalid_parameter(f"summary field(s) not supported: {', '.join(unknown)}")
        return {name: known[name] for name in fields}

    def page(self, *, waba_id: str, filters: dict[str, str], limit: int, after: str | None, before: str | None):
        """One page of the filtered list: (templates, before-cursor, after-cursor, has_previous, has_next)."""
        rows = [t for t in self.templates.values() if t.waba_id == waba_id and _matches(t, filters)]
        if after:
            start = _position_after(rows, decode_cursor(after))
            end = start + limit
        elif before:
            end = _position_before(rows, decode_cursor(before))
            start = max(0, end - limit)
        else:
            start, end = 0, limit
        page = rows[start:end]
        has_next = start + len(page) < len(rows)
        has_previous = start > 0
        first, last = (page[0], page[-1]) if page else (None, None)
        return (
            page,
            encode_cursor(first.id) if first else None,
            encode_cursor(last.id) if last else None,
            has_previous,
            has_next,
        )


def _matches(template: Template, filters: dict[str, str]) -> bool:
    for key, attribute in (("name", "name"), ("status", "status"), ("category", "category"),
                           ("language", "language"), ("quality_score", "quality")):
        wanted = filters.get(key)
        if wanted and getattr(template, attribute) not in wanted.split(","):
            return False
    content = filters.get("content") or filters.get("name_or_content")
    if content:
        text = " ".join(component.get("text", "") for component in template.components)
        if content.lower() not in text.lower() and content.lower() not in template.name:
            return False
    return True


def _position_after(rows: list[Template], template_id: str) -> int:
    for index, template in enumerate(rows):
        if template.id == template_id:
            return index + 1
    # The cursor's template is gone (deleted): continue from the next id, which keeps order stable.
    return next((index for index, template in enumerate(rows) if int(template.id) > int(template_id)), len(rows))


def _position_before(rows: list[Template], template_id: str) -> int:
    for index, template in enumerate(rows):
        if template.id == template_id:
            return index
    return next((index for index, template in enumerate(rows) if int(template.id) > int(template_id)), len(rows))


def encode_cursor(template_id: str) -> str:
    return base64.urlsafe_b64encode(f"tpl:{template_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError as exc:
        raise invalid_parameter("Invalid cursor") from exc
    prefix, _, template_id = decoded.partition(":")
    if prefix != "tpl" or not template_id.isdigit():
        raise invalid_parameter("Invalid cursor")
    return template_id


# ---------------------------------------------------------------------------------- creation rules
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
