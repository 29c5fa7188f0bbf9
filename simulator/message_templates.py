"""Message templates: the store of every business account's templates, its filters and cursor paging."""

import base64
import itertools
import time
from dataclasses import dataclass, field

from .errors import MetaError, invalid_parameter
from .template_creation_rules import check_new_template, variables_in
from .template_seeds import SEED_TEMPLATES

TEMPLATE_LIMIT = 250  # templates one business account may hold (Meta's figure for a new account)


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
