#!/usr/bin/env bash
# `make bruno`: run the Bruno collection in bruno/ against the live stack — PostgreSQL, RabbitMQ,
# a real Celery worker and the Meta simulator — then stop the stack. Exits non-zero when any
# request, assertion or test fails.
#
# Uses a dedicated database (whatsapp_gateway_bruno, recreated on every run) on the server of
# DATABASE_URL, and CELERY_BROKER_URL; both default to the local CI services.
# Extra arguments are passed to `bru run` (e.g. `scripts/bruno_stack.sh errors --verbose`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=$ROOT/.venv/bin/python
BRU=$ROOT/node_modules/.bin/bru
WEB=127.0.0.1:8000
SIM=127.0.0.1:8001
LOG=$ROOT/var/bruno-stack.log
DB_NAME=${BRUNO_DB_NAME:-whatsapp_gateway_bruno}
DEMO_KEY=demo0001.local-development-key-0001   # the key in bruno/environments/local.bru

base_url=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/whatsapp_gateway}
case $base_url in postgres://*|postgresql://*) ;; *) echo "bruno: DATABASE_URL must be PostgreSQL" >&2; exit 2 ;; esac
base_url=${base_url%%\?*}
server_url=${base_url%/*}
export DATABASE_URL=$server_url/$DB_NAME
export CELERY_BROKER_URL=${CELERY_BROKER_URL:-amqp://guest:guest@127.0.0.1:5672//}
export DEMO_API_KEY=$DEMO_KEY
# A development stack: the demo app, its admin/admin login and the simulator's demo credentials.
export DEBUG=1

for hostport in $WEB $SIM; do
    if (exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}") 2>/dev/null; then
        echo "bruno: $hostport is already in use; stop whatever listens there (make run?) first." >&2
        exit 2
    fi
done

mkdir -p var
psql_admin() { psql "$server_url/postgres" -v ON_ERROR_STOP=1 -qAt "$@"; }
psql_admin -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)"
psql_admin -c "CREATE DATABASE $DB_NAME"

"$PY" manage.py migrate --noinput >/dev/null
"$PY" manage.py bootstrap_demo
other_key=$("$PY" manage.py create_app bruno-other | sed -n 's/^API key.*: //p')
[ -n "$other_key" ] || { echo "bruno: create_app printed no key" >&2; exit 1; }

stack_pid=
stop_stack() {
    [ -n "$stack_pid" ] || return 0
    # run_stack stops its web server, worker and simulator (each in its own session) on SIGTERM.
    local children
    children=$(pgrep -P "$stack_pid" || true)
    kill -TERM "$stack_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$stack_pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$stack_pid" 2>/dev/null; then
        kill -KILL -- "-$stack_pid" 2>/dev/null || true
        for child in $children; do kill -KILL -- "-$child" 2>/dev/null || true; done
    fi
    wait "$stack_pid" 2>/dev/null || true
    stack_pid=
    psql_admin -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" || true
}
trap stop_stack EXIT
trap 'exit 130' INT TERM

echo "bruno: starting the stack (log: $LOG)"
setsid "$PY" manage.py run_stack --web "$WEB" --simulator "$SIM" >"$LOG" 2>&1 &
stack_pid=$!

# Ready: web server, database, broker, a worker and the simulator all answer (/readyz).
for _ in $(seq 120); do
    curl -fsS -o /dev/null "http://$WEB/readyz" 2>/dev/null && break
    kill -0 "$stack_pid" 2>/dev/null || { echo "bruno: the stack died; see $LOG" >&2; tail -30 "$LOG" >&2; exit 1; }
    sleep 0.5
done
curl -fsS -o /dev/null "http://$WEB/readyz" || { echo "bruno: /readyz never answered 200" >&2; tail -30 "$LOG" >&2; exit 1; }

cd bruno
rc=0
"$BRU" run --env local --env-var "otherApiKey=$other_key" \
    --reporter-junit "$ROOT/var/bruno-junit.xml" "$@" || rc=$?
[ "$rc" -eq 0 ] || { echo "bruno: the collection failed (exit $rc); stack log tail:" >&2; tail -20 "$LOG" >&2; }
exit "$rc"
