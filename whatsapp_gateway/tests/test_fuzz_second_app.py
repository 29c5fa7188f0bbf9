"""The second app's fuzz check (fuzz_second_app.py) finds the first app's data in an answer that leaks it."""

import importlib.util
import json
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location("fuzz_second_app", Path(__file__).with_name("fuzz_second_app.py"))
hooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hooks)

FIRST_APP = {
    "ids": {"transport": [7], "template": [3], "session": ["0b7f2c1e-6a55-4c1e-9a55-1f2e3d4c5b6a"],
            "broadcast": [41], "log": [90], "erasure": []},
    "strings": ["alice-only-transport-5b2f", "12025550143"],
    "addresses": ["+12025550143"],
}


def leaks(path: str, body, sent: str = "") -> list[str]:
    return hooks.leaks(first_app=FIRST_APP, path=path, body=json.dumps(body).encode(), sent=sent)


def test_it_finds_the_first_apps_transport_in_a_list():
    page = {"count": 2, "next": None, "previous": None, "results": [{"id": 8, "name": "mine"}, {"id": 7, "name": "x"}]}
    assert leaks("/api/v1/transports/", page) == ["transport id 7"]


def test_it_finds_the_first_apps_session_named_by_a_broadcast_and_its_logs():
    broadcast = {"id": 41, "session": "0b7f2c1e-6a55-4c1e-9a55-1f2e3d4c5b6a", "logs": [{"id": 90}]}
    found = leaks("/api/v1/broadcasts/{id}/", broadcast)
    assert "broadcast id 41" in found and "log id 90" in found
    assert "session id 0b7f2c1e-6a55-4c1e-9a55-1f2e3d4c5b6a (as 'session')" in found


def test_it_finds_a_name_or_an_address_of_the_first_apps_anywhere_even_in_an_error_message():
    assert leaks("/api/v1/sessions/", {"code": "invalid", "detail": "alice-only-transport-5b2f is not yours"}) == [
        "the string 'alice-only-transport-5b2f'"
    ]
    assert leaks("/api/v1/sessions/{id}/broadcasts/", {"results": [{"id": 1, "address": "12025550143"}]}) == [
        "the string '12025550143'"
    ]


def test_it_finds_nothing_in_an_answer_of_the_second_apps_own_data():
    # Same numbers as the first app's ids, but of other kinds: a template 7 is no transport 7.
    assert leaks("/api/v1/templates/", {"results": [{"id": 7, "transport": 8, "name": "mine"}]}) == []
    assert leaks("/api/v1/sessions/", {"code": "not_found", "detail": "No session 41."}) == []


def test_a_string_the_request_itself_sent_is_an_echo_not_a_leak():
    body = {"code": "invalid", "detail": "recipients: …", "recipients": [{"address": "12025550143"}]}
    assert leaks("/api/v1/sessions/", body, sent='{"recipients": ["12025550143"]}') == []


def test_the_check_fails_the_run_on_a_leaking_answer(tmp_path, monkeypatch):
    data = tmp_path / "first-app.json"
    data.write_text(json.dumps(FIRST_APP))
    monkeypatch.setenv("GATEWAY_FIRST_APP", str(data))
    hooks.first_app.cache_clear()

    class Operation:
        path = "/api/v1/transports/{id}/"

    class Case:
        operation, method, path_parameters, query, body = Operation(), "GET", {"id": 7}, None, None

    class Response:
        status_code, content = 200, json.dumps({"id": 7, "name": "alice-only-transport-5b2f"}).encode()

    with pytest.raises(AssertionError, match="first app's the string 'alice-only-transport-5b2f', transport id 7"):
        hooks.nothing_of_the_first_app(None, Response(), Case())
    seen = [json.loads(line) for line in Path(f"{data}.seen").read_text().splitlines()]
    assert seen[0]["aimed"] is True and seen[0]["leaks"]
    hooks.first_app.cache_clear()


def test_without_the_first_apps_data_the_check_refuses_to_pass(monkeypatch):
    monkeypatch.delenv("GATEWAY_FIRST_APP", raising=False)
    hooks.first_app.cache_clear()
    with pytest.raises(RuntimeError, match="GATEWAY_FIRST_APP"):
        hooks.first_app()
