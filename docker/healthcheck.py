"""Container health checks (no curl in the slim image): `python docker/healthcheck.py KIND [ARG]`.

web              GET /healthz on the local gunicorn (database and broker reachable)
heartbeat        a worker recorded a heartbeat in the last 90 s (each worker writes its own every 30 s)
beat SCHEDULE    beat saved its schedule file (SCHEDULE, or SCHEDULE.db etc.) in the last 5 minutes
simulator        GET /_sim/health on the local simulator
"""

import glob
import os
import sys
import time
import urllib.request

# Beat saves its schedule at least every 3 minutes (Celery's Scheduler.sync_every) while it ticks.
BEAT_SCHEDULE_MAX_AGE = 300


def _get(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=4) as response:  # noqa: S310 — a fixed local URL
            return response.status == 200
    except OSError:
        return False


def beat_alive(schedule: str, now: float | None = None) -> bool:
    # The shelve may be one file or several (schedule.db, .dat, .dir), depending on the dbm module.
    saved = [os.path.getmtime(path) for path in glob.glob(glob.escape(schedule) + "*")]
    return bool(saved) and (now or time.time()) - max(saved) < BEAT_SCHEDULE_MAX_AGE


def main(kind: str, argument: str = "") -> int:
    if kind == "web":
        return 0 if _get("http://localhost:8000/healthz") else 1
    if kind == "beat" and argument:
        return 0 if beat_alive(argument) else 1
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
    sys.exit(main(*sys.argv[1:3]) if len(sys.argv) > 1 else main(""))
