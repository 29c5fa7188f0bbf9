"""gunicorn settings for the web container (`gunicorn --config docker/gunicorn.conf.py whatsapp_gateway.wsgi`)."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
# Sessions of 100,000 recipients are a few MB of JSON to validate: give a request time.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Logs go to stdout like the app's (structured JSON from the app's own loggers).
accesslog = "-"
# The default format logs the query string and the referrer: Meta's hub.verify_token on the webhook
# handshake, phone numbers in admin searches. The path alone (%(U)s) says enough.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")


def child_exit(server, worker):
    # Multiprocess Prometheus metrics: a web worker that exits leaves files behind; mark them dead.
    from whatsapp_gateway.metrics import process_exited

    process_exited(worker.pid)
