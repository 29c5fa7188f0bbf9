"""Input every API request and webhook goes through before a service sees it (errors: errors.py).

JSON is bounded in depth (`MAX_JSON_DEPTH`) and its strings must be text the database can store:
PostgreSQL refuses NUL (\\u0000) and UTF-8 cannot encode a lone surrogate (\\ud800), so either
would reach the database as a 500 (or, on SQLite, as a row that breaks every page showing it).
Numbers must be finite: `1e400` reads as infinity, which no JSON column can hold.
"""

import json
import math
import re
import uuid

from django import forms
from django.forms.fields import InvalidJSONInput
from rest_framework import exceptions, parsers, serializers

MAX_JSON_DEPTH = 32  # objects and arrays nested in one request body; Meta's deepest payloads use about 8
_SURROGATE = re.compile("[\ud800-\udfff]")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MAX_ID = 2**63 - 1  # the largest id a (bigint) primary key holds
_ASCII_ID = re.compile(r"[0-9]{1,18}")  # fits a bigint; "²" and "١" are digits to str.isdigit(), not ids
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:,]')


class JSONInputError(ValueError):
    """JSON the gateway refuses; `field` is the dotted path of the offending value ("" for the whole body)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message

    def detail(self) -> dict:
        """As DRF reports a field: keyed by the top-level field, the message naming the full path."""
        return {self.field.split(".", 1)[0]: [f"{self.field}: {self.message}"]}


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored as it is, or None."""
    if "\x00" in text:
        return "must not contain NUL characters (\\u0000)"
    if _SURROGATE.search(text):
        return "must not contain lone surrogates (\\ud800-\\udfff): send valid UTF-8"
    return None


def json_check(value, *, field: str = "", max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise JSONInputError for the first value nested deeper than `max_depth`, non-storable text or a
    non-finite number. Iterative, so any depth is checked without recursion."""
    if _is_clean(value, max_depth):  # the common case, fast; paths are only worked out for an error
        return
    stack = [(value, field, 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            if problem := text_problem(item):
                raise JSONInputError(path, problem)
        elif isinstance(item, float) and not math.isfinite(item):
            raise JSONInputError(path, "must be a finite number")
        elif isinstance(item, dict | list):
            if depth >= max_depth:
                raise JSONInputError(_short(path), f"nested more than {max_depth} levels deep")
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                child_path = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and (problem := text_problem(key)):
                    raise JSONInputError(path, f"keys {problem}")  # the key itself is never echoed
                stack.append((child, child_path, depth + 1))


def _is_clean(value, max_depth: int) -> bool:
    """True when `json_check` finds nothing: one pass without paths (100,000 recipients in ~0.1 s)."""
    level, nxt, depth = [value], [], 0
    unstorable, finite = _UNSTORABLE.search, math.isfinite
    while level:
        for item in level:
            kind = type(item)
            if kind is str:
                if unstorable(item):
                    return False
            elif kind is dict:
                if depth >= max_depth:
                    return False
                for key in item:
                    if type(key) is str and unstorable(key):
                        return False
                nxt.extend(item.values())
            elif kind is list:
                if depth >= max_depth:
                    return False
                nxt.extend(item)
            elif kind is float and not finite(item):
                return False
            elif kind not in (int, bool, float, type(None)):
                return False  # a subclass or another type: the full walk judges it
        level, nxt, depth = nxt, [], depth + 1
    return True


def _short(path: str, parts: int = 4) -> str:
    """A deep path cut to its first parts: enough to name the field."""
    names = path.split(".")
    return ".".join(names[:parts]) + (".…" if len(names) > parts else "")


def json_loads(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH):
    """Parse and `json_check` JSON text; raises JSONInputError (with ValueError's message for bad JSON)."""
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        # Deeper than Python's own parser goes (e.g. "[" * 100_000): name the field from the text itself.
        raise JSONInputError(_deep_field(text, max_depth), f"nested more than {max_depth} levels deep") from None
    except ValueError as error:
        raise JSONInputError("", f"not valid JSON ({error})") from None
    json_check(value, max_depth=max_depth)
    return value


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _deep_field(text: str | bytes, max_depth: int) -> str:
    """The path at which `text` nests deeper than `max_depth` ("" for the body itself), read token by token."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    frames: list[list] = []  # per open container: [key or index, is_object]
    last_string = ""
    for match in _TOKEN.finditer(text):
        piece = match.group()
        if piece in "[{":
            if len(frames) >= max_depth:
                in_object = bool(frames) and frames[0][1]  # a body that is an array has no field to name
                return _short(".".join(str(frame[0]) for frame in frames)) if in_object else ""
            frames.append(["", True] if piece == "{" else [0, False])
        elif piece in "]}":
            if frames:
                frames.pop()
        elif piece == ":" and frames and frames[-1][1]:
            frames[-1][0] = "" if text_problem(last_string) else last_string
        elif piece == "," and frames and not frames[-1][1]:
            frames[-1][0] += 1
        elif piece.startswith('"'):
            try:
                last_string = json.loads(piece)
            except ValueError:
                last_string = ""
    return ""


def ascii_id(value) -> int | None:
    """`value` as an object id when it is one written in ASCII digits (a path segment, a filter), else None."""
    text = str(value)
    return int(text) if _ASCII_ID.fullmatch(text) else None


def is_uuid(value) -> bool:
    """Whether `value` is a UUID as a path segment writes one (a session id)."""
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def params_check(params) -> None:
    """Query parameters (and headers) the database could not store or compare: 400 naming the parameter."""
    for name, values in params.lists():
        for value in values:
            if problem := text_problem(value):
                raise exceptions.ValidationError({name: [problem]})


class JSONBodyParser(parsers.JSONParser):
    """DRF's JSON parser with `json_loads`' checks: a bad body is a 400 naming its field, never a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError as error:
            raise exceptions.ParseError(f"JSON parse error - the body is not {encoding}: {error.reason}") from None
        try:
            return json_loads(text)
        except JSONInputError as error:
            if not error.field or re.match(r"[0-9]+(\.|$)", error.field):  # the body itself, or an array
                raise exceptions.ParseError(f"JSON parse error - {error.message}") from None
            raise exceptions.ValidationError(error.detail()) from None


class JSONFormField(forms.JSONField):
    """Django's form JSONField with `json_loads`' checks, for admin forms: "[" * 100_000 is a form error, not a 500.

    Use it as `forms.JSONField` is used, or for every model JSONField of a ModelAdmin with
    `formfield_overrides = {models.JSONField: {"form_class": JSONFormField}}`.
    """

    def to_python(self, value):
        if self.disabled or value in self.empty_values or not isinstance(value, str):
            return super().to_python(value)
        try:
            return json_loads(value)
        except JSONInputError as error:
            raise forms.ValidationError(str(error), code="invalid") from None

    def bound_data(self, data, initial):
        # The form shown again after an error parses what was typed once more: the same checks apply.
        if self.disabled or data is None or not isinstance(data, str):
            return super().bound_data(data, initial)
        try:
            return json_loads(data)
        except JSONInputError:
            return InvalidJSONInput(data)



# The JSON type each kind of serializer field takes; DRF would turn 0 into "0", "5" into 5 and "yes" into True.
_JSON_TYPES = [
    (serializers.BooleanField, (bool,), "true or false"),
    (serializers.IntegerField, (int,), "an integer"),
    (serializers.FloatField, (int, float), "a number"),
    (serializers.CharField, (str,), "a string"),
    (serializers.ListField, (list,), "a list"),
    (serializers.DictField, (dict,), "an object"),
    (serializers.BaseSerializer, (dict,), "an object"),
]


def _json_type_problem(field, value) -> str | None:
    """Why `value` is not of the JSON type `field` takes, or None (also for fields of any type)."""
    if value is None:
        return None  # allow_null (or its refusal) is the field's own rule
    for kind, types, words in _JSON_TYPES:
        if isinstance(field, kind):
            is_bool = isinstance(value, bool)
            ok = isinstance(value, types) and (bool in types or not is_bool)
            return None if ok else f"Must be {words}."
    return None


class JSONInput(serializers.Serializer):
    """A serializer of a JSON body: every field must come with its JSON type, as the schema says.

    `"transport": "1"` and `"name": 0` are 400s naming the field, not quietly converted.
    """

    def to_internal_value(self, data):
        if isinstance(data, dict):
            problems = {}
            for name, field in self.fields.items():
                if field.read_only or data.get(name) is None:
                    continue  # absent or null: the field's own rules (required, allow_null) answer
                problem = _json_type_problem(field, data[name])
                child = getattr(field, "child", None)
                if problem is None and child is not None and not isinstance(field, serializers.BaseSerializer):
                    items = data[name].values() if isinstance(data[name], dict) else data[name]
                    problem = next((p for item in items if (p := _json_type_problem(child, item))), None)
                if problem:
                    problems[name] = [problem]
            if problems:
                raise exceptions.ValidationError(problems)
        return super().to_internal_value(data)
