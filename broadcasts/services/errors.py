"""The refusals of the sending services, shared by the services that raise them and the views that answer."""


class SessionError(Exception):
    """A request the gateway refuses; `status` is the HTTP status, `detail` the body."""

    def __init__(self, detail: dict, status: int = 400):
        super().__init__(detail)
        self.detail = detail
        self.status = status


class TransitionRefused(SessionError):
    """A session is not in a status its move may start from (pause a finished one, trigger a cancelled one)."""

    def __init__(self, message: str):
        super().__init__({"detail": message}, status=409)
