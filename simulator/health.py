"""Meta's messaging health (`GET /{node-id}?fields=health_status`): AVAILABLE unless `health` says otherwise."""

from typing import TYPE_CHECKING

from .errors import MetaError

if TYPE_CHECKING:
    from .state import SimulatorState

STATUS_ORDER = ["AVAILABLE", "LIMITED", "BLOCKED"]


def health_status(state: "SimulatorState", node_id: str) -> dict:
    """GET /{node-id}?fields=health_status: the node and its WABA, the worst of them overall."""
    if node_id in state.templates.templates:
        kind, waba_id = "TEMPLATE", state.templates.templates[node_id].waba_id
    elif state.config.phone_number(node_id):
        kind, waba_id = "PHONE_NUMBER", state.config.phone_number(node_id)[0].id
    else:
        raise MetaError(
            100, subcode=33, message=f"Unsupported get request. Object with ID '{node_id}' does not exist"
        )
    entities = []
    for entity_type, entity_id in ((kind, node_id), ("WABA", waba_id)):
        configured = state.config.health.get(entity_id) or {}
        entity = {"entity_type": entity_type, "id": entity_id,
                  "can_send_message": configured.get("can_send_message", "AVAILABLE")}
        if configured.get("errors"):
            entity["errors"] = configured["errors"]
        entities.append(entity)
    overall = max((e["can_send_message"] for e in entities), key=STATUS_ORDER.index)
    return {"health_status": {"can_send_message": overall, "entities": entities}, "id": node_id}
