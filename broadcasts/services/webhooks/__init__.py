"""Meta webhooks: verify and store them fast, then apply statuses, inbound messages and template events.

Receiving is cheap on purpose (Meta retries slow or failed deliveries): check the signature,
store the raw body as a `WebhookEvent`, enqueue processing after commit, answer 200.

Processing is idempotent and order-independent, because Meta's signature carries no event id
or timestamp (a replay is always possible) and statuses arrive out of order:

- a broadcast's status only moves up the rank SENDING/QUEUED < SENT < FAILED < DELIVERED < READ,
  so its final status depends on the set of events seen, never on their order. FAILED wins over
  SENT (Meta accepted the message, then could not deliver it); a DELIVERED or READ receipt wins
  over FAILED, because it proves the message arrived. CANCELLED broadcasts never carry a wamid;
  they are left as they are.
- `sent_at`, `delivered_at` and `read_at` are filled from Meta's timestamp when still empty, even
  when the event is too late to change the status; `failed_at` and the error fields are set only
  when FAILED becomes the status.
- one STATUS log per (broadcast, status), enforced by the database (`log_one_status_event_each`).

A status may arrive before the sender has stored the wamid Meta returned, so statuses for
unknown wamids are kept on the event and retried with backoff until
`WEBHOOK_UNMATCHED_WINDOW` seconds after receipt; then the event is marked UNMATCHED (visible
in the admin). Lookups are scoped to the transport's app: a signature proves knowledge of one
tenant's app secret, so it may only touch that tenant's broadcasts and templates. The app, not
the transport, is the scope because Meta sends every number of one Meta app to one callback URL.
"""
