from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """Routes that answer with or without a trailing slash: integrators write both."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"
