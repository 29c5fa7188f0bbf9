"""API authentication: `Authorization: Api-Key <key>` identifies the calling app."""

from dataclasses import dataclass

from django.utils.functional import cached_property
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from whatsapp_gateway.api_input import params_check
from whatsapp_gateway.models import App
from whatsapp_gateway.services import app_for_key

KEYWORD = "Api-Key"
SCHEME_DESCRIPTION = (
    "Send your app's key in the Authorization header with the `Api-Key` scheme: "
    "`Authorization: Api-Key demo1a2b.Xk3…`. The key is printed once when it is created "
    "(`manage.py create_app NAME`, or the admin's Tenancy → API keys); only its hash is stored. "
    "In Swagger UI's Authorize, enter `Api-Key <key>`, the scheme included. A key sent another way "
    "(`Bearer <key>`) or unknown, revoked or expired is a 401; every call sees only your app's objects."
)


@dataclass(frozen=True)
class AppPrincipal:
    """The `request.user` of an API call: the app behind the key, never a Django user."""

    app: App
    is_authenticated: bool = True
    is_staff: bool = False

    @cached_property
    def pk(self) -> int:
        return self.app.pk


class AppKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        keyword, _, key = header.partition(" ")
        if not header:
            return None  # no key at all: NotAuthenticated, "Authentication credentials were not provided."
        if keyword != KEYWORD:
            # A key sent as `Bearer <key>` (what most APIs take) would otherwise read as no key at all.
            raise exceptions.AuthenticationFailed(
                f"Send the key as `Authorization: {KEYWORD} <key>`: no other scheme (such as Bearer) is accepted."
            )
        app = app_for_key(key.strip())
        if app is None:
            raise exceptions.AuthenticationFailed("The API key is invalid, revoked or expired.")
        return AppPrincipal(app=app), key

    def authenticate_header(self, request) -> str:
        return KEYWORD


class IsApp(permissions.BasePermission):
    message = "Authenticate with the header `Authorization: Api-Key <key>`."

    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, AppPrincipal)


class AppKeyScheme(OpenApiAuthenticationExtension):
    target_class = "whatsapp_gateway.authentication.AppKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": SCHEME_DESCRIPTION,
        }


class AppScopedMixin:
    """Views whose querysets belong to the calling app: another app's ids simply 404.

    Query parameters are checked before any view runs, as bodies are by the parser (api_input).
    """

    # No OPTIONS: the API describes itself in its OpenAPI schema (/api/schema/); OPTIONS is a 405 like any
    # method a path does not have (DRF's metadata would need a serializer on every viewset).
    http_method_names = ["get", "post", "put", "patch", "delete", "head"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        params_check(request.query_params)

    @property
    def app(self) -> App:
        return self.request.user.app
