"""What a template asks of each send: its variables (positional or named), header media or location.

Read from the template's components as Meta returns them, so validation and the admin preview
agree with Meta about which parameters a send must give.
"""

import re
from dataclasses import dataclass, field

VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
MEDIA_FORMATS = {"IMAGE", "VIDEO", "DOCUMENT"}


def with_article(word: str) -> str:
    """'an IMAGE', 'a VIDEO': for messages that name a header format."""
    return f"an {word}" if word[:1].upper() in "AEIOU" else f"a {word}"


def variables_in(text: str) -> list[str]:
    """The variable names in a text, in order of first appearance: ["1", "2"] or ["first_name"]."""
    seen: list[str] = []
    for name in VARIABLE.findall(text or ""):
        if name not in seen:
            seen.append(name)
    return seen


@dataclass(frozen=True)
class ButtonSlot:
    index: int
    sub_type: str  # URL, QUICK_REPLY, COPY_CODE, PHONE_NUMBER…
    variables: tuple[str, ...] = ()

    @property
    def needs_parameter(self) -> bool:
        """A URL button with a variable needs its suffix, a COPY_CODE button its code, at every send."""
        return bool(self.variables) or self.sub_type == "COPY_CODE"


@dataclass(frozen=True)
class TemplateRequirements:
    header_format: str = ""  # "", TEXT, IMAGE, VIDEO, DOCUMENT, LOCATION
    header_variables: tuple[str, ...] = ()
    body_variables: tuple[str, ...] = ()
    buttons: tuple[ButtonSlot, ...] = field(default_factory=tuple)

    @property
    def named(self) -> bool:
        return any(not name.isdigit() for name in (*self.header_variables, *self.body_variables))

    @property
    def needs_media(self) -> bool:
        return self.header_format in MEDIA_FORMATS

    def describe(self) -> str:
        """The parameters a send must give, in words, for errors and the admin preview."""
        parts = []
        if self.needs_media:
            parts.append(f"{with_article(self.header_format.lower())} header (link or media id)")
        if self.header_format == "LOCATION":
            parts.append("a location header (latitude, longitude, name, address)")
        if self.header_variables:
            parts.append(f"header text parameter {', '.join(self.header_variables)}")
        if self.body_variables:
            kind = "named" if self.named else "positional"
            names = ", ".join(self.body_variables)
            parts.append(f"{len(self.body_variables)} {kind} body parameter(s) ({names})")
        for button in self.buttons:
            if button.needs_parameter:
                what = "code" if button.sub_type == "COPY_CODE" else "parameter"
                parts.append(f"{button.sub_type.lower()} button {button.index} {what}")
        return "; ".join(parts) or "no parameters"


def requirements_of(components: list[dict]) -> TemplateRequirements:
    header_format, header_vars, body_vars, buttons = "", (), (), []
    for component in components or []:
        kind = str(component.get("type", "")).upper()
        if kind == "HEADER":
            header_format = str(component.get("format", "TEXT")).upper()
            if header_format == "TEXT":
                header_vars = tuple(variables_in(component.get("text", "")))
        elif kind == "BODY":
            body_vars = tuple(variables_in(component.get("text", "")))
        elif kind == "BUTTONS":
            for index, button in enumerate(component.get("buttons", [])):
                sub_type = str(button.get("type", "")).upper()
                variables = tuple(variables_in(button.get("url", ""))) if sub_type == "URL" else ()
                buttons.append(ButtonSlot(index=index, sub_type=sub_type, variables=variables))
    return TemplateRequirements(
        header_format=header_format, header_variables=header_vars, body_variables=body_vars, buttons=tuple(buttons)
    )
