"""Opt-outs: each app's suppression list, and the sessions that never send to it.

An opt-out names one recipient of one app (normalized as broadcasts are) with a scope: `marketing` (no
MARKETING template reaches them) or `all` (nothing does). It is added through the API, the admin or a CSV
import, and on its own: an inbound message that is a STOP keyword (`all`), a configured opt-out button's
payload (`marketing`), Meta's error 131050 "the user stopped marketing messages" (`marketing`). An inbound START
keyword removes it. At session create the suppressed recipients are stored as SUPPRESSED broadcasts, never sent,
and counted as `suppressed` in the session's stats.
"""

import csv
import io
import logging
import re
import unicodedata
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from broadcasts.models import Broadcast, OptOut, Session
from broadcasts.services.transitions import broadcasts_suppress
from templates.models import Template
from transports.addresses import STRICT_POSSIBLE, AddressError, is_user_id, phone_normalize
from transports.redaction import mask_phone
from whatsapp_gateway.errors import GatewayError
from whatsapp_gateway.models import App

logger = logging.getLogger("gateway.optouts")

MARKETING_OPT_OUT_CODE = "131050"  # Meta: the user stopped marketing messages from this business
CSV_COLUMNS = ["address", "scope", "reason", "source", "created_at"]


class OptOutError(GatewayError):
    """An opt-out request the gateway refuses (400), naming the field."""


def optout_address(raw) -> str:
    """The address as broadcasts store it: a BSUID as given, a phone number as E.164 digits; raises OptOutError."""
    text = raw.strip() if isinstance(raw, str) else ""
    if is_user_id(text):
        return text
    try:
        return phone_normalize(text, region=settings.PHONE_DEFAULT_REGION, strictness=STRICT_POSSIBLE)
    except AddressError as error:
        raise OptOutError(f"{error} (e.g. +1 202 555 0101 or US.13491208655302741918)", field="address") from None


def optout_create(*, app: App, address: str, scope: str = OptOut.Scope.ALL, reason: str = "",
                  source: str = OptOut.Source.API) -> tuple[OptOut, bool]:
    """Add (or widen) the app's opt-out of `address`; returns it and whether it is new.

    An address already opted out keeps one row: `all` wins over `marketing`, the newest reason is kept.
    """
    if scope not in OptOut.Scope.values:
        raise OptOutError(f"must be one of {', '.join(OptOut.Scope.values)}", field="scope")
    if not isinstance(reason, str) or len(reason) > 255:
        raise OptOutError("at most 255 characters of text", field="reason")
    normalized = optout_address(address)
    with transaction.atomic():
        optout, created = OptOut.objects.select_for_update().get_or_create(
            app=app, address=normalized, defaults={"scope": scope, "reason": reason, "source": source}
        )
        if not created and (scope == OptOut.Scope.ALL and optout.scope != OptOut.Scope.ALL or reason):
            optout.scope = OptOut.Scope.ALL if OptOut.Scope.ALL in (scope, optout.scope) else scope
            optout.reason = reason or optout.reason
            optout.save(update_fields=["scope", "reason"])
    if created:
        logger.info("opt-out added", extra={"app": app.pk, "address": mask_phone(normalized), "source": source})
    return optout, created


def optout_delete(*, optout: OptOut) -> None:
    optout.delete()
    logger.info("opt-out removed", extra={"app": optout.app_id, "optout": optout.pk})


def optouts_remove(*, app: App, addresses: Iterable[str]) -> int:
    """Remove the app's opt-outs of these (normalized) addresses (an inbound START); returns how many."""
    removed, _ = OptOut.objects.filter(app=app, address__in=list(addresses)).delete()
    return removed


def optouts_suppress(*, session: Session, template: Template | None) -> int:
    """At session create: the session's recipients on the app's opt-out list are SUPPRESSED, never sent.

    `all` suppresses any message; `marketing` only a MARKETING template. Returns how many. One UPDATE.
    """
    suppressed = OptOut.objects.filter(app_id=session.app_id, scope__in=_scopes(template)).values("address")
    return broadcasts_suppress(broadcasts=Broadcast.objects.filter(session=session, address__in=suppressed))


def optouts_among(*, app: App, template: Template | None, addresses: Iterable[str]) -> set[str]:
    """Which of these (normalized) addresses a session of `template` would suppress (for a preview).

    Reads the app's opt-outs in the scopes that apply once, not one query per address.
    """
    wanted = set(addresses)
    listed = OptOut.objects.filter(app=app, scope__in=_scopes(template)).values_list("address", flat=True)
    return {address for address in listed.iterator(chunk_size=5000) if address in wanted}


def _scopes(template: Template | None) -> list[str]:
    """The opt-out scopes that stop a message of this template: `all` always, `marketing` for MARKETING ones."""
    if template is not None and template.category == Template.Category.MARKETING:
        return [OptOut.Scope.ALL, OptOut.Scope.MARKETING]
    return [OptOut.Scope.ALL]


def keyword_normal(text: str) -> str:
    """Case- and accent-insensitive form of a short message: "  Arrêt! " → "ARRET"."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\W_]+", " ", plain).strip().upper()


def _keywords(by_language: dict) -> set[str]:
    return {keyword_normal(word) for words in by_language.values() for word in words if keyword_normal(word)}


def optouts_from_inbound(*, app_id: int, messages: list[tuple[str, dict]]) -> tuple[int, int]:
    """Inbound messages (sender address, Meta's message) that opt in or out; returns (added, removed).

    A text that is exactly a STOP keyword (any configured language) opts out of everything; an opt-out
    button's payload (OPT_OUT_BUTTON_PAYLOADS) out of marketing; a START keyword removes the opt-out.
    """
    stop, start = _keywords(settings.OPT_OUT_STOP_KEYWORDS), _keywords(settings.OPT_OUT_START_KEYWORDS)
    payloads = {keyword_normal(payload) for payload in settings.OPT_OUT_BUTTON_PAYLOADS}
    app = App(pk=app_id)
    added = removed = 0
    for address, message in messages:
        if not address:
            continue
        kind = message.get("type")
        body = message.get(kind) if isinstance(message.get(kind), dict) else {}
        text = keyword_normal(body.get("body", "")) if kind == "text" else ""
        payload = keyword_normal(_button_payload(kind, body))
        if text in stop:
            added += _added(app, address, OptOut.Scope.ALL, f"Replied {body.get('body', '')!s:.40}",
                            OptOut.Source.KEYWORD)
        elif payload and payload in payloads:
            added += _added(app, address, OptOut.Scope.MARKETING, f"Pressed {payload[:40]}", OptOut.Source.BUTTON)
        elif text in start:
            removed += optouts_remove(app=app, addresses=[address])
    return added, removed


def _button_payload(kind, body: dict) -> str:
    if kind == "button":
        return str(body.get("payload") or "")
    if kind == "interactive":
        return str((body.get("button_reply") or {}).get("id") or "")
    return ""


def _added(app: App, address: str, scope: str, reason: str, source: str) -> int:
    try:
        return int(optout_create(app=app, address=address, scope=scope, reason=reason, source=source)[1])
    except OptOutError:
        return 0  # not an address an opt-out can name (nothing is sent to it either)


def optouts_from_errors(*, failed: Iterable[tuple[int, str, str]]) -> int:
    """(app id, address, Meta error code) of failed sends: 131050 opts the recipient out of marketing."""
    added = 0
    for app_id, address, code in failed:
        if str(code) == MARKETING_OPT_OUT_CODE and address:
            added += _added(App(pk=app_id), address, OptOut.Scope.MARKETING,
                            "Meta 131050: the user stopped marketing messages", OptOut.Source.META)
    return added


def optouts_export(*, optouts: QuerySet) -> str:
    """The opt-outs as CSV (address, scope, reason, source, created_at)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for optout in optouts.order_by("address"):
        writer.writerow([optout.address, optout.scope, optout.reason, optout.source, optout.created_at.isoformat()])
    return out.getvalue()


def optouts_import(*, app: App, text: str) -> tuple[int, list[str]]:
    """Import a CSV of opt-outs (`address` column, optional `scope` and `reason`); returns (added, problems).

    Nothing is stored when any row is wrong: each problem names its line and field.
    """
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or "address" not in rows[0]:
        return 0, ["line 1: the first line names the columns and one of them is address"]
    problems, clean = [], []
    for line, row in enumerate(rows, start=2):
        scope = (row.get("scope") or OptOut.Scope.ALL).strip().lower()
        try:
            if scope not in OptOut.Scope.values:
                raise OptOutError(f"must be one of {', '.join(OptOut.Scope.values)}", field="scope")
            clean.append((optout_address(row.get("address")), scope, (row.get("reason") or "").strip()[:255]))
        except OptOutError as error:
            problems.append(f"line {line}: {error.message}")
    if problems:
        return 0, problems
    added = 0
    with transaction.atomic():
        for address, scope, reason in clean:
            added += int(optout_create(app=app, address=address, scope=scope, reason=reason,
                                       source=OptOut.Source.IMPORT)[1])
    return added, []
