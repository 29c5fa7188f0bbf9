"""Meta's webhook endpoints: signature-authenticated, thin (verify, store, enqueue)."""
