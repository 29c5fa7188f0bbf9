"""A transport's sending defaults and their bounds, in one place: the config schema, the model, the
WhatsApp preset and the API's shorthand serializer all read them here."""

MAX_ATTEMPTS = 3
MAX_ATTEMPTS_MIN, MAX_ATTEMPTS_MAX = 1, 20

# Seconds after a message's first attempt during which its transient failures keep being retried, past
# maxAttempts if need be: with the WhatsApp preset's 3 attempts, a 15-minute outage of Meta's fails nothing.
# A generic API transport has no window unless its config sets one (maxAttempts alone decides).
RETRY_WINDOW = 900
RETRY_WINDOW_MIN, RETRY_WINDOW_MAX = 0, 86400

RATE_LIMIT = 80  # messages per second: Meta's default per-number throughput tier
RATE_LIMIT_MIN, RATE_LIMIT_MAX = 0.01, 10000  # at the floor, one message every 100 seconds

CONCURRENCY = 100  # requests in flight per worker
CONCURRENCY_MIN, CONCURRENCY_MAX = 1, 1000

TIMEOUTS = {"connect": 5, "read": 15}  # seconds
TIMEOUT_MIN = 0.1
TIMEOUT_MAX = {"connect": 60, "read": 300}
