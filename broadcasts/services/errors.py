"""The refusals of the sending services, shared by the services that raise them and the views that answer."""

from whatsapp_gateway.errors import GatewayError


class SessionError(GatewayError):
    """A session request the gateway refuses: 400 for bad input, 409 for a session in the wrong state."""


class TransitionRefused(SessionError):
    """A session is not in a status its move may start from (pause a finished one, trigger a cancelled one)."""

    status = 409
