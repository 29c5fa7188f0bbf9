"""Container health checks (no curl in the slim image): `python docker/healthcheck.py web|heartbeat|simulator`.

web        GET /healthz on the local gunicorn (database and broker reachable)
heartbeat  a worker recorded a heartbeat in the last 90 s (beat schedules it, a worker runs it)
simulator  GET /_sim/health on the local simulator
"""

import os
import sys
import urllib.request


def _get(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=4) as response:  # noqa: S310 — a fixed local URL
            return response.status == 200
    except OSError:
        return False


def main(kind: str) -> int:
    if kind == "web":
        return 0 if _get("http://localhost:8000/healthz") else 1
    if kind == "simulator":
        return 0 if _get("http://localhost:8001/_sim/health") else 1
    if kind == "heartbeat":
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whatsapp_gateway.settings")
        import django

        django.setup()
        from whatsapp_gateway.health import worker_alive

        return 0 if worker_alive()[0] else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
