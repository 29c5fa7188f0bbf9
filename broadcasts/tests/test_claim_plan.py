"""A claim's cost is its batch's, however many rows are queued: PostgreSQL reads them from an index in order."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from broadcasts.models import LOST_AGAIN, Broadcast
from broadcasts.services.dispatch import batch_claim
from broadcasts.testing import make_session

pytestmark = pytest.mark.needs("PostgreSQL (DATABASE_URL)", available=connection.vendor == "postgresql")


def plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_claims_reads_need_no_sort_of_the_queued_rows(app, wa_transport):
    make_session(app, wa_transport["id"], [("SENT", "", 1)] * 20_000)  # an earlier campaign
    session = make_session(app, wa_transport["id"], [("QUEUED", "", 0)] * 2_000)
    Broadcast.objects.filter(pk=Broadcast.objects.filter(session=session).order_by("id")[3].pk).update(
        error_code=LOST_AGAIN
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE broadcasts_broadcast")  # the planner sees a large session, as in production
    with CaptureQueriesContext(connection) as queries:
        claimed = batch_claim(session=session, limit=10)
    assert len(claimed) == 1 and claimed[0].error_code == LOST_AGAIN  # a row lost twice goes alone
    with CaptureQueriesContext(connection) as queries:
        claimed = batch_claim(session=session, limit=10)
    assert len(claimed) == 10
    reads = [q["sql"] for q in queries.captured_queries if "SKIP LOCKED" in q["sql"]]
    assert len(reads) == 2  # the lost-twice look, then the batch
    lost_look, batch = plan(reads[0]), plan(reads[1])
    assert "broadcast_lost_again_idx" in lost_look, lost_look  # only the few rows lost twice are read
    assert "Sort" not in batch, batch  # read in order from the index, stopping at the batch's size
