"""The simulator's in-memory world and the operations on it. Handlers parse HTTP and call these; the bodies of the
webhooks it schedules are shaped in webhook_events.py.

Everything here runs on the server's event loop thread only, so no locks are needed.
"""

import base64
import hashlib
import itertools
import os
import random
import re
import time
from collections import Counter, OrderedDict, deque
from typing import Any
from urllib.parse import urlsplit

from .config import BusinessAccount, PhoneNumber, SimulatorConfig
from .errors import MetaError, invalid_parameter, unknown_object
from .limits import TokenBuckets
from .marketing import MESSAGES, marketing_route
from .message_templates import Template, TemplateStore
from .sends import MediaRef, ParsedSend, parse_read_receipt, parse_send, recipient_digits
from .webhook_events import (
    inbound_message_fields,
    inbound_value,
    number_metadata,
    status_value,
    template_category_value,
    template_status_value,
    user_id,
)
from .webhooks import WebhookDispatcher

MEDIA_RULES: dict[str, tuple[tuple[str, ...], int]] = {
    "image": (("image/jpeg", "image/png"), 5 * 1024 * 1024),
    "video": (("video/mp4", "video/3gpp"), 16 * 1024 * 1024),
    "audio": (("audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"), 16 * 1024 * 1024),
    "document": (
        ("text/plain", "application/pdf", "application/msword", "application/vnd.ms-excel",
         "application/vnd.ms-powerpoint",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        100 * 1024 * 1024,
    ),
    "sticker": (("image/webp",), 500 * 1024),
}
MAX_STORED_MEDIA = 10_000
MESSAGE_FILTERS = ("to", "phone_number_id", "type", "template", "language", "status", "wamid", "endpoint")


class SimulatorState:
    def __init__(self, config: SimulatorConfig):
        self.initial_config = config
        self.webhooks = WebhookDispatcher(lambda: self.config)
        self._wamid_nonce = os.urandom(6).hex()  # never seeded: wamids stay unique across restarts
        self._wamid_counter = itertools.count(1)
        self._media_ids = itertools.count(int(time.time() * 1000) % 10**12 * 1000)
        self._apply_config(config)
        self._fresh_world()

    # ------------------------------------------------------------------ setup
    def _apply_config(self, config: SimulatorConfig) -> None:
        self.version_pattern = re.compile(config.api_version_pattern)  # before the swap: a bad one changes nothing
        self.config = config
        self.rng = random.Random(config.seed)
        self.throughput = TokenBuckets(capacity=config.throughput_mps, rate=config.throughput_mps)
        self.pairs = TokenBuckets(
            capacity=config.pair_limit, rate=config.pair_limit / max(config.pair_window_seconds, 1e-9)
        )

    def _fresh_world(self) -> None:
        self.messages: deque[dict] = deque(maxlen=self.config.max_recorded_messages)
        # Every send request as it arrived, answered or not: when it reached us, to whom, what we answered.
        self.arrivals: deque[dict] = deque(maxlen=self.config.max_recorded_messages)
        self.counters: Counter = Counter()
        self.error_codes: Counter = Counter()
        self.media: OrderedDict[str, dict] = OrderedDict()
        self.templates = TemplateStore(self.config.business_account_id)
        self.started_at = time.time()
        self.last_inbound: dict[tuple[str, str], float] = {}  # (phone number id, user digits) -> when they wrote

    def reset(self) -> None:
        """Back to the start-up config with an empty world (seeded templates, no messages, no media)."""
        self.webhooks.clear()
        self._apply_config(self.initial_config)
        self._fresh_world()

    def configure(self, changes: dict[str, Any]) -> SimulatorConfig:
        """Apply run-time changes (PATCH /_sim/config); raises ValueError on a bad option."""
        config = self.config.with_changes(changes)
        rng_state = self.rng.getstate()
        self._apply_config(config)
        if "seed" not in changes:
            self.rng.setstate(rng_state)  # changing latency must not replay the fault sequence
        return config

    # ------------------------------------------------------------------ identity
    def check_token(self, authorization: str | None, query_token: str | None, *, management: bool = False) -> None:
        token = query_token or ""
        if authorization and authorization.startswith("Bearer "):
            token = authorization[len("Bearer "):].strip()
        if token in self.config.expired_tokens:
            raise MetaError(
                190, "Session has expired", subcode=463,
                message="Error validating access token: Session has expired. The access token has expired.",
            )
        if not token or token not in self.config.access_tokens:
            raise MetaError(
                190, "Invalid OAuth access token", message="Invalid OAuth access token - Cannot parse access token"
            )
        if token in self.config.forbidden_tokens:
            if management:
                raise MetaError(200, "Requires whatsapp_business_management permission to manage the object")
            raise MetaError(10, "Application does not have permission for this action")

    def check_version(self, version: str) -> None:
        if not self.version_pattern.fullmatch(version):
            raise invalid_parameter(f"Unknown Graph API version: {version}")

    def phone_number(self, phone_number_id: str) -> tuple[BusinessAccount, PhoneNumber]:
        found = self.config.phone_number(phone_number_id)
        if not found:
            raise unknown_object(phone_number_id, "post")
        return found

    def business_account(self, waba_id: str, method: str) -> BusinessAccount:
        account = self.config.business_account(waba_id)
        if not account:
            raise unknown_object(waba_id, method)
        return account

    # ------------------------------------------------------------------ sends
    def send_message(self, phone_number_id: str, payload: object, *, endpoint: str = MESSAGES) -> dict:
        """Accept one message (returns Meta's success body) or raise the MetaError Meta would answer."""
        account, number = self.phone_number(phone_number_id)
        if isinstance(payload, dict) and "status" in payload and "type" not in payload:
            # Mark as read (and typing indicator) share the messages endpoint but send nothing.
            parse_read_receipt(payload)
            self.counters["marked_read"] += 1
            return {"success": True}
        self.counters["send_requests"] += 1
        mps = number.throughput_mps or self.config.throughput_mps
        if not self.throughput.take(phone_number_id, capacity=mps, rate=mps):
            raise MetaError(130429, f"Message throughput of {mps:g} messages per second reached for this number")
        send = parse_send(payload, waba_id=account.id, templates=self.templates)
        route = marketing_route(payload, send, number, endpoint=endpoint)
        self._check_recipient(send, number)
        async_failure = self._check_media(send)
        if not self.pairs.take((phone_number_id, send.wa_id or send.user_id)):
            raise MetaError(131056)
        wamid = self._new_wamid(send.wa_id or send.user_id)
        record = {
            "wamid": wamid, "to": send.to, "wa_id": send.wa_id, "user_id": send.user_id or user_id(send.wa_id),
            "username": self._username(send),
            "type": send.type, "template": send.template,
            "language": send.language, "phone_number_id": phone_number_id, "waba_id": account.id,
            "payload": payload, "received_at": time.time(), "status": "accepted", **route,
        }
        self.messages.append(record)
        self.counters["accepted"] += 1
        self._schedule_statuses(record, send, account, number, async_failure)
        answer = {
            "messaging_product": "whatsapp",
            # A send to a user id is answered with it, and no number.
            "contacts": [{"input": send.to, "user_id": send.user_id} if send.user_id
                         else {"input": send.to, "wa_id": send.wa_id}],
            "messages": [{"id": wamid}],
        }
        if send.type == "template":
            answer["messages"][0]["message_status"] = "accepted"
        return answer

    def _window_open(self, send: ParsedSend, number: PhoneNumber) -> bool:
        digits = send.wa_id or next(
            (d for (n, d) in self.last_inbound if n == number.id and user_id(d) == send.user_id), ""
        )
        wrote_at = self.last_inbound.get((number.id, digits))
        return wrote_at is not None and time.time() - wrote_at < self.config.service_window_hours * 3600

    def _username(self, send: ParsedSend) -> str:
        if send.wa_id:
            return self.config.usernames.get(send.wa_id, "")
        return next((name for digits, name in self.config.usernames.items() if user_id(digits) == send.user_id), "")

    def _check_recipient(self, send: ParsedSend, number: PhoneNumber) -> None:
        if self.config.service_window and send.type != "template" and not self._window_open(send, number):
            raise MetaError(131047, "Message failed to send because more than 24 hours have passed since the "
                                    "customer last replied to this number.")
        if send.user_id:
            return  # any well-formed user id names a user; the number checks below are for numbers
        if send.wa_id == number.display_phone_number:
            raise MetaError(131021, "Recipient cannot be the sender")
        code = self.config.recipient_errors.get(send.wa_id)
        if code is not None:
            raise MetaError(code)
        allowed = self.config.allowed_recipients
        if allowed is not None and send.wa_id not in allowed:
            raise MetaError(131030, f"Recipient phone number ({send.wa_id}) not in allowed list")

    def _check_media(self, send: ParsedSend) -> MetaError | None:
        """Raise 131053 for unusable media (sync mode) or return it to fail the message later (async mode)."""
        for ref in send.media:
            problem = self._media_problem(ref)
            if problem:
                error = MetaError(131053, problem)
                if self.config.media_failure_mode == "async":
                    return error
                raise error
        return None

    def _media_problem(self, ref: MediaRef) -> str | None:
        if ref.media_id is not None:
            if ref.media_id not in self.media:
                return f"Media id ({ref.media_id}) could not be found"
            return None
        link = ref.link or ""
        parts = urlsplit(link)
        where = f"{parts.hostname or ''}{parts.path}".lower()
        if link in self.config.failing_media_links or any(word in where for word in self.config.failing_media_words):
            return f"Media could not be downloaded from {link}"
        return None

    def _new_wamid(self, wa_id: str) -> str:
        raw = f"{wa_id}:{self._wamid_nonce}:{next(self._wamid_counter):x}".encode()
        return "wamid." + base64.b64encode(raw).decode().rstrip("=")

    def _schedule_statuses(self, record, send: ParsedSend, account, number, failure: MetaError | None) -> None:
        delays = self.config.status_delays_s
        code = self.config.failed_recipients.get(send.wa_id)
        if failure is None and code is not None:
            failure = MetaError(code)
        if failure is None and self.config.failure_rate and self.rng.random() < self.config.failure_rate:
            failure = MetaError(self.config.failure_code)
        metadata = number_metadata(number)
        category = (send.category or "service").lower()
        # Meta does not charge a utility template to someone inside their 24-hour customer-service window.
        free = category == "service" or (category == "utility" and self._window_open(send, number))
        tracker = record["payload"].get("biz_opaque_callback_data")

        def status_event(status: str, error: MetaError | None = None):
            def apply():
                record["status"] = status
                self.counters[f"status_{status}"] += 1
                value = status_value(record, status, metadata=metadata, category=category, tracker=tracker,
                                     error=error, free=free)
                # Statuses of one number may share a POST; inbound messages never share theirs.
                return account.id, "messages", f"statuses:{number.id}", value
            return apply

        if failure is not None:
            self.webhooks.schedule(delays.get("sent", 0.0), status_event("failed", failure))
            return
        for status in ("sent", "delivered", "read"):
            if status in delays:
                self.webhooks.schedule(delays[status], status_event(status))

    # ------------------------------------------------------------------ inbound
    def inbound_message(self, data: dict) -> dict:
        """Queue an inbound user message webhook (POST /_sim/inbound); returns its wamid."""
        phone_number_id = str(data.get("phone_number_id") or self.config.phone_number_id)
        account, number = self.phone_number(phone_number_id)
        sender = recipient_digits(str(data.get("from", "")))
        wamid = self._new_wamid(sender)
        self.last_inbound[(number.id, sender)] = time.time()
        username = self.config.usernames.get(sender, "")
        # A user with a username comes by their user id alone; the others by number (and user id).
        message = {"from_user_id": user_id(sender)} if username else {"from": sender, "from_user_id": user_id(sender)}
        message.update({"id": wamid, "timestamp": str(int(time.time()))})
        message.update(inbound_message_fields(data, self._next_media_id))
        context = data.get("context_wamid")
        if not context and message["type"] in ("button", "interactive"):
            # A tap always answers a message the business sent: the last one to this user, as a user would.
            context = self._last_wamid_to(sender) or self._new_wamid(number.display_phone_number)
        if context:
            message["context"] = {"from": number.display_phone_number, "id": context}
        value = inbound_value(number, sender=sender, name=str(data.get("name", "Test User")), message=message,
                              username=username)
        self.webhooks.schedule(0.0, lambda: (account.id, "messages", f"inbound:{wamid}", value))
        self.counters["inbound"] += 1
        return {"id": wamid}

    def _last_wamid_to(self, wa_id: str) -> str | None:
        return next((record["wamid"] for record in reversed(self.messages)
                     if wa_id in (record["wa_id"], record.get("user_id"))), None)

    def _next_media_id(self) -> str:
        return str(next(self._media_ids))

    # ------------------------------------------------------------------ media
    def upload_media(self, phone_number_id: str, *, messaging_product: str | None, mime_type: str | None,
                     content: bytes | None) -> dict:
        self.phone_number(phone_number_id)
        if messaging_product != "whatsapp":
            raise invalid_parameter("The parameter messaging_product is required and must be 'whatsapp'.")
        if content is None:
            raise invalid_parameter("The parameter file is required.")
        if not mime_type:
            raise invalid_parameter("The parameter type is required.")
        kind = next((kind for kind, (types, _) in MEDIA_RULES.items() if mime_type in types), None)
        if kind is None:
            raise MetaError(131053, f"Param file must be a file with one of the supported types, got {mime_type}")
        if len(content) > MEDIA_RULES[kind][1] or not content:
            raise MetaError(131053, f"{kind} files must be between 1 byte and {MEDIA_RULES[kind][1]} bytes")
        media_id = self._next_media_id()
        self.media[media_id] = {
            "id": media_id, "mime_type": mime_type, "file_size": len(content), "messaging_product": "whatsapp",
            "sha256": hashlib.sha256(content).hexdigest(), "phone_number_id": phone_number_id,
        }
        while len(self.media) > MAX_STORED_MEDIA:
            self.media.popitem(last=False)
        self.counters["media_uploaded"] += 1
        return {"id": media_id}

    # ------------------------------------------------------------------ templates
    def create_template(self, waba_id: str, payload: dict) -> dict:
        self.business_account(waba_id, "post")
        template = self.templates.create(waba_id=waba_id, payload=payload)
        self.counters["templates_created"] += 1
        rejected = any(word in template.name for word in self.config.template_reject_words)
        outcome = ("REJECTED", "INVALID_FORMAT") if rejected else ("APPROVED", "NONE")
        self.webhooks.schedule(self.config.template_approval_delay_s, self._template_event(template, *outcome))
        return {"id": template.id, "status": template.status, "category": template.category}

    def set_template_status(self, template: Template, status: str, reason: str = "NONE") -> None:
        """Change a template's status now (a send right after sees it); the webhook follows on the next flush."""
        outcome = self._template_event(template, status, reason)()
        if outcome is not None:
            self.webhooks.schedule(0.0, lambda: outcome)

    def set_template_category(self, template: Template, category: str) -> None:
        """Recategorise a template now, as Meta's review does, and send `template_category_update`."""
        previous, template.category = template.category, category
        template.previous_category = previous
        value = template_category_value(template, previous)
        key = f"template:{next(self._wamid_counter)}"
        self.webhooks.schedule(0.0, lambda: (template.waba_id, "template_category_update", key, value))

    def _template_event(self, template: Template, status: str, reason: str):
        def apply():
            if template.id not in self.templates.templates:
                return None  # deleted while waiting for review
            template.status = status
            template.rejected_reason = reason if status == "REJECTED" else "NONE"
            if status == "APPROVED" and template.quality == "UNKNOWN":
                template.quality = "GREEN"
            self.counters[f"template_{status.lower()}"] += 1
            value = template_status_value(template, status, reason)
            return template.waba_id, "message_template_status_update", f"template:{next(self._wamid_counter)}", value
        return apply

    # ------------------------------------------------------------------ control views
    def arrival_record(self, method: str, path: str) -> dict | None:
        """Note a send request (POST …/messages) the moment it arrives, before any latency; None for others."""
        if method != "POST" or not path.endswith("/messages"):
            return None
        arrival = {"at": time.time(), "to": None, "status": None}
        self.arrivals.append(arrival)
        return arrival

    def query_messages(self, filters: dict[str, str], limit: int = 0) -> tuple[int, list[dict]]:
        """(number of matches, the last `limit` matches in arrival order; all of them when limit is 0)."""
        wanted = {key: value for key, value in filters.items() if key in MESSAGE_FILTERS and value}
        if "to" in wanted:
            wanted["to"] = wanted["to"].lstrip("+")
        matches = [
            record for record in self.messages
            if all(value in (record["wa_id"], record.get("user_id")) if key == "to" else record.get(key) == value
                   for key, value in wanted.items())
        ]
        return len(matches), matches[-limit:] if limit else matches

    def stats(self) -> dict:
        return {
            "uptime_s": round(time.time() - self.started_at, 3),
            "messages_recorded": len(self.messages),
            "counters": dict(self.counters),
            "errors_by_code": {str(code): count for code, count in self.error_codes.items()},
            "webhooks": {**self.webhooks.stats, "pending_events": self.webhooks.pending},
            "media_stored": len(self.media),
            "templates": len(self.templates.templates),
        }

    def housekeeping(self) -> None:
        """Periodic: drop rate-limit buckets that are full again, so memory does not grow with recipients."""
        self.pairs.forget_full()
        self.throughput.forget_full()

