"""Database helpers shared by the apps."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection


@contextmanager
def replayable_commits() -> Iterator[None]:
    """Commit without waiting for PostgreSQL to flush its WAL, for work redone from durable input if lost.

    With `synchronous_commit` off a commit is visible at once and as atomic as ever; only an operating system
    crash or power loss within about 0.6 s (3 x wal_writer_delay) can lose it, whole. Use it only where what is
    lost is done again: a stored webhook event stays PENDING and is processed again, a callback not marked
    delivered is delivered again (with the same event ids). Elsewhere (SQLite) nothing changes.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield  # inside a transaction a SET would end with it; the caller's durability stands
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO DEFAULT")
        except DatabaseError:
            connection.close()  # a broken connection is not reused, so the setting cannot outlive this block
