#!/usr/bin/env bash
# Run Zhurnal locally with a seeded demo district: `ops/run.sh`.
#
# Does all set-up on a fresh machine (needs only python3.11 with venv): virtualenv with
# the locked dependencies, an embedded PostgreSQL under var/pg unless DATABASE_URL is
# set, a SECRET_KEY kept in var/secret_key, migrations, the demo data (seed_demo, which
# keeps data on a re-run and prints the demo logins), static files; then the web server
# (gunicorn), a Celery worker and Celery beat. Ctrl-C or SIGTERM stops everything it
# started, the embedded PostgreSQL included.
#
# Environment: PORT (8000), HOST (127.0.0.1), DATABASE_URL, CELERY_BROKER_URL (else a
# broker in files under var/celery), WEB_CONCURRENCY (2 gunicorn workers),
# CELERY_CONCURRENCY (2), DJANGO_DEBUG (1), SECURE_SSL (0).
set -Eeuo pipefail
# shellcheck source=ops/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PORT="${PORT:-8000}"
HOST="${HOST:-127.0.0.1}"

zh_setup_venv
"$ZH_PY" - "$HOST" "$PORT" 2>/dev/null <<'EOF' || zh_die "cannot listen on $HOST:$PORT (in use?): PORT=8001 ops/run.sh picks another port"
import socket, sys
host, port = sys.argv[1].strip("[]"), int(sys.argv[2])
with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
EOF
zh_use_database pg

# A stable secret for this checkout, readable by its owner only.
if [[ -z "${SECRET_KEY:-}" ]]; then
    if [[ ! -s "$ZH_VAR/secret_key" ]]; then
        (umask 077 && zh_random_secret >"$ZH_VAR/secret_key")
        zh_log "generated a SECRET_KEY in ${ZH_VAR#"$ZH_ROOT"/}/secret_key"
    fi
    chmod 600 "$ZH_VAR/secret_key"
    SECRET_KEY="$(cat "$ZH_VAR/secret_key")"
    export SECRET_KEY
fi
# Local http: debug on, no https redirect or secure-only cookies (each can be overridden).
export DJANGO_DEBUG="${DJANGO_DEBUG:-1}"
export SECURE_SSL="${SECURE_SSL:-0}"
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-localhost,127.0.0.1,[::1]${HOST:+,$HOST}}"

manage() { "$ZH_PY" "$ZH_ROOT/manage.py" "$@"; }

commands="$(manage help --commands)"
has_command() { grep -qx "$1" <<<"$commands"; }

zh_log "migrating the public schema"
manage migrate_schemas --shared --noinput
if has_command ensure_template; then
    zh_log "migrating the school template schema"
    manage ensure_template
fi
zh_log "migrating the school schemas"
manage migrate_schemas --tenant --noinput

if has_command seed_demo; then
    zh_log "demo district (seed_demo)"
    manage seed_demo
else
    zh_warn "manage.py has no seed_demo command yet: starting without demo data"
fi

manage collectstatic --noinput --verbosity 0

# --- the services: each in its own session/process group, so that stopping it stops its
# children too (gunicorn and Celery workers), whatever signal reaches this script.
mkdir -p "$ZH_VAR/run"
SERVICE_PIDS=()
SERVICE_NAMES=()
start_service() {
    local name="$1"
    shift
    setsid "$@" &
    SERVICE_PIDS+=("$!")
    SERVICE_NAMES+=("$name")
}
# shellcheck disable=SC2317 # called from the exit hook
stop_services() {
    local pid i
    ((${#SERVICE_PIDS[@]})) || return 0
    # TERM to each service's main process: gunicorn and Celery stop their own children
    # gracefully (a Celery worker finishes its running tasks). Whatever is left after the
    # grace period is killed, process group and all.
    for pid in "${SERVICE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    zh_log "stopping: ${SERVICE_NAMES[*]}"
    for ((i = 0; i < 150; i++)); do # up to 15 s for warm shutdowns
        local alive=0
        for pid in "${SERVICE_PIDS[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
        ((alive)) || break
        sleep 0.1
    done
    for pid in "${SERVICE_PIDS[@]}"; do kill -KILL -- "-$pid" 2>/dev/null; done
    wait 2>/dev/null
    SERVICE_PIDS=()
}
zh_on_exit stop_services

if [[ -z "${CELERY_BROKER_URL:-}" ]]; then
    zh_log "Celery broker: files under ${ZH_VAR#"$ZH_ROOT"/}/celery (set CELERY_BROKER_URL for Redis or RabbitMQ)"
fi

start_service web "$ZH_VENV/bin/gunicorn" config.wsgi:application \
    --bind "$HOST:$PORT" --workers "${WEB_CONCURRENCY:-2}" --threads 2 \
    --access-logfile - --graceful-timeout 10 --forwarded-allow-ips 127.0.0.1
start_service worker "$ZH_VENV/bin/celery" -A config worker \
    --loglevel INFO --concurrency "${CELERY_CONCURRENCY:-2}" --hostname "zhurnal@%h"
start_service beat "$ZH_VENV/bin/celery" -A config beat \
    --loglevel INFO --pidfile "$ZH_VAR/run/celerybeat.pid"

# Wait until the web server answers, then say where it is.
probe_host="$HOST"
[[ "$probe_host" == "0.0.0.0" || "$probe_host" == "::" ]] && probe_host=127.0.0.1
url="http://$probe_host:$PORT/"
for ((i = 0; i < 120; i++)); do
    if "$ZH_PY" - "${url}health/live" <<'EOF' 2>/dev/null; then break; fi
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=5)
EOF
    kill -0 "${SERVICE_PIDS[0]}" 2>/dev/null || zh_die "the web server did not start (is port $PORT free? PORT=... picks another)"
    sleep 0.5
done
((i < 120)) || zh_die "the web server does not answer on ${url}health/live"

cat >&2 <<EOF

  Zhurnal is running at $url
  (demo logins and their TOTP secrets / backup codes are printed above by seed_demo)
  Health: ${url}health/   API schema: ${url}api/schema/
  Ctrl-C stops the web server, the Celery worker and beat${ZH_EMBEDDED_DB:+, and the embedded PostgreSQL}.

EOF

# Run until Ctrl-C / SIGTERM, or until one of the services dies (then stop the rest).
set +e
wait -n "${SERVICE_PIDS[@]}"
status=$?
for i in "${!SERVICE_PIDS[@]}"; do
    if ! kill -0 "${SERVICE_PIDS[$i]}" 2>/dev/null; then
        zh_warn "${SERVICE_NAMES[$i]} exited (status $status); stopping the others"
        break
    fi
done
exit $((status == 0 ? 1 : status))
