"""Control routes under /_sim/, a prefix Graph API never uses: inspect, reset and reconfigure at run time."""

import json

from aiohttp import web

from .errors import MetaError
from .number_quality import quality_change_apply, quality_change_problem
from .template_creation_rules import CATEGORIES

TEMPLATE_STATUSES = ("APPROVED", "REJECTED", "PAUSED", "DISABLED", "PENDING", "IN_APPEAL", "FLAGGED", "REINSTATED")


def _json(data: object, status: int = 200) -> web.Response:
    return web.Response(body=json.dumps(data, separators=(",", ":")), status=status, content_type="application/json")


def _bad_request(message: str) -> web.Response:
    return _json({"error": message}, status=400)


async def _body(request: web.Request) -> dict | None:
    try:
        data = json.loads(await request.read() or b"{}")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def add_control_routes(app: web.Application, state_key: web.AppKey) -> None:
    async def health(request: web.Request) -> web.Response:
        return _json({"status": "ok"})

    async def messages(request: web.Request) -> web.Response:
        try:
            limit = int(request.query.get("limit", 1000))
        except ValueError:
            return _bad_request("limit must be a number (0 means all)")
        count, rows = request.app[state_key].query_messages(dict(request.query), limit=limit)
        return _json({"count": count, "data": rows})

    async def reset(request: web.Request) -> web.Response:
        request.app[state_key].reset()
        return _json({"reset": True})

    async def get_config(request: web.Request) -> web.Response:
        return _json(request.app[state_key].config.to_dict())

    async def patch_config(request: web.Request) -> web.Response:
        changes = await _body(request)
        if changes is None:
            return _bad_request("send a JSON object of config options to change")
        try:
            config = request.app[state_key].configure(changes)
        except (ValueError, TypeError, KeyError) as exc:
            return _bad_request(str(exc))
        return _json(config.to_dict())

    async def stats(request: web.Request) -> web.Response:
        return _json(request.app[state_key].stats())

    async def arrivals(request: web.Request) -> web.Response:
        rows = list(request.app[state_key].arrivals)
        return _json({"count": len(rows), "data": rows})

    async def webhooks(request: web.Request) -> web.Response:
        deliveries = list(request.app[state_key].webhooks.deliveries)
        return _json({"count": len(deliveries), "data": deliveries})

    async def webhook_latency(request: web.Request) -> web.Response:
        return _json(request.app[state_key].webhooks.answer_times())

    async def inbound(request: web.Request) -> web.Response:
        data = await _body(request)
        if data is None or not data.get("from"):
            return _bad_request('send {"from": "<digits>", "text": "..."} (optional: name, phone_number_id, button)')
        try:
            return _json(request.app[state_key].inbound_message(data))
        except MetaError as error:
            return _json(error.body(), status=400)

    async def template_status(request: web.Request) -> web.Response:
        """Move a template to another status (e.g. PAUSED) and send the status-update webhook, as Meta would."""
        state = request.app[state_key]
        data = await _body(request)
        if data is None or data.get("status") not in TEMPLATE_STATUSES or not data.get("name"):
            return _bad_request(f'send {{"name": ..., "status": one of {", ".join(TEMPLATE_STATUSES)}}}')
        found = state.templates.find(
            waba_id=str(data.get("waba_id") or state.config.business_account_id),
            name=data["name"], language=data.get("language"),
        )
        if not found:
            return _json({"error": "no such template"}, status=404)
        for template in found:
            state.set_template_status(template, data["status"], str(data.get("reason", "NONE")))
        return _json({"updated": [template.id for template in found]})

    async def template_category(request: web.Request) -> web.Response:
        """Recategorise a template (e.g. UTILITY to MARKETING) and send the category-update webhook, as Meta would."""
        state = request.app[state_key]
        data = await _body(request)
        if data is None or data.get("category") not in CATEGORIES or not data.get("name"):
            return _bad_request(f'send {{"name": ..., "category": one of {", ".join(CATEGORIES)}}}')
        found = state.templates.find(
            waba_id=str(data.get("waba_id") or state.config.business_account_id),
            name=data["name"],
            language=data.get("language"),
        )
        if not found:
            return _json({"error": "no such template"}, status=404)
        for template in found:
            state.set_template_category(template, data["category"])
        return _json({"updated": [template.id for template in found]})

    async def number_quality(request: web.Request) -> web.Response:
        """Change a number's messaging limit or quality rating and send `phone_number_quality_update`, as Meta would."""
        state = request.app[state_key]
        data = await _body(request)
        if data is None:
            return _bad_request('send {"event": ..., "messaging_limit"?, "quality_rating"?, "phone_number_id"?}')
        if problem := quality_change_problem(data):
            return _bad_request(problem)
        found = state.config.phone_number(str(data.get("phone_number_id") or state.config.phone_number_id))
        if not found:
            return _json({"error": "no such phone number"}, status=404)
        outcome = quality_change_apply(*found, data)
        state.webhooks.schedule(0.0, lambda: outcome)
        return _json({"sent": outcome[3]})

    app.router.add_get("/_sim/health", health)
    app.router.add_get("/_sim/messages", messages)
    app.router.add_post("/_sim/reset", reset)
    app.router.add_get("/_sim/config", get_config)
    app.router.add_patch("/_sim/config", patch_config)
    app.router.add_get("/_sim/stats", stats)
    app.router.add_get("/_sim/arrivals", arrivals)
    app.router.add_get("/_sim/webhooks", webhooks)
    app.router.add_get("/_sim/webhooks/latency", webhook_latency)
    app.router.add_post("/_sim/inbound", inbound)
    app.router.add_post("/_sim/templates/status", template_status)
    app.router.add_post("/_sim/templates/category", template_category)
    app.router.add_post("/_sim/phone_numbers/quality", number_quality)
