"""Replayable commits: webhook processing and callback delivery skip the disk flush, sending never does."""

import pytest
from django.db import connection, transaction

from broadcasts.services.webhooks import events as webhook_events
from whatsapp_gateway.db import replayable_commits

ON_POSTGRESQL = connection.vendor == "postgresql"


def synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.needs("PostgreSQL (DATABASE_URL)", available=ON_POSTGRESQL)
@pytest.mark.django_db(transaction=True)
def test_it_is_off_inside_and_back_to_the_default_after():
    default = synchronous_commit()
    with replayable_commits():
        assert synchronous_commit() == "off"
    assert synchronous_commit() == default == "on"
    with pytest.raises(RuntimeError), replayable_commits():
        raise RuntimeError("the work failed")
    assert synchronous_commit() == "on"


@pytest.mark.needs("PostgreSQL (DATABASE_URL)", available=ON_POSTGRESQL)
@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_it_leaves_the_callers_durability_alone():
    with transaction.atomic(), replayable_commits():
        assert synchronous_commit() == "on"


@pytest.mark.needs("PostgreSQL (DATABASE_URL)", available=ON_POSTGRESQL)
@pytest.mark.django_db(transaction=True)
def test_a_webhook_event_is_processed_with_it(monkeypatch):
    seen = []
    monkeypatch.setattr(webhook_events, "_event_process", lambda event_id: seen.append(synchronous_commit()))
    webhook_events.webhook_event_process(event_id=1)
    assert seen == ["off"] and synchronous_commit() == "on"
