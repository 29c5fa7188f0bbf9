import hmac

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from whatsapp_gateway.authentication import AppScopedMixin
from whatsapp_gateway.health import health_report, readiness_report


@require_GET
def healthz(request):
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@require_GET
def readyz(request):
    report = readiness_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@require_GET
def metrics(request):
    """Prometheus exposition, for `Authorization: Bearer <METRICS_TOKEN>` only; 404 when no token is set."""
    from whatsapp_gateway.metrics import metrics_render

    expected = settings.METRICS_TOKEN
    if not expected:
        raise Http404("Metrics are turned off: set METRICS_TOKEN.")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics_render(), content_type=CONTENT_TYPE_LATEST)


class ApiPathNotFound(AppScopedMixin, APIView):
    """Any /api/ path no route matches (`/api/v1/transports/0.5/`): the API's JSON 404, not Django's HTML page."""

    schema = None  # not an operation of the schema

    def _not_found(self, request, *args, **kwargs):
        raise NotFound("No such path or object.")

    get = post = put = patch = delete = _not_found
