"""The ingest scenarios of the benchmark (bench/run.py): how long `POST /api/v1/sessions` takes to answer 202.

Scenario 5 sends 100,000 recipients as JSON, scenario 6 as a CSV upload; each session is cancelled after,
since sending 100,000 is scenario 3's measure.
"""

import json
import time

from bench.common import TEMPLATE, cpu_delta, recipients


def csv_session_upload(bench, data: bytes, *, timeout: float) -> str:
    """POST a session of TEMPLATE with this CSV as its recipients (multipart, as integrators do); its id."""
    response = bench.http.post(
        f"{bench.stack.web_url}/api/v1/sessions", timeout=timeout,
        data={"transport": str(bench.transports["throughput"]), "message": json.dumps({"meta": TEMPLATE})},
        files={"recipients_csv": ("audience.csv", data, "text/csv")},
    )
    if response.status_code != 202:
        raise RuntimeError(f"CSV upload -> {response.status_code}: {response.text[:500]}")
    return response.json()["id"]


def ingest_json(bench) -> dict:
    """Scenario 5: POST /api/v1/sessions with JSON recipients, until 202."""
    count = 1_000 if bench.options.quick else 100_000
    numbers = recipients(60, count)
    bench.stack.samplers["workers"].reset()
    bench.stack.samplers["web"].reset()
    queries_before, cpu_before = bench.stack.queries(), bench.stack.cpu()
    started = time.perf_counter()
    session_id = bench.session_create("throughput", numbers)
    accept = time.perf_counter() - started
    time.sleep(0.5)  # the request's counter file is written when the response is closed
    queries = bench.stack.queries() - queries_before
    cpu = cpu_delta(cpu_before, bench.stack.cpu())
    # Sending 100,000 is scenario 3 with --big; here only the accept path is measured.
    bench.api("post", f"/api/v1/sessions/{session_id}/cancel", {}, expect=(200, 202))
    from broadcasts.models import Broadcast

    stored = Broadcast.objects.filter(session_id=session_id).count()
    return {
        "scenario": f"5_ingest_{count}",
        "sessions": 1,
        "messages": stored,
        "messages_per_second": None,
        "accept_seconds": round(accept, 3),
        "recipients_per_second": round(count / accept, 1),
        "peak_worker_rss_mb": bench.stack.samplers["workers"].peak_mb(),
        "peak_web_rss_mb": bench.stack.samplers["web"].peak_mb(),
        "queries": queries,
        "queries_per_message": round(queries / count, 4),
        "errors": {"not_stored": count - stored},
        "cpu_seconds": cpu,
        "note": "POST /api/v1/sessions until 202 (validation + bulk insert); the session is then cancelled.",
    }


def ingest_csv(bench) -> dict:
    """Scenario 6: the same accept path with the recipients as a CSV upload (multipart), two param columns a row."""
    count = 1_000 if bench.options.quick else 100_000
    rows = "".join(f"{number};Recipient {n};B-{n:06d}\r\n" for n, number in enumerate(recipients(70, count)))
    data = ("\ufeffphone;first_name;order\r\n" + rows).encode()
    bench.stack.samplers["web"].reset()
    queries_before, cpu_before = bench.stack.queries(), bench.stack.cpu()
    started = time.perf_counter()
    session_id = csv_session_upload(bench, data, timeout=600)
    accept = time.perf_counter() - started
    time.sleep(0.5)  # the request's counter file is written when the response is closed
    queries = bench.stack.queries() - queries_before
    cpu = cpu_delta(cpu_before, bench.stack.cpu())
    bench.api("post", f"/api/v1/sessions/{session_id}/cancel", {}, expect=(200, 202))
    from broadcasts.models import Broadcast

    stored = Broadcast.objects.filter(session_id=session_id).count()
    return {
        "scenario": f"6_csv_ingest_{count}",
        "sessions": 1,
        "messages": stored,
        "messages_per_second": None,
        "accept_seconds": round(accept, 3),
        "recipients_per_second": round(count / accept, 1),
        "csv_bytes": len(data),
        "peak_web_rss_mb": bench.stack.samplers["web"].peak_mb(),
        "queries": queries,
        "queries_per_message": round(queries / count, 4),
        "errors": {"not_stored": count - stored},
        "cpu_seconds": cpu,
        "note": "POST /api/v1/sessions as multipart/form-data with a CSV (phone;first_name;order) until 202: "
        "upload, parsing, every row validated, COPY; the session is then cancelled.",
    }
