"""schemathesis hooks for the second app's fuzz run: nothing of the first app's may show in any answer.

Loaded by schemathesis (SCHEMATHESIS_HOOKS=<this file>) in test_api_fuzz_live.py's second run, after the first app's
run has filled the database. `GATEWAY_FIRST_APP` names a JSON file with what belongs to the first app, collected from
the database: its ids by kind (`transport`, `template`, `session`, `broadcast`, `log`, `erasure`, `optout`) and
strings only it
has (its session ids, the names, addresses, wamids and texts planted for it). The hooks

- aim the second app's valid requests at the first app's rows: a path id, a body's or a query's `transport`, an
  erased address are, in half the cases, the first app's;
- check every answer (`nothing_of_the_first_app`): no object of the first app's by id, none of its strings anywhere
  in the body (error messages included);
- append one line per checked answer to `<GATEWAY_FIRST_APP>.seen`, so the test knows the check ran, and on what.

Standalone (stdlib, schemathesis, hypothesis): schemathesis loads it by path, outside the project's packages.
"""

import json
import os
import re
import zlib
from functools import cache

import schemathesis
from schemathesis import GenerationMode

# The resource an operation's path is about: the kind of its `{id}` and of the `id` of the objects it answers.
PATH_KINDS = [
    (re.compile(r"^/api/v1/sessions/\{id\}/broadcasts/"), "session", "broadcast"),
    (re.compile(r"^/api/v1/sessions/"), "session", "session"),
    (re.compile(r"^/api/v1/broadcasts/"), "broadcast", "broadcast"),
    (re.compile(r"^/api/v1/transports/"), "transport", "transport"),
    (re.compile(r"^/api/v1/templates/"), "template", "template"),
    (re.compile(r"^/api/v1/recipients/erase/"), None, "erasure"),
    (re.compile(r"^/api/v1/opt-outs/"), "optout", "optout"),
]
# Keys whose value is the id of an object of a known kind, wherever they appear.
KEY_KINDS = {"transport": "transport", "session": "session"}
# A list under this key holds objects of this kind (a broadcast's history).
LIST_KINDS = {"logs": "log"}


def kinds_of(path: str) -> tuple[str | None, str | None]:
    """(kind of the path's `{id}`, kind of the objects the operation answers) for an operation's path template."""
    for pattern, path_kind, object_kind in PATH_KINDS:
        if pattern.match(path):
            return path_kind, object_kind
    return None, None


def leaks(*, first_app: dict, path: str, body: bytes, sent: str = "") -> list[str]:
    """What of the first app's one answer carries: an empty list when nothing.

    `first_app` is {"ids": {kind: [id, ...]}, "strings": [str, ...]}; `path` is the operation's path template; `body`
    the answer's raw body; `sent`, the request's own text (a string it carried may come back: an echo is no leak).
    Strings are looked for anywhere in the body, ids of each kind where an object of that kind names one (its `id`,
    or a `transport` / `session` key).
    """
    text = body.decode("utf-8", errors="replace")
    found = [f"the string {value!r}" for value in first_app["strings"] if value and value in text and value not in sent]
    try:
        document = json.loads(text)
    except ValueError:
        return found
    ids = {kind: {str(value) for value in values} for kind, values in first_app["ids"].items()}
    _, object_kind = kinds_of(path)

    def walk(node, kind):
        if isinstance(node, list):
            for item in node:
                walk(item, kind)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key == "id" and kind and not isinstance(value, (dict, list)) and str(value) in ids.get(kind, ()):
                    found.append(f"{kind} id {value}")
                elif key in KEY_KINDS and not isinstance(value, (dict, list)):
                    if value is not None and str(value) in ids.get(KEY_KINDS[key], ()):
                        found.append(f"{KEY_KINDS[key]} id {value} (as {key!r})")
                elif key in LIST_KINDS:
                    walk(value, LIST_KINDS[key])
                elif key == "results":
                    walk(value, kind)
                else:
                    walk(value, None)  # nested objects of no known kind: only their transport/session keys count

    walk(document, object_kind)
    return found


@cache
def first_app() -> dict:
    path = os.environ.get("GATEWAY_FIRST_APP")
    if not path:  # never pass silently: without the first app's data this check would check nothing
        raise RuntimeError("GATEWAY_FIRST_APP is not set: the second app's run needs the first app's data")
    with open(path) as file:
        return json.load(file)


def seen(line: dict) -> None:
    with open(os.environ["GATEWAY_FIRST_APP"] + ".seen", "a") as file:
        file.write(json.dumps(line) + "\n")


@schemathesis.check
def nothing_of_the_first_app(ctx, response, case):
    """No answer to the second app carries an id, an address or a name of the first app's."""
    path = case.operation.path
    sent = json.dumps([case.path_parameters, case.query, case.body], default=str)
    found = leaks(first_app=first_app(), path=path, body=response.content or b"", sent=sent)
    path_kind, _ = kinds_of(path)
    aimed = (
        str((case.path_parameters or {}).get("id")) in {str(value) for value in first_app()["ids"].get(path_kind, ())}
        or _names_first_app_transport(case.body) or _names_first_app_transport(case.query)
        or (isinstance(case.body, dict) and case.body.get("address") in first_app()["addresses"])
    )
    seen({"method": case.method, "path": path, "status": response.status_code, "aimed": bool(aimed), "leaks": found})
    if found:
        raise AssertionError(f"{case.method} {path} answered the second app with the first app's {', '.join(found)}")


def _names_first_app_transport(container) -> bool:
    if not isinstance(container, dict):
        return False
    return str(container.get("transport")) in {str(value) for value in first_app()["ids"]["transport"]}


_AIMED: set[tuple[str, str]] = set()  # operations already sent a case aimed at the first app


@schemathesis.hook
def map_case(context, case):
    """Half the valid cases are aimed at the first app: its object as the `{id}`, its transport as a body's or a
    query's `transport`, its recipient as the erased `address`. Invalid cases stay as generated: made valid in one
    part, a case invalid in another would be judged as a whole (an ignored unknown query parameter)."""
    if case.meta is not None and case.meta.generation.mode == GenerationMode.NEGATIVE:
        return case
    theirs = first_app()
    draw = zlib.crc32(json.dumps([case.path_parameters, case.query, case.body], default=str).encode())
    operation = (case.operation.method.upper(), case.operation.path)
    if draw % 2 and operation in _AIMED:
        return case  # every operation's first valid case is aimed, so none goes untried however few it gets
    _AIMED.add(operation)
    kind, _ = kinds_of(case.operation.path)
    if kind and isinstance(case.path_parameters, dict) and "id" in case.path_parameters and theirs["ids"].get(kind):
        case.path_parameters = {**case.path_parameters, "id": _pick(theirs["ids"][kind], draw)}
    if isinstance(case.body, dict) and "transport" in case.body:
        case.body = {**case.body, "transport": _pick(theirs["ids"]["transport"], draw)}
    if isinstance(case.query, dict) and "transport" in case.query:
        case.query = {**case.query, "transport": _pick(theirs["ids"]["transport"], draw)}
    if isinstance(case.body, dict) and "address" in case.body and case.operation.path.startswith("/api/v1/recipients/"):
        case.body = {**case.body, "address": _pick(theirs["addresses"], draw)}
    return case


def _pick(values: list, draw: int):
    return values[(draw >> 1) % len(values)]
