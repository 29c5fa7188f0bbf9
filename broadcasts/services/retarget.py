"""Retarget: a new session for the recipients of an earlier one whose broadcasts ended in chosen statuses.

A status is the broadcast's furthest one now, and statuses never move back: READ means delivered and
read, DELIVERED means delivered and not (yet) read, so "delivered but not read" is ["DELIVERED"] and
everyone reached is ["DELIVERED", "READ"]. Only finished statuses can be chosen: a QUEUED or SENDING
broadcast is still the source session's to send, and retargeting it would send twice.
"""

from broadcasts.models import Broadcast, Session
from broadcasts.services.errors import SessionError
from broadcasts.services.sessions import SessionCreated, session_create

B = Broadcast.Status
RETARGET_STATUSES = tuple(s.value for s in (B.SENT, B.DELIVERED, B.READ, B.FAILED, B.UNKNOWN, B.CANCELLED))


def session_retarget(
    *,
    session: Session,
    statuses: list[str],
    message: dict,
    transport_id: int | None = None,
    keep_params: bool = True,
) -> SessionCreated:
    """A new session (validated and stored as `session_create` does) recording `retargeted_from=session`.

    Its recipients are `session`'s broadcasts now in `statuses`, in their order, with their params
    unless `keep_params` is off. No such broadcast is a 400 naming `statuses`; erased ones are skipped.
    """
    wanted = list(dict.fromkeys(statuses))
    refused = [status for status in wanted if status not in RETARGET_STATUSES]
    if refused or not wanted:
        raise SessionError(
            f"Choose among {', '.join(RETARGET_STATUSES)}"
            + (f"; {', '.join(map(str, refused))} cannot be retargeted" if refused else "") + ".",
            field="statuses",
        )
    rows = (
        Broadcast.objects.filter(session=session, status__in=wanted).exclude(address="")
        .order_by("id").values_list("address", "params")
    )
    recipients = [
        {"address": address, "params": params if keep_params and params else {}}
        for address, params in rows.iterator(chunk_size=5000)
    ]
    if not recipients:
        raise SessionError(
            f"No broadcast of this session is {' or '.join(wanted)}: there is nobody to retarget.",
            field="statuses", code="empty_selection",
        )
    return session_create(
        app=session.app,
        transport_id=transport_id or session.transport_id,
        message=message,
        recipients=recipients,
        retargeted_from=session,
    )
