from django.http import JsonResponse
from django.views.decorators.http import require_GET

from whatsapp_gateway.health import health_report


@require_GET
def healthz(request):
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
