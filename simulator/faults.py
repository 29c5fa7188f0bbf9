"""Faults on demand: what to do to one Graph API request, decided with the simulator's seeded RNG."""

import random
from dataclasses import dataclass

from .config import SimulatorConfig


@dataclass(frozen=True)
class FaultPlan:
    latency_s: float = 0.0
    action: str | None = None  # None, "drop", "timeout" or "server_error"


def plan_faults(config: SimulatorConfig, rng: random.Random) -> FaultPlan:
    """One decision per request; with a fixed seed the same sequence of requests meets the same faults."""
    latency_ms = config.latency_ms
    if config.latency_jitter_ms:
        latency_ms += rng.uniform(-config.latency_jitter_ms, config.latency_jitter_ms)
    action = None
    # Draw each rate only when it is set, so enabling one fault does not shift the others' sequence needlessly.
    if config.drop_rate and rng.random() < config.drop_rate:
        action = "drop"
    elif config.timeout_rate and rng.random() < config.timeout_rate:
        action = "timeout"
    elif config.server_error_rate and rng.random() < config.server_error_rate:
        action = "server_error"
    return FaultPlan(latency_s=max(0.0, latency_ms) / 1000, action=action)
