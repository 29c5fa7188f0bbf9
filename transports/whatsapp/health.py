"""Meta's messaging health of a phone number or a template: can it send now (AVAILABLE, LIMITED, BLOCKED), and why."""

from dataclasses import dataclass, field

from transports.graph import graph_request
from transports.models import Transport

AVAILABLE, LIMITED, BLOCKED = "AVAILABLE", "LIMITED", "BLOCKED"


@dataclass(frozen=True)
class Health:
    can_send: str  # AVAILABLE, LIMITED or BLOCKED; "" when Meta could not be asked
    reasons: list[str] = field(default_factory=list)  # Meta's error descriptions, each with its entity and fix

    def describe(self) -> str:
        return f"Meta's health status is {self.can_send}" + (f": {'; '.join(self.reasons)}" if self.reasons else "")


def health_of(*, transport: Transport, node_id: str) -> Health:
    """GET /{node-id}?fields=health_status: the node's worst status over its entities (number, WABA, business…)."""
    answer = graph_request(transport, "GET", node_id, params={"fields": "health_status"})
    status = answer.body.get("health_status") if answer.ok else None
    if not isinstance(status, dict):
        return Health(can_send="")
    reasons = []
    for entity in status.get("entities") or []:
        if not isinstance(entity, dict):
            continue
        for error in entity.get("errors") or []:
            if isinstance(error, dict):
                solution = f" ({error['possible_solution']})" if error.get("possible_solution") else ""
                reasons.append(
                    f"{entity.get('entity_type', 'entity')} {error.get('error_code', '')}: "
                    f"{error.get('error_description', '')}{solution}".replace("  ", " ")
                )
    can_send = str(status.get("can_send_message") or "").upper()
    return Health(can_send=can_send if can_send in (AVAILABLE, LIMITED, BLOCKED) else "", reasons=reasons[:5])
