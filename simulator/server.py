"""The aiohttp application: Graph API routes Meta has, plus control routes under /_sim/ that Meta does not."""

import asyncio
import contextlib
import json
import logging

from aiohttp import web

from .config import SimulatorConfig
from .control import add_control_routes
from .errors import MetaError, invalid_parameter
from .faults import plan_faults
from .health import health_status
from .number_quality import waba_node
from .state import SimulatorState

logger = logging.getLogger("simulator")
STATE = web.AppKey("state", SimulatorState)
HOUSEKEEPING_INTERVAL_S = 10.0


def json_response(data: object, status: int = 200) -> web.Response:
    return web.Response(body=json.dumps(data, separators=(",", ":")), status=status, content_type="application/json")


def error_response(state: SimulatorState, error: MetaError) -> web.Response:
    state.error_codes[error.code] += 1
    return json_response(error.body(), status=error.status(throttle_http_status=state.config.throttle_http_status))


@web.middleware
async def graph_middleware(request: web.Request, handler):
    """Faults and Meta's error rendering for Graph API routes; /_sim/ routes pass straight through."""
    if request.path.startswith("/_sim/"):
        return await handler(request)
    state = request.app[STATE]
    state.counters["requests"] += 1
    arrival = state.arrival_record(request.method, request.path)
    if request.can_read_body and not request.content_type.startswith("multipart/"):
        # Read now: a held (timeout) request must still be processable after its client has gone.
        body = await request.read()
        if arrival is not None:
            arrival["to"] = _send_recipient(body)
    plan = plan_faults(state.config, state.rng)
    response = await _answer(request, handler, state, plan)
    if arrival is not None:
        arrival["status"] = response.status
    return response


def _send_recipient(body: bytes) -> str | None:
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return None
    to = payload.get("to") if isinstance(payload, dict) else None
    return str(to).lstrip("+") if to is not None else None


async def _answer(request: web.Request, handler, state: SimulatorState, plan) -> web.Response:
    if plan.latency_s:
        await asyncio.sleep(plan.latency_s)
    if plan.action == "drop":
        state.counters["faults_dropped"] += 1
        # Close the socket without a byte of answer, as a dying proxy would.
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError
    if plan.action == "timeout":
        state.counters["faults_timeouts"] += 1
        # Hold longer than the client waits, then process normally: a timed-out send may still be sent.
        await asyncio.sleep(state.config.timeout_seconds)
    if plan.action == "server_error":
        state.counters["faults_server_errors"] += 1
        return error_response(state, MetaError(state.config.server_error_code))
    try:
        return await handler(request)
    except MetaError as error:
        return error_response(state, error)
    except web.HTTPNotFound:
        # Graph answers JSON for every path, never a plain-text 404.
        return error_response(state, MetaError(2500, message=f"Unknown path components: {request.path}"))
    except web.HTTPMethodNotAllowed:
        method = request.method.lower()
        return error_response(state, MetaError(100, message=f"Unsupported {method} request.", subcode=33))


async def read_json(request: web.Request) -> dict:
    try:
        payload = json.loads(await request.read() or b"{}")
    except ValueError as exc:
        raise invalid_parameter("The request body is not valid JSON") from exc
    if not isinstance(payload, dict):
        raise invalid_parameter("The request body must be a JSON object")
    return payload


def authorize(request: web.Request, *, management: bool = False) -> SimulatorState:
    state = request.app[STATE]
    state.check_version(request.match_info["version"])
    state.check_token(
        request.headers.get("Authorization"), request.query.get("access_token"), management=management
    )
    return state


# ---------------------------------------------------------------------------------- Graph routes
async def send_message(request: web.Request) -> web.Response:
    state = authorize(request)
    phone_number_id = request.match_info["object_id"]
    state.phone_number(phone_number_id)
    payload = await read_json(request)
    return json_response(state.send_message(phone_number_id, payload))


async def send_marketing_message(request: web.Request) -> web.Response:
    state = authorize(request)
    phone_number_id = request.match_info["object_id"]
    state.phone_number(phone_number_id)
    payload = await read_json(request)
    return json_response(state.send_message(phone_number_id, payload, endpoint="marketing_messages"))


async def upload_media(request: web.Request) -> web.Response:
    state = authorize(request)
    phone_number_id = request.match_info["object_id"]
    state.phone_number(phone_number_id)
    fields: dict[str, str] = {}
    content, file_type = None, None
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        async for part in reader:
            if part.name == "file":
                content = await part.read(decode=False)
                file_type = part.headers.get("Content-Type")
            elif part.name:
                fields[part.name] = await part.text()
    mime_type = fields.get("type") or file_type
    return json_response(state.upload_media(
        phone_number_id, messaging_product=fields.get("messaging_product"), mime_type=mime_type, content=content,
    ))


async def list_templates(request: web.Request) -> web.Response:
    state = authorize(request, management=True)
    waba_id = request.match_info["object_id"]
    state.business_account(waba_id, "get")
    try:
        limit = int(request.query.get("limit", 25))
    except ValueError as exc:
        raise invalid_parameter("limit must be a number") from exc
    limit = max(1, min(limit, 1000))
    page, before, after, has_previous, has_next = state.templates.page(
        waba_id=waba_id, filters=dict(request.query), limit=limit,
        after=request.query.get("after"), before=request.query.get("before"),
    )
    fields = [name for name in request.query.get("fields", "").split(",") if name]
    data = [_pick(template.as_graph(), fields) for template in page]
    body: dict = {"data": data}
    if page:
        paging: dict = {"cursors": {"before": before, "after": after}}
        query = {key: value for key, value in request.query.items() if key not in ("after", "before")}
        if has_next:
            paging["next"] = str(request.url.with_query({**query, "limit": str(limit), "after": after}))
        if has_previous:
            paging["previous"] = str(request.url.with_query({**query, "limit": str(limit), "before": before}))
        body["paging"] = paging
    summary = [name for name in request.query.get("summary", "").split(",") if name]
    if summary:
        body["summary"] = state.templates.summary(waba_id=waba_id, filters=dict(request.query), fields=summary)
    return json_response(body)


def _pick(template: dict, fields: list[str]) -> dict:
    if not fields:
        return template
    return {key: value for key, value in template.items() if key in fields or key == "id"}


async def create_template(request: web.Request) -> web.Response:
    state = authorize(request, management=True)
    payload = await read_json(request)
    return json_response(state.create_template(request.match_info["object_id"], payload))


async def delete_template(request: web.Request) -> web.Response:
    state = authorize(request, management=True)
    waba_id = request.match_info["object_id"]
    state.business_account(waba_id, "delete")
    name = request.query.get("name")
    if not name:
        raise invalid_parameter("The parameter name is required.")
    state.templates.delete(waba_id=waba_id, name=name, hsm_id=request.query.get("hsm_id"))
    return json_response({"success": True})


async def get_object(request: web.Request) -> web.Response:
    """GET /{version}/{id}: an uploaded media's metadata, a template, a WABA or a phone number, like Graph's node
    read."""
    state = authorize(request)
    object_id = request.match_info["object_id"]
    if "health_status" in request.query.get("fields", "").split(","):
        return json_response(health_status(state, object_id))
    if object_id in state.media:
        media = state.media[object_id]
        url = str(request.url.with_path(f"/_sim/media/{object_id}").with_query({}))
        return json_response({**{k: v for k, v in media.items() if k != "phone_number_id"}, "url": url})
    template = state.templates.templates.get(object_id)
    if template:
        return json_response(template.as_graph())
    account = state.config.business_account(object_id)
    if account:
        return json_response(waba_node(account))
    phone = state.config.phone_number(object_id)
    if phone:
        _account, number = phone
        return json_response({
            "id": number.id, "display_phone_number": number.display_phone_number,
            "verified_name": "WhatsApp Gateway Simulator", "quality_rating": number.quality_rating,
            "whatsapp_business_manager_messaging_limit": number.messaging_limit,
            "throughput": {"level": "STANDARD" if (number.throughput_mps or 80) <= 80 else "HIGH"},
        })
    raise MetaError(100, subcode=33, message=f"Unsupported get request. Object with ID '{object_id}' does not exist")


async def delete_object(request: web.Request) -> web.Response:
    state = authorize(request)
    object_id = request.match_info["object_id"]
    if state.media.pop(object_id, None) is None:
        raise MetaError(
            100, subcode=33, message=f"Unsupported delete request. Object with ID '{object_id}' does not exist"
        )
    return json_response({"success": True})


# ---------------------------------------------------------------------------------- app
async def _housekeeping(state: SimulatorState) -> None:
    while True:
        await asyncio.sleep(HOUSEKEEPING_INTERVAL_S)
        state.housekeeping()


async def _lifecycle(app: web.Application):
    state = app[STATE]
    await state.webhooks.start()
    housekeeping = asyncio.create_task(_housekeeping(state))
    yield
    housekeeping.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await housekeeping
    await state.webhooks.stop()


def build_app(config: SimulatorConfig | None = None) -> web.Application:
    """The simulator as an aiohttp application; run it with any aiohttp runner."""
    app = web.Application(middlewares=[graph_middleware], client_max_size=110 * 1024 * 1024)
    app[STATE] = SimulatorState(config or SimulatorConfig())
    add_control_routes(app, STATE)
    app.router.add_post("/{version}/{object_id}/messages", send_message)
    app.router.add_post("/{version}/{object_id}/marketing_messages", send_marketing_message)
    app.router.add_post("/{version}/{object_id}/media", upload_media)
    app.router.add_get("/{version}/{object_id}/message_templates", list_templates)
    app.router.add_post("/{version}/{object_id}/message_templates", create_template)
    app.router.add_delete("/{version}/{object_id}/message_templates", delete_template)
    app.router.add_get("/{version}/{object_id}", get_object)
    app.router.add_delete("/{version}/{object_id}", delete_object)
    app.cleanup_ctx.append(_lifecycle)
    return app
