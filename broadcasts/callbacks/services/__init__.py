"""Callback services: endpoints (endpoints.py), the outbox (events.py), signing and delivery (delivery.py)."""
