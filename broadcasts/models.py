"""Sessions, their broadcasts (one per recipient) and the log of every attempt and status event."""

import uuid

from django.db import models
from django.db.models import Q

from transports.errors import ErrorCategory
from transports.models import Transport
from whatsapp_gateway.models import App


class Session(models.Model):
    """One send request: one transport, one message, N recipients."""

    class Status(models.TextChoices):
        NEW = "NEW"
        PENDING = "PENDING"
        COMPLETED = "COMPLETED"
        FAILED = "FAILED"
        CANCELLED = "CANCELLED"
        PAUSED = "PAUSED"
        # Waiting for its send_at: the due-sessions check (beat) starts it then.
        SCHEDULED = "SCHEDULED"

    # Sessions workers move: the one list every module reads (PAUSED waits for a resume).
    RUNNING = (Status.NEW, Status.PENDING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="sessions")
    transport = models.ForeignKey(Transport, on_delete=models.PROTECT, related_name="sessions")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    message = models.JSONField(default=dict, help_text="{content, meta}: template name, language, parameters…")
    total = models.PositiveIntegerField(default=0)
    stats = models.JSONField(default=dict, blank=True, help_text="Counts by status, kept when data is purged.")
    error = models.TextField(blank=True, default="", help_text="Why the session stopped, failed or was paused.")

    class PauseReason(models.TextChoices):
        NONE = "", "Not paused"
        OPERATOR = "operator", "By an operator"
        TEMPLATE = "template", "Meta paused or disabled its template"
        CATEGORY = "category", "Meta moved its template to MARKETING"
        HEALTH = "health", "Meta's health status of its number or template is BLOCKED"

    pause_reason = models.CharField(
        max_length=10, choices=PauseReason.choices, blank=True, default=PauseReason.NONE,
        help_text="Who paused it: a session paused for its template resumes when the template is approved again.",
    )
    send_at = models.DateTimeField(
        null=True, blank=True, help_text="When the session starts; it is SCHEDULED until then. Empty: at once."
    )
    send_window = models.JSONField(
        null=True, blank=True,
        help_text='{"start": "09:00", "end": "20:00", "time_zone": "Europe/Madrid"}: it sends only then.',
    )
    waiting_until = models.DateTimeField(
        null=True, blank=True,
        help_text="Outside its send window: the window's next opening, when the due-sessions check wakes it.",
    )
    waiting_reason = models.CharField(
        max_length=24, blank=True, default="",
        help_text="What `waiting_until` waits for: outside_send_window, or messaging_limit (Meta's unique "
        "recipients in 24 hours are used up: the rest wait, QUEUED, until the window allows them).",
    )
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True, default="")
    is_test = models.BooleanField(
        default=False, help_text="One test message sent from the admin, send_test_message or smoke_test."
    )
    retargeted_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retargets",
        help_text="The session whose recipients (in chosen statuses) this one was created for.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    cost_basis = models.JSONField(
        default=dict, blank=True,
        help_text="What its estimated cost is priced from (broadcasts/services/costs.py): the template category and, "
        "per recipient country, the recipients and those inside a free 24-hour window when it was created.",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["app", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="session_unique_idempotency_key_per_app",
            )
        ]
        indexes = [
            models.Index(fields=["app", "-created_at"]),
            models.Index(fields=["status", "updated_at"]),
            models.Index(fields=["status", "send_at"], name="session_status_send_at_idx"),
            models.Index(fields=["status", "waiting_until"], name="session_status_waiting_idx"),
        ]

    def __str__(self) -> str:
        return f"Session {self.id}"


# Lost with a dying worker a second time in a row: maybe what kills workers, so it is sent alone (sweeper.py).
LOST_AGAIN = "in-flight-lost-again"


class Broadcast(models.Model):
    """The message to one recipient within a session."""

    class Status(models.TextChoices):
        QUEUED = "QUEUED"
        SENDING = "SENDING"
        SENT = "SENT"
        DELIVERED = "DELIVERED"
        READ = "READ"
        FAILED = "FAILED"
        CANCELLED = "CANCELLED"
        # Sent, but no answer came in time: Meta may have it. Not resent by default; its status
        # webhook (matched by biz_opaque_callback_data) says what became of it.
        UNKNOWN = "UNKNOWN"
        # Never sent: the recipient is on the app's opt-out list (for this kind of message).
        SUPPRESSED = "SUPPRESSED"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="broadcasts")
    address = models.CharField(max_length=64, help_text="Normalized: E.164 digits for phone transports.")
    params = models.JSONField(default=dict, blank=True)
    reference = models.CharField(
        max_length=128, blank=True, default="",
        help_text="The integrator's own id for this message (e.g. an order number): in every answer and callback.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="Retry not before this time.")
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When a worker took it to send.")
    # Not unique: Meta's wamids are, but a generic API transport's provider may repeat an id (a batch id).
    wamid = models.CharField(max_length=200, null=True, blank=True, db_index=True)
    message_status = models.CharField(
        max_length=40, blank=True, default="",
        help_text="What Meta's answer said of the accepted send: accepted, held_for_quality_assessment (Meta holds "
        "it while it checks the message; it is not stuck), paused.",
    )
    error_code = models.CharField(max_length=32, blank=True, default="")
    error_title = models.CharField(max_length=255, blank=True, default="")
    error_category = models.CharField(
        max_length=10, blank=True, default="", choices=ErrorCategory.choices,
        help_text="How its last failure was read; empty when none.",
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    # Meta's pricing of the message, from the first status webhook that carried it (counted once).
    pricing_billable = models.BooleanField(null=True, blank=True, help_text="Empty until a status carries pricing.")
    pricing_category = models.CharField(max_length=32, blank=True, default="", help_text="e.g. marketing, utility.")
    pricing_type = models.CharField(
        max_length=32, blank=True, default="", help_text="regular, free_customer_service or free_entry_point."
    )
    cost = models.DecimalField(
        max_digits=12, decimal_places=6, null=True, blank=True,
        help_text="What Meta charges for it at the app's rate card (0 when not billable).",
    )
    cost_country = models.CharField(
        max_length=8, blank=True, default="", help_text="The country it was priced for; empty for a user id."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        # Operators with it see full phone numbers in the admin; everyone else sees them masked.
        permissions = [("view_personal_data", "Can view personal data (full phone numbers)")]
        indexes = [
            # A claim reads the session's first QUEUED rows by id straight from this index: its cost stays the
            # batch's, however many are queued (with (session, status) alone it sorted them all).
            models.Index(fields=["session", "status", "id"], name="broadcast_session_status_idx"),
            # Rows lost with a dying worker twice, looked for before every claim: almost always none.
            models.Index(fields=["session"], name="broadcast_lost_again_idx", condition=Q(error_code=LOST_AGAIN)),
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["address"]),
            models.Index(fields=["reference"], name="broadcast_reference_idx", condition=~Q(reference="")),
        ]

    def __str__(self) -> str:
        return f"Broadcast {self.pk}"


class BroadcastLog(models.Model):
    """One row per attempt and per status event: a message's history reads from its logs alone."""

    class Kind(models.TextChoices):
        ATTEMPT = "ATTEMPT"
        STATUS = "STATUS"
        NOTE = "NOTE"

    broadcast = models.ForeignKey(Broadcast, on_delete=models.CASCADE, related_name="logs")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="logs")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, blank=True, default="")
    attempt = models.PositiveSmallIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True, default="")
    request = models.JSONField(null=True, blank=True, help_text="Redacted: no secrets.")
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, default="", help_text="Excerpt, redacted.")
    error_code = models.CharField(max_length=32, blank=True, default="")
    error_title = models.CharField(max_length=255, blank=True, default="")
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    message = models.TextField(blank=True, default="")
    requested_at = models.DateTimeField(
        null=True, blank=True, help_text="When the attempt's request left the gateway (to the millisecond)."
    )
    event_at = models.DateTimeField(null=True, blank=True, help_text="When Meta says the status happened.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["broadcast", "id"]),
            models.Index(fields=["session", "kind"]),
            models.Index(fields=["created_at"]),
        ]
        constraints = [
            # Webhook replays are harmless: one status event per (broadcast, status).
            models.UniqueConstraint(
                fields=["broadcast", "status"], condition=Q(kind="STATUS"), name="log_one_status_event_each"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.status} #{self.attempt}"


class TransportPace(models.Model):
    """The next free sending slot of a transport, shared by every worker: its rate limit lives here."""

    transport = models.OneToOneField(Transport, on_delete=models.CASCADE, primary_key=True, related_name="pace")
    next_slot = models.FloatField(default=0.0, help_text="Unix time of the next free slot.")
    effective_rate = models.FloatField(
        null=True, blank=True,
        help_text="Messages per second while Meta throttles (halved on each throttle, back up by 5% of the "
        "transport's rate per second); empty means the transport's own rate.",
    )
    rate_changed_at = models.FloatField(default=0.0, help_text="Unix time effective_rate was last worked out.")
    throttled_at = models.FloatField(default=0.0, help_text="Unix time of the last decrease.")
    # The circuit breaker: a transport whose requests keep failing on Meta's side pauses itself.
    failures_in_row = models.PositiveIntegerField(
        default=0, help_text="Server-side failures (5xx, no answer) since the last success."
    )
    circuit_open_until = models.FloatField(
        default=0.0, help_text="Unix time until which nothing is sent (the circuit is open); then one probe."
    )
    circuit_trips = models.PositiveSmallIntegerField(
        default=0, help_text="Times the circuit opened since the last success: each doubles the wait."
    )

    def __str__(self) -> str:
        return f"Pace of transport {self.transport_id}"


class MessagingAllowance(models.Model):
    """A business portfolio's messaging-limit allowance as last counted, spent batch by batch until counted again.

    Saves the count of the last 24 hours' unique recipients on every batch while far from the limit: what is
    claimed is taken off (as if every row were a new recipient), and near the limit, or after a short while,
    it is counted again (broadcasts/services/limit_wait.py).
    """

    portfolio = models.CharField(max_length=100, unique=True, help_text="<app id>:<WABA id>.")
    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="+")
    limit = models.PositiveIntegerField(help_text="The messaging limit it was counted against.")
    remaining = models.IntegerField(help_text="New recipients the portfolio may still start within 24 hours.")
    counted_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Messaging allowance of {self.portfolio}"


class WebhookEvent(models.Model):
    """One signed delivery from Meta, stored raw before any processing so Meta gets its 200 at once.

    Processing is idempotent, so an event is safe to process again; `next_attempt_at` doubles
    as the processing lease (a worker that dies mid-way is retried once the lease runs out).
    """

    class State(models.TextChoices):
        PENDING = "PENDING", "Pending (new, or waiting for a wamid the sender has not stored yet)"
        PROCESSED = "PROCESSED"
        UNMATCHED = "UNMATCHED", "Unmatched (gave up on statuses for unknown wamids)"
        FAILED = "FAILED", "Failed (processing kept raising)"

    transport = models.ForeignKey(Transport, on_delete=models.CASCADE, related_name="webhook_events")
    received_at = models.DateTimeField(auto_now_add=True)
    body_sha256 = models.CharField(max_length=64, help_text="Meta redelivers identical bodies; stored once.")
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="Not processed again before this.")
    processed_at = models.DateTimeField(null=True, blank=True)
    unmatched = models.JSONField(
        default=list, blank=True, help_text="Status items whose wamid no broadcast of this app carries (yet)."
    )
    summary = models.JSONField(default=dict, blank=True, help_text="What processing did, counted by kind.")
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["transport", "body_sha256"], name="webhook_event_unique_body")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="webhook_event_state_next_idx")]

    def __str__(self) -> str:
        return f"Webhook event {self.pk} ({self.state})"


class InboundMessage(models.Model):
    """A message a user sent to one of our numbers: it opens the 24-hour window for free-form replies."""

    transport = models.ForeignKey(Transport, on_delete=models.CASCADE, related_name="inbound_messages")
    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="inbound_messages")
    wa_id = models.CharField(
        max_length=64,
        help_text="The sender's WhatsApp id: E.164 digits, no '+'; their user id when Meta gives no number.",
    )
    user_id = models.CharField(
        max_length=64, blank=True, default="", help_text="The sender's business-scoped user id (BSUID), if given."
    )
    username = models.CharField(max_length=64, blank=True, default="", help_text="The sender's WhatsApp username.")
    profile_name = models.CharField(max_length=255, blank=True, default="")
    message_id = models.CharField(max_length=200, unique=True, help_text="Meta's wamid of the inbound message.")
    type = models.CharField(max_length=32, blank=True, default="")
    text = models.TextField(blank=True, default="", help_text="The text body, or a short summary of other types.")
    timestamp = models.DateTimeField(help_text="When the user sent it, per Meta.")
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-timestamp"]
        indexes = [
            models.Index(fields=["transport", "wa_id", "-timestamp"], name="inbound_transport_waid_ts_idx"),
            models.Index(fields=["transport", "user_id", "-timestamp"], name="inbound_transport_user_ts_idx"),
        ]

    def __str__(self) -> str:
        return f"Inbound {self.type} {self.message_id}"


class Erasure(models.Model):
    """A record that one person's data was erased from an app, on request; it never holds the number."""

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="erasures")
    erased_at = models.DateTimeField(auto_now_add=True)
    requested_by = models.CharField(max_length=150, blank=True, default="", help_text="API, or the command's user.")
    counts = models.JSONField(default=dict, blank=True, help_text="Rows changed or deleted, by kind.")

    class Meta:
        ordering = ["-erased_at"]

    def __str__(self) -> str:
        return f"Erasure {self.pk} ({self.app})"


class OptOut(models.Model):
    """A recipient of one app that no session sends to: marketing templates only, or anything at all."""

    class Scope(models.TextChoices):
        MARKETING = "marketing", "Marketing templates"
        ALL = "all", "Every message"

    class Source(models.TextChoices):
        API = "api", "The API"
        ADMIN = "admin", "The admin"
        IMPORT = "import", "A CSV import"
        KEYWORD = "keyword", "An inbound STOP keyword"
        BUTTON = "button", "An opt-out button (quick-reply payload)"
        META = "meta", "Meta's error 131050 (the user stopped marketing messages)"

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="opt_outs")
    address = models.CharField(max_length=64, help_text="Normalized as broadcasts are: E.164 digits, or a BSUID.")
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.ALL)
    reason = models.CharField(max_length=255, blank=True, default="")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.API)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["app", "address"], name="optout_unique_address_per_app")]

    def __str__(self) -> str:
        return f"Opt-out {self.pk} ({self.scope})"


from broadcasts.cost_models import CostDaily, RateCard  # noqa: E402,F401 — the app's models, split along a seam
