"""The py-spy summary of `make bench-profile` (its section of docs/benchmark.md: test_report.py)."""

from bench.pyprofile import ROOT, summarize

SITE = "/venv/lib/python3.11/site-packages"


def frame(function: str, path: str, line: int = 1) -> str:
    return f"{function} ({path}:{line})"


STATUSES = frame("_broadcast_statuses_apply", f"{ROOT}/broadcasts/services/webhooks/statuses.py", 90)
TASK = frame("process_webhook_events", "broadcasts/tasks.py", 38)  # as py-spy names it, from sys.path
WAIT = frame("Connection.wait", f"{SITE}/psycopg/connection.py", 900)
LOOP = frame("Hub.create_loop", f"{SITE}/kombu/asynchronous/hub.py", 300)
CELERY = frame("worker", "celery/bin/worker.py", 400)  # py-spy's name for a file in site-packages
QUERYCOUNT = frame("_counter", f"{ROOT}/bench/querycount.py", 20)


def test_shares_are_of_the_samples_in_the_gateways_own_code():
    lines = [
        f"process 1;{CELERY};{TASK};{STATUSES};{QUERYCOUNT};{WAIT} 30\n",
        f"process 1;{TASK};{STATUSES} 10\n",
        f"process 1;{TASK} 10\n",
        f"process 1;{LOOP} 50\n",  # the worker's own loop: no gateway frame, left out of the shares
        "garbage line\n",
    ]
    summary = summarize(lines)
    assert (summary["samples"], summary["gateway_samples"]) == (100, 50)
    assert summary["database_wait_percent"] == 60.0
    assert summary["top"] == [
        {"function": "broadcasts/tasks.py:process_webhook_events", "percent": 100.0},
        {"function": "broadcasts/services/webhooks/statuses.py:_broadcast_statuses_apply", "percent": 80.0},
    ]


def test_a_recursive_function_counts_once_per_sample():
    summary = summarize([f"process 1;{TASK};{TASK};{TASK} 4\n"])
    assert summary["top"] == [{"function": "broadcasts/tasks.py:process_webhook_events", "percent": 100.0}]
