"""Count the SQL statements a gateway process runs, without touching app code.

Loaded into the Celery workers (bench/celery_bench.py) and the gunicorn workers (bench/gunicorn_conf.py):
every new Django DB connection gets an execute wrapper that counts statements; the running total is
written to `$BENCH_QUERY_DIR/<pid>` after each task / request, so the harness sums the files.
"""

import os
from pathlib import Path

_count = 0
_dir = Path(os.environ["BENCH_QUERY_DIR"]) if os.environ.get("BENCH_QUERY_DIR") else None


def _counter(execute, sql, params, many, context):
    global _count
    _count += 1
    return execute(sql, params, many, context)


def _on_connection(sender, connection, **kwargs):
    if _counter not in connection.execute_wrappers:
        connection.execute_wrappers.append(_counter)


def flush(*args, **kwargs) -> None:
    if _dir is not None:  # write then rename, so a reader never sees a half-written file
        tmp = _dir / f".{os.getpid()}.tmp"
        tmp.write_text(str(_count))
        os.replace(tmp, _dir / str(os.getpid()))


def install() -> None:
    from django.db import connections
    from django.db.backends.signals import connection_created

    connection_created.connect(_on_connection, dispatch_uid="bench-querycount")
    for connection in connections.all(initialized_only=True):
        _on_connection(None, connection)


def total(directory: Path) -> int:
    """Statements counted so far by every process that wrote into `directory`."""
    count = 0
    for path in directory.iterdir():
        if path.name.startswith("."):
            continue
        try:
            count += int(path.read_text() or 0)
        except (OSError, ValueError):
            continue
    return count
