"""gunicorn settings for the bench: count each worker's SQL statements (see bench/querycount.py)."""


def post_worker_init(worker) -> None:
    import django
    from django.core.signals import request_finished

    from bench import querycount

    django.setup()
    querycount.install()
    request_finished.connect(querycount.flush, weak=False)
