"""Meta's rules for a new template, checked before submitting so users see our clear error, not Meta's."""

import re

from templates.requirements import VARIABLE, variables_in
from transports.addresses import PHONE_DIGITS

NAME = re.compile(r"^[a-z0-9_]{1,512}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
CATEGORIES = {"MARKETING", "UTILITY", "AUTHENTICATION"}
HEADER_FORMATS = {"TEXT", "IMAGE", "VIDEO", "DOCUMENT", "LOCATION"}
BUTTON_TYPES = {"QUICK_REPLY", "URL", "PHONE_NUMBER", "COPY_CODE", "OTP", "FLOW", "CATALOG", "MPM"}
# Meta labels these buttons itself: a copy-code button takes a sample code, an OTP button its kind.
BUTTONS_WITHOUT_TEXT = {"OTP", "COPY_CODE"}
LIMITS = {"HEADER": 60, "BODY": 1024, "FOOTER": 60}
MAX_BUTTONS = 10
BUTTON_TEXT_LIMIT = 25
VARIABLE_AT_START = re.compile(r"^" + VARIABLE.pattern)
VARIABLE_AT_END = re.compile(VARIABLE.pattern + r"$")
ADJACENT_VARIABLES = re.compile(r"\}\}\{\{")


def template_definition_errors(definition: dict) -> dict[str, list[str]]:
    """Errors by field (name, language, category, parameter_format, components); {} when Meta should accept it."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    name = definition.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        add("name", "Use 1-512 lowercase letters, digits and underscores, e.g. order_shipped_v2.")
    language = definition.get("language")
    if not isinstance(language, str) or not LANGUAGE.match(language):
        add("language", "Use a language code such as en, en_US or pt_BR.")
    if definition.get("category") not in CATEGORIES:
        add("category", f"Must be one of {', '.join(sorted(CATEGORIES))}.")
    parameter_format = definition.get("parameter_format", "POSITIONAL")
    if parameter_format not in {"POSITIONAL", "NAMED"}:
        add("parameter_format", "Must be POSITIONAL or NAMED.")
    components = definition.get("components")
    if not isinstance(components, list) or not components:
        add("components", "A template needs a list of components with at least a BODY.")
        return errors
    authentication = definition.get("category") == "AUTHENTICATION"
    for problem in _components_errors(components, named=parameter_format == "NAMED", authentication=authentication):
        add("components", problem)
    return errors


def _components_errors(components: list, *, named: bool, authentication: bool) -> list[str]:
    problems = []
    kinds = [str(c.get("type", "")).upper() if isinstance(c, dict) else "" for c in components]
    if "BODY" not in kinds:
        problems.append("A BODY component is required.")
    for kind in {k for k in kinds if kinds.count(k) > 1}:
        problems.append(f"Only one {kind} component is allowed.")
    for position, (component, kind) in enumerate(zip(components, kinds, strict=True)):
        if not isinstance(component, dict):  # the admin's JSON field takes any JSON
            problems.append(f"Component {position} must be an object such as {{\"type\": \"BODY\", \"text\": …}}.")
            continue
        if kind not in {"HEADER", "BODY", "FOOTER", "BUTTONS"}:
            problems.append(f"Unknown component type {component.get('type')!r}: use HEADER, BODY, FOOTER or BUTTONS.")
            continue
        problems += _component_errors(component, kind, named=named, authentication=authentication)
    return problems


def _component_errors(component: dict, kind: str, *, named: bool, authentication: bool) -> list[str]:
    if kind == "BUTTONS":
        return _buttons_errors(component.get("buttons"))
    if kind == "HEADER":
        header_format = str(component.get("format", "")).upper()
        if header_format not in HEADER_FORMATS:
            return [f"HEADER format must be one of {', '.join(sorted(HEADER_FORMATS))}."]
        if header_format in {"IMAGE", "VIDEO", "DOCUMENT"}:
            handle = _example(component).get("header_handle")
            return [] if handle else [f"A {header_format} HEADER needs example.header_handle (a sample media handle)."]
        if header_format == "LOCATION":
            return []
    text = component.get("text")
    if authentication and kind in {"BODY", "FOOTER"} and text is None:
        return []  # Meta writes an authentication template's body and footer (add_security_recommendation…)
    if not isinstance(text, str) or not text.strip():
        return [f"{kind} needs its text."]
    problems = []
    if len(text) > LIMITS[kind]:
        problems.append(f"{kind} text is {len(text)} characters; the limit is {LIMITS[kind]}.")
    variables = variables_in(text)
    if kind == "FOOTER":
        return problems + (["FOOTER text cannot have variables."] if variables else [])
    if kind == "HEADER" and len(variables) > 1:
        problems.append("A TEXT HEADER can have at most one variable.")
    problems += _variables_errors(kind, variables, named=named)
    if kind == "BODY" and variables:
        problems += _placement_errors(text)
    if variables:
        problems += _example_errors(component, kind, variables, named=named)
    return problems


def _variables_errors(kind: str, variables: list[str], *, named: bool) -> list[str]:
    if named:
        bad = [v for v in variables if not re.fullmatch(r"[a-z][a-z0-9_]*", v)]
        return (
            [f"{kind} named variables use lowercase letters, digits and underscores: {', '.join(bad)}."] if bad else []
        )
    if any(not v.isdigit() for v in variables):
        return [f"{kind} uses named variables; set parameter_format to NAMED or use {{{{1}}}}, {{{{2}}}}…"]
    expected = [str(i) for i in range(1, len(variables) + 1)]
    if sorted(variables, key=int) != expected:
        return [f"{kind} variables must be numbered {{{{1}}}} to {{{{{len(variables)}}}}} without gaps."]
    return []


def _placement_errors(text: str) -> list[str]:
    # Meta rejects these at review (2388299, INVALID_FORMAT): cheaper to say so before submitting.
    problems = []
    stripped = text.strip()
    if VARIABLE_AT_START.match(stripped) or VARIABLE_AT_END.search(stripped):
        problems.append("BODY cannot start or end with a variable; add text before and after it.")
    if ADJACENT_VARIABLES.search(text):
        problems.append("BODY cannot have two variables side by side, e.g. {{1}}{{2}}; put text between them.")
    return problems


def _example_errors(component: dict, kind: str, variables: list[str], *, named: bool) -> list[str]:
    example = _example(component)
    prefix = "header" if kind == "HEADER" else "body"
    if named:
        items = example.get(f"{prefix}_text_named_params")
        items = items if isinstance(items, list) else []
        given = {item.get("param_name") for item in items if isinstance(item, dict)}
        missing = [v for v in variables if v not in given]
        return [f"{kind} needs example.{prefix}_text_named_params for {', '.join(missing)}."] if missing else []
    samples = example.get(f"{prefix}_text")
    if kind == "BODY":
        samples = samples[0] if isinstance(samples, list) and samples and isinstance(samples[0], list) else None
    if not isinstance(samples, list) or len(samples) != len(variables):
        return [f"{kind} needs example.{prefix}_text with {len(variables)} sample value(s), one per variable."]
    return []


def _example(component: dict) -> dict:
    # Hand-written JSON often gives example as a string or list: treat it as missing, not a crash.
    example = component.get("example")
    return example if isinstance(example, dict) else {}


def _buttons_errors(buttons) -> list[str]:
    if not isinstance(buttons, list) or not buttons:
        return ["BUTTONS needs a list of buttons."]
    problems = []
    if len(buttons) > MAX_BUTTONS:
        problems.append(f"At most {MAX_BUTTONS} buttons are allowed.")
    for index, button in enumerate(buttons):
        kind = str(button.get("type", "")).upper() if isinstance(button, dict) else ""
        if kind not in BUTTON_TYPES:
            problems.append(f"Button {index}: type must be one of {', '.join(sorted(BUTTON_TYPES))}.")
            continue
        if kind == "COPY_CODE" and not (isinstance(button.get("example"), str) and 1 <= len(button["example"]) <= 15):
            problems.append(f"Button {index}: a COPY_CODE button needs example, a sample code of 1-15 characters.")
        if not button.get("text") and kind not in BUTTONS_WITHOUT_TEXT:
            problems.append(f"Button {index}: text is required.")
        elif len(str(button.get("text") or "")) > BUTTON_TEXT_LIMIT:
            problems.append(f"Button {index}: text is longer than {BUTTON_TEXT_LIMIT} characters.")
        if kind == "PHONE_NUMBER" and not re.fullmatch(rf"\+?{PHONE_DIGITS}", str(button.get("phone_number", ""))):
            problems.append(f"Button {index}: a PHONE_NUMBER button needs phone_number, e.g. 15550051310.")
        if kind == "URL" and not str(button.get("url", "")).startswith("https://"):
            problems.append(f"Button {index}: url must start with https://.")
        if kind == "URL" and variables_in(str(button.get("url", ""))) and not button.get("example"):
            problems.append(f"Button {index}: a URL with a variable needs an example URL.")
    return problems
