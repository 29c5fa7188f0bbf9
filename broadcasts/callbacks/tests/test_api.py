"""The callbacks API: secrets shown once, the network guard, rotation, the test ping, and two tenants."""

import hashlib
import hmac

import pytest

from broadcasts.callbacks.models import Callback, CallbackAttempt
from broadcasts.callbacks.services.endpoints import callback_signing


@pytest.fixture
def created(api, receiver):
    answer = api.post("/api/v1/callbacks", {"url": receiver.url, "events": ["broadcast.sent"]}, format="json")
    assert answer.status_code == 201, answer.json()
    return answer.json()


def test_the_secret_is_shown_on_create_and_never_again(api, created):
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["events"] == ["broadcast.sent"] and created["is_active"] is True
    listed = api.get("/api/v1/callbacks").json()
    one = api.get(f"/api/v1/callbacks/{created['id']}").json()
    assert created["secret"] not in str(listed) + str(one)
    assert "secret" not in one and one["url"] == created["url"]
    stored = Callback.objects.get(pk=created["id"])
    assert created["secret"] not in stored.encrypted_secret  # encrypted at rest
    assert callback_signing(callback=stored).current == created["secret"]


@pytest.mark.parametrize("url", ["http://10.0.0.5/events", "http://127.0.0.1:9/x", "ftp://example.com/x",
                                 "http://user:pw@example.com/x", "http://169.254.169.254/latest/meta-data"])
def test_a_url_the_network_guard_refuses_is_a_400_naming_url_and_nothing_is_stored(api, url):
    answer = api.post("/api/v1/callbacks", {"url": url}, format="json")
    assert answer.status_code == 400 and "url" in answer.json(), answer.json()
    assert Callback.objects.count() == 0


def test_an_unknown_event_type_is_a_400_naming_events(api, receiver):
    answer = api.post("/api/v1/callbacks", {"url": receiver.url, "events": ["broadcast.opened"]}, format="json")
    assert answer.status_code == 400 and "events" in answer.json()
    assert Callback.objects.count() == 0


def test_a_batch_size_out_of_bounds_is_a_400(api, receiver):
    answer = api.post("/api/v1/callbacks", {"url": receiver.url, "batch_size": 101}, format="json")
    assert answer.status_code == 400 and "batch_size" in answer.json()


def test_patch_changes_only_what_is_given_and_checks_the_url_again(api, created):
    answer = api.patch(f"/api/v1/callbacks/{created['id']}", {"is_active": False}, format="json")
    assert answer.status_code == 200 and answer.json()["is_active"] is False
    assert answer.json()["events"] == ["broadcast.sent"] and answer.json()["url"] == created["url"]
    refused = api.patch(f"/api/v1/callbacks/{created['id']}", {"url": "http://10.1.2.3/"}, format="json")
    assert refused.status_code == 400 and "url" in refused.json()
    assert Callback.objects.get(pk=created["id"]).url == created["url"]


def test_put_is_not_offered(api, created):
    assert api.put(f"/api/v1/callbacks/{created['id']}", {"url": created["url"]}, format="json").status_code == 405


def test_delete_removes_the_endpoint(api, created):
    assert api.delete(f"/api/v1/callbacks/{created['id']}").status_code == 204
    assert not Callback.objects.exists()


def test_rotate_shows_a_new_secret_once_and_both_sign_until_the_previous_expires(api, created, settings):
    answer = api.post(f"/api/v1/callbacks/{created['id']}/rotate")
    assert answer.status_code == 200
    new = answer.json()["secret"]
    assert new != created["secret"] and answer.json()["previous_secret_expires_at"]
    signing = callback_signing(callback=Callback.objects.get(pk=created["id"]))
    assert (signing.current, signing.previous) == (new, created["secret"])
    assert new not in str(api.get(f"/api/v1/callbacks/{created['id']}").json())


def test_the_test_ping_reaches_the_receiver_signed_and_is_logged(api, created, receiver):
    answer = api.post(f"/api/v1/callbacks/{created['id']}/test")
    assert answer.status_code == 200 and answer.json()["ok"] is True and answer.json()["status_code"] == 200
    [request] = receiver.requests
    t, v1 = [part.split("=", 1)[1] for part in request["headers"]["X-Gateway-Signature"].split(",")]
    expected = hmac.new(created["secret"].encode(), f"{t}.".encode() + request["body"], hashlib.sha256).hexdigest()
    assert v1 == expected
    assert receiver.events()[0]["type"] == "ping"
    assert CallbackAttempt.objects.filter(callback_id=created["id"], ok=True).count() == 1


def test_a_ping_to_a_receiver_that_is_down_answers_200_with_what_went_wrong(api, created, receiver):
    receiver.down()
    answer = api.post(f"/api/v1/callbacks/{created['id']}/test")
    assert answer.status_code == 200 and answer.json()["ok"] is False
    assert "ConnectionError" in answer.json()["error"]
    assert "receivers-own" not in answer.json()["error"]  # the URL's query (the receiver's token) is never shown


def test_another_apps_key_sees_and_changes_nothing(api, other_api, created, receiver):
    path = f"/api/v1/callbacks/{created['id']}"
    assert other_api.get("/api/v1/callbacks").json()["results"] == []
    assert other_api.get(path).status_code == 404
    assert other_api.patch(path, {"is_active": False}, format="json").status_code == 404
    assert other_api.post(f"{path}/rotate").status_code == 404
    assert other_api.post(f"{path}/test").status_code == 404
    assert other_api.delete(path).status_code == 404
    assert Callback.objects.get(pk=created["id"]).is_active is True
    assert receiver.requests == []
    assert api.get(path).status_code == 200


def test_an_id_that_is_not_ascii_digits_is_a_404(api):
    assert api.get("/api/v1/callbacks/١").status_code == 404


def test_the_bruno_flow_on_the_local_stack_pings_the_simulator_which_answers_but_is_no_receiver(
    api, other_api, sim_transport, simulator
):
    # bruno/callbacks/: the simulator's Graph paths are what the local stack's guard allows.
    answer = api.post("/api/v1/callbacks", {"url": f"{simulator.base_url}/v23.0/gateway-callbacks"}, format="json")
    assert answer.status_code == 201, answer.json()
    pinged = api.post(f"/api/v1/callbacks/{answer.json()['id']}/test").json()
    assert pinged["ok"] is False and 400 <= pinged["status_code"] < 500, pinged  # it answered: the POST went out
    refused = other_api.post(f"/api/v1/callbacks/{answer.json()['id']}/test")
    assert (refused.status_code, refused.json()["code"]) == (404, "not_found")
