"""The gateway's own behaviour: sending, webhooks, callbacks, templates and privacy, read from the environment.

Star-imported by whatsapp_gateway/settings.py (after it has read `.env`), so Django sees these as settings
and the framework's settings stay apart from the product's. `.env.example` lists every variable.
"""

import environ

env = environ.Env()

# --- Sending -------------------------------------------------------------------------------
BATCH_SIZE = env.int("BATCH_SIZE", default=100)
BATCH_DELAY = env.float("BATCH_DELAY", default=0.0)
MAX_RECIPIENTS_PER_SESSION = env.int("MAX_RECIPIENTS_PER_SESSION", default=100_000)
# A 100,000-recipient request body is a few MB of JSON.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_REQUEST_BYTES", default=20 * 1024 * 1024)
# Batch chains working on one session at once (more workers help big sessions, up to this).
SESSION_PARALLELISM = env.int("SESSION_PARALLELISM", default=4)
# Retries: exponential backoff from RETRY_BACKOFF_BASE seconds, capped, with jitter.
RETRY_BACKOFF_BASE = env.float("RETRY_BACKOFF_BASE", default=2.0)
RETRY_BACKOFF_MAX = env.float("RETRY_BACKOFF_MAX", default=300.0)
# A session waits in its task chain for retries due within this many seconds; later ones are swept.
RETRY_CHAIN_MAX_WAIT = env.float("RETRY_CHAIN_MAX_WAIT", default=30.0)
# A worker claims a batch only when the transport has less than this many seconds of sends reserved, and
# a batch holds at most this many seconds of the transport's rate, so a slow transport never ties up workers.
PACE_HORIZON_SECONDS = env.float("PACE_HORIZON_SECONDS", default=1.0)
# After Meta's throughput error the transport pauses this long before its next send.
THROTTLE_HOLD_SECONDS = env.float("THROTTLE_HOLD_SECONDS", default=1.0)
# The circuit breaker: after this many server-side failures in a row (5xx, no answer) a transport sends
# nothing for CIRCUIT_PROBE_AFTER seconds, then probes with one message; each failed probe doubles the
# wait, up to CIRCUIT_PROBE_MAX. Failures while it is open never count toward maxAttempts.
CIRCUIT_FAILURES = env.int("CIRCUIT_FAILURES", default=20)
CIRCUIT_PROBE_AFTER = env.float("CIRCUIT_PROBE_AFTER", default=15.0)
CIRCUIT_PROBE_MAX = env.float("CIRCUIT_PROBE_MAX", default=300.0)
# A broadcast claimed this long ago without an outcome belonged to a worker that died.
CLAIM_LEASE_SECONDS = env.int("CLAIM_LEASE_SECONDS", default=180)
# The sweeper runs this often and resumes sessions nobody moved for SWEEPER_STALE_AFTER seconds.
SWEEPER_INTERVAL = env.float("SWEEPER_INTERVAL", default=15.0)
SWEEPER_STALE_AFTER = env.float("SWEEPER_STALE_AFTER", default=60.0)
# Seconds between due-sessions checks (beat): how late at most a session starts after its send_at or window.
SCHEDULE_INTERVAL = env.float("SCHEDULE_INTERVAL", default=5.0)
# Seconds a phone number's or template's health status from Meta is reused before asking again (0: never ask).
HEALTH_CHECK_SECONDS = env.float("HEALTH_CHECK_SECONDS", default=60.0)
# Recipients past the business portfolio's messaging limit (Meta's unique users in a moving 24 hours, read on
# template sync) wait QUEUED until the window allows them; False sends them anyway, and Meta refuses what is past it.
MESSAGING_LIMIT_WAIT = env.bool("MESSAGING_LIMIT_WAIT", default=True)

# --- Webhooks ---------------------------------------------------------------------------------
# Largest webhook body accepted from Meta, in bytes.
WEBHOOK_MAX_BODY_BYTES = env.int("WEBHOOK_MAX_BODY_BYTES", default=4 * 1024 * 1024)
# Seconds a status for an unknown wamid keeps being retried (the send may not be recorded yet).
WEBHOOK_UNMATCHED_WINDOW = env.float("WEBHOOK_UNMATCHED_WINDOW", default=1800.0)
# Backoff between those retries: from WEBHOOK_RETRY_BASE seconds, doubling, capped at WEBHOOK_RETRY_MAX.
WEBHOOK_RETRY_BASE = env.float("WEBHOOK_RETRY_BASE", default=2.0)
WEBHOOK_RETRY_MAX = env.float("WEBHOOK_RETRY_MAX", default=300.0)
# A worker processing an event holds it this long before another may take it over.
WEBHOOK_CLAIM_LEASE_SECONDS = env.float("WEBHOOK_CLAIM_LEASE_SECONDS", default=120.0)

# Callbacks: seconds per POST; backoff (full jitter) from RETRY_BASE s, doubling to 1 h; disabled after failing 3 days.
CALLBACK_TIMEOUT = env.float("CALLBACK_TIMEOUT", default=10.0)
CALLBACK_RETRY_BASE = env.float("CALLBACK_RETRY_BASE", default=10.0)
CALLBACK_GIVE_UP_AFTER = env.float("CALLBACK_GIVE_UP_AFTER", default=3 * 24 * 3600.0)

# --- Templates ------------------------------------------------------------------------------
# Seconds between automatic syncs of every transport's templates from its WABA (0 turns it off).
TEMPLATE_SYNC_INTERVAL = env.float("TEMPLATE_SYNC_INTERVAL", default=900.0)
# Templates asked of Meta per page while syncing.
TEMPLATE_SYNC_PAGE_SIZE = env.int("TEMPLATE_SYNC_PAGE_SIZE", default=100)
# When Meta moves a template to MARKETING, its running sessions pause for an operator to confirm (marketing
# rates and per-user limits apply from then on); False lets them go on sending.
TEMPLATE_RECATEGORISED_PAUSES = env.bool("TEMPLATE_RECATEGORISED_PAUSES", default=True)

# --- Pricing --------------------------------------------------------------------------------
# A JSON or CSV rate card (Meta's price per delivered template by category and country) every app without
# its own card in the admin prices with; empty: the example card shipped in broadcasts/data/rate_card.json.
RATE_CARD_FILE = env.str("RATE_CARD_FILE", default="")

# --- Privacy ----------------------------------------------------------------------------------
# Days personal data is kept (0 keeps it forever): numbers and parameters of broadcasts, request and
# response bodies of their logs (and Meta's raw webhook events), inbound messages. Session stats stay.
RETENTION_BROADCAST_DAYS = env.int("RETENTION_BROADCAST_DAYS", default=90)
RETENTION_LOG_DAYS = env.int("RETENTION_LOG_DAYS", default=90)
RETENTION_INBOUND_DAYS = env.int("RETENTION_INBOUND_DAYS", default=90)
# Rows changed per statement by the purge, so no table is locked for long.
PURGE_BATCH_SIZE = env.int("PURGE_BATCH_SIZE", default=5000)
# Store template parameters in BroadcastLog request and response bodies (off: they are redacted).
LOG_MESSAGE_PARAMETERS = env.bool("LOG_MESSAGE_PARAMETERS", default=False)
