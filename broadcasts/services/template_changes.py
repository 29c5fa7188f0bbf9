"""What sessions do when Meta changes their template's category."""

import logging

from django.conf import settings

from broadcasts.models import Session
from broadcasts.services.transitions import SESSION_RECATEGORISED, session_move
from templates.models import Template, TemplateCategoryChange
from templates.services import language_code
from transports.models import Transport

logger = logging.getLogger("gateway.sessions")


def sessions_hold_for_recategorised(*, transport: Transport, changes: list[TemplateCategoryChange], **_) -> int:
    """Pause the scheduled and running sessions whose template Meta moved to MARKETING; returns how many.

    Marketing templates cost more and count toward Meta's per-user marketing limit, so an operator
    confirms (resumes) or cancels. Connected to templates_recategorised; TEMPLATE_RECATEGORISED_PAUSES
    turns it off.
    """
    to_marketing = {
        (change.template.name, change.template.language): change for change in changes
        if change.new_category == Template.Category.MARKETING != change.previous_category
    }
    if not to_marketing or not settings.TEMPLATE_RECATEGORISED_PAUSES:
        return 0
    names = {name for name, _ in to_marketing}
    held = 0
    running = Session.objects.filter(
        transport=transport, status__in=SESSION_RECATEGORISED.sources, message__meta__templateName__in=names
    ).only("pk", "message")
    for session in running:
        meta = (session.message or {}).get("meta") or {}
        change = to_marketing.get((meta.get("templateName"), language_code(meta.get("language"))))
        if change is None:
            continue
        reason = (
            f"Meta moved template {change.template.name} ({change.template.language}) from "
            f"{change.previous_category or 'another category'} to MARKETING on {change.changed_at:%Y-%m-%d %H:%M} UTC: "
            "marketing rates and per-user limits apply from now on. Resume to send the rest as marketing, or cancel."
        )
        if session_move(session_id=session.pk, move=SESSION_RECATEGORISED,
                        pause_reason=Session.PauseReason.CATEGORY, error=reason):
            held += 1
            logger.info("session paused: its template became marketing", extra={"session": str(session.pk)})
    return held
