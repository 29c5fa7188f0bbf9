"""The ten-line verifier of docs/callbacks.md accepts what the gateway signs and nothing else."""

import json
import shutil
import subprocess
import time

import pytest

from broadcasts.callbacks.services.delivery import callback_body, signature, signature_header
from broadcasts.callbacks.services.endpoints import Signing
from broadcasts.callbacks.tests.verifier import docs_js_verifier, docs_verify

BODY = callback_body([{"id": "e1", "type": "broadcast.read", "reference": "order-1042", "data": {"note": "é"}}])


def test_the_docs_verifier_accepts_the_gateways_signature_with_either_secret_during_a_rotation():
    verify = docs_verify()
    header = signature_header(signing=Signing(current="whsec_new", previous="whsec_old"), timestamp=int(time.time()),
                              body=BODY)
    assert verify("whsec_new", header, BODY) and verify("whsec_old", header, BODY)
    assert not verify("whsec_other", header, BODY)


def test_the_docs_verifier_refuses_a_changed_body_an_old_timestamp_and_a_broken_header():
    verify = docs_verify()
    now = int(time.time())
    header = signature_header(signing=Signing(current="whsec_s"), timestamp=now, body=BODY)
    assert verify("whsec_s", header, BODY)
    assert not verify("whsec_s", header, BODY.replace(b"1042", b"1043"))
    stale = now - 301
    assert not verify("whsec_s", f"t={stale},v1={signature(secret='whsec_s', timestamp=stale, body=BODY)}", BODY)
    assert verify("whsec_s", f"t={stale},v1={signature(secret='whsec_s', timestamp=stale, body=BODY)}", BODY,
                  tolerance=600)
    for broken in ("", "v1=abc", "t=x,v1=abc", "garbage", f"t={now}"):
        assert not verify("whsec_s", broken, BODY)


@pytest.mark.needs("node", available=shutil.which("node") is not None)
def test_the_docs_javascript_verifier_agrees(tmp_path):
    now = int(time.time())
    header = signature_header(signing=Signing(current="whsec_new", previous="whsec_old"), timestamp=now, body=BODY)
    (tmp_path / "body.json").write_bytes(BODY)
    script = docs_js_verifier() + f"""
const body = require("fs").readFileSync({json.dumps(str(tmp_path / "body.json"))});
const header = {json.dumps(header)};
console.log(JSON.stringify([verify("whsec_new", header, body), verify("whsec_old", header, body),
  verify("whsec_other", header, body), verify("whsec_new", header, Buffer.concat([body, Buffer.from(" ")])),
  verify("whsec_new", "t=1,v1=" + header.split("v1=")[1].split(",")[0], body), verify("whsec_new", "", body)]));
"""
    answer = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30, check=True)
    assert json.loads(answer.stdout) == [True, True, False, False, False, False]
