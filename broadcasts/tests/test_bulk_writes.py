"""rows_update writes what bulk_update would: grouped into few UPDATEs when rows share their values."""

from datetime import UTC, datetime

import pytest

from broadcasts.models import Broadcast
from broadcasts.services.bulk_writes import rows_update
from broadcasts.testing import make_session
from transports.testing import make_transport

pytestmark = pytest.mark.django_db
AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def broadcasts(app, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = ["127.0.0.1:8001"]
    session = make_session(app, make_transport(app=app, whatsapp=True).pk, [("SENT", "", 1)] * 30)
    return list(Broadcast.objects.filter(session=session).order_by("pk"))


def test_rows_sharing_their_values_are_written_in_one_update_per_group(broadcasts):
    for n, broadcast in enumerate(broadcasts):
        broadcast.status = "READ" if n % 2 else "DELIVERED"
        broadcast.delivered_at = AT

    updates = rows_update(Broadcast, broadcasts, ["status", "delivered_at"])

    assert updates == 2
    stored = dict(Broadcast.objects.filter(pk__in=[b.pk for b in broadcasts]).values_list("pk", "status"))
    assert stored == {b.pk: ("READ" if n % 2 else "DELIVERED") for n, b in enumerate(broadcasts)}
    assert set(Broadcast.objects.filter(pk__in=[b.pk for b in broadcasts]).values_list("delivered_at", flat=True)) \
        == {AT}


def test_rows_with_values_of_their_own_are_written_in_one_statement_per_batch(broadcasts):
    for n, broadcast in enumerate(broadcasts):
        broadcast.wamid = f"wamid.{n}"

    updates = rows_update(Broadcast, broadcasts, ["wamid"])

    assert updates == 1  # one bulk_update batch
    assert list(Broadcast.objects.filter(pk__in=[b.pk for b in broadcasts]).order_by("pk")
                .values_list("wamid", flat=True)) == [f"wamid.{n}" for n in range(30)]


def test_unhashable_values_fall_back_to_bulk_update(broadcasts):
    for n, broadcast in enumerate(broadcasts):
        broadcast.params = {"name": "Ana"} if n < 20 else {"name": "Bo"}

    rows_update(Broadcast, broadcasts, ["params"])

    assert [b.params for b in Broadcast.objects.filter(pk__in=[b.pk for b in broadcasts]).order_by("pk")] == \
        [{"name": "Ana"}] * 20 + [{"name": "Bo"}] * 10


def test_only_the_given_rows_change(broadcasts):
    chosen = broadcasts[:12]
    for broadcast in chosen:
        broadcast.status = "READ"

    rows_update(Broadcast, chosen, ["status"])

    assert Broadcast.objects.filter(status="READ").count() == 12
    assert Broadcast.objects.filter(pk=broadcasts[-1].pk, status="SENT").exists()


def test_distinct_text_values_are_written_with_their_nulls_and_quotes(broadcasts):
    for n, broadcast in enumerate(broadcasts):
        broadcast.wamid = None if n == 3 else f"wamid.'{n}\""
        broadcast.message_status = "accepted" if n % 2 else "held_for_quality_assessment"

    rows_update(Broadcast, broadcasts, ["wamid", "message_status"])

    stored = list(Broadcast.objects.filter(pk__in=[b.pk for b in broadcasts]).order_by("pk")
                  .values_list("wamid", "message_status"))
    assert stored == [(b.wamid, b.message_status) for b in broadcasts]
    assert stored[3][0] is None
    assert stored[4] == ("wamid.'4\"", "held_for_quality_assessment")
