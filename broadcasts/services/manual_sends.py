"""A test message is a real message: it is recorded as a one-recipient session like any other.

So its attempt is logged, Meta's webhooks find its wamid (delivered and read show up in the admin),
and retention and erasure treat it like every other send.
"""

from django.db import transaction
from django.utils import timezone

from broadcasts.models import Broadcast, Session
from broadcasts.services.sending import SendOutcome
from transports.models import Transport


def test_message_record(*, transport: Transport, message: dict, address: str, result) -> Session:
    """Store the session, broadcast and attempt log of a test message the engine has just sent."""
    now = timezone.now()
    status = Broadcast.Status.SENT if result.ok else Broadcast.Status.FAILED
    with transaction.atomic():
        session = Session.objects.create(
            app_id=transport.app_id, transport=transport, message=message, total=1, is_test=True,
            status=Session.Status.COMPLETED if result.ok else Session.Status.FAILED,
            error="" if result.ok else (result.error_title or "The test message was not sent.")[:1000],
            started_at=now, completed_at=now,
        )
        broadcast = Broadcast.objects.create(
            session=session, address=address, status=status, attempts=1,
            wamid=result.provider_message_id if result.ok else None,
            sent_at=now if result.ok else None, failed_at=None if result.ok else now,
            error_code=result.error_code, error_title=result.error_title[:255], error_category=result.category,
        )
        SendOutcome(broadcast=broadcast, result=result).log_row(session=session, attempt=1, task_id="").save()
    return session
