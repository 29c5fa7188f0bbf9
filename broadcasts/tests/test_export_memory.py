"""The export streams: 100,000 broadcasts leave in chunks, never all in memory at once."""

import tracemalloc

from django.db import connection

from broadcasts.models import Broadcast, Session
from broadcasts.services.exports import session_export_csv
from broadcasts.services.sessions import _broadcasts_insert
from transports.models import Transport

ROWS = 100_000


def test_exporting_100000_broadcasts_holds_a_few_chunks_in_memory_not_the_file(app):
    transport = Transport.objects.create(app=app, name="wa", config={"maxAttempts": 3})
    session = Session.objects.create(app=app, transport=transport, total=ROWS, message={"content": "hi"})
    recipients = ((f"1555{n:07d}", {"first_name": f"Recipient number {n}", "order": f"B-{n:06d}"}) for n in range(ROWS))
    _broadcasts_insert(session=session, recipients=recipients)  # COPY on PostgreSQL, bulk_create elsewhere
    assert Broadcast.objects.filter(session=session).count() == ROWS

    tracemalloc.start()
    try:
        written = rows = 0
        for chunk in session_export_csv(session=session, personal_data=True):
            written += len(chunk)
            rows += chunk.count(b"\r\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rows == ROWS + 1  # the header and every broadcast
    # The whole file is over 10 MB (and its rows as model objects far more); one chunk of 2,000 rows is ~0.3 MB.
    assert written > 10_000_000, written
    assert peak < 5_000_000, f"peak {peak:,} bytes for a {written:,}-byte export on {connection.vendor}"
