# shellcheck shell=bash
# Shared set-up for ops/run.sh and ops/test.sh (sourced, not run).
#
# Provides:
#   zh_setup_venv       .venv with python3.11 and the locked dependencies (skipped when unchanged)
#   zh_use_database D   DATABASE_URL as given, or an embedded PostgreSQL (pgserver) under var/D
#   zh_on_exit CMD      run CMD when the script exits (Ctrl-C, SIGTERM, error or normal end)
#   zh_log / zh_warn / zh_die
#
# Knobs: PYTHON (interpreter that creates the venv, default python3.11), UV_VERSION.

ZH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ZH_VENV="$ZH_ROOT/.venv"
ZH_VAR="${ZHURNAL_VAR_DIR:-$ZH_ROOT/var}"
ZH_LOCK="$ZH_ROOT/requirements.lock"
ZH_PY="$ZH_VENV/bin/python"
ZH_EMBEDDED_DB=""
: "${UV_VERSION:=0.13.9}"
export ZHURNAL_VAR_DIR="$ZH_VAR"

cd "$ZH_ROOT" || exit 1
mkdir -p "$ZH_VAR"

zh_log() { printf '\033[1m[zhurnal]\033[0m %s\n' "$*" >&2; }
zh_warn() { printf '\033[1;33m[zhurnal] WARNING:\033[0m %s\n' "$*" >&2; }
zh_die() {
    printf '\033[1;31m[zhurnal] ERROR:\033[0m %s\n' "$*" >&2
    exit 1
}

# --- exit hooks: one EXIT trap runs them all, newest first ---------------------------
ZH_EXIT_HOOKS=()
zh_on_exit() { ZH_EXIT_HOOKS+=("$1"); }
_zh_run_exit_hooks() {
    local status=$? i
    trap - EXIT INT TERM
    # Output may go to a pipe whose reader is gone (`ops/run.sh | tee log` and Ctrl-C):
    # a failed write must not kill the clean-up.
    trap '' PIPE
    set +e
    for ((i = ${#ZH_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
        eval "${ZH_EXIT_HOOKS[$i]}"
    done
    exit "$status"
}
trap _zh_run_exit_hooks EXIT
# A signal becomes a normal exit with the conventional status, which runs the EXIT hooks.
trap 'exit 130' INT
trap 'exit 143' TERM

# The source roots: repository root, platform/ and schools/ (platform/ is NOT a package:
# `import platform` stays the standard library's). Celery and gunicorn need them;
# manage.py and pytest add them themselves.
export PYTHONPATH="$ZH_ROOT:$ZH_ROOT/platform:$ZH_ROOT/schools${PYTHONPATH:+:$PYTHONPATH}"

# --- virtualenv + locked dependencies ---------------------------------------------------
zh_setup_venv() {
    local python="${PYTHON:-python3.11}"
    if [[ ! -x "$ZH_PY" ]] || ! "$ZH_PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
        command -v "$python" >/dev/null 2>&1 ||
            zh_die "$python not found. On Debian: apt-get install python3.11 python3.11-venv (or set PYTHON=/path/to/python3.11)"
        zh_log "creating $ZH_VENV with $("$python" --version 2>&1)"
        rm -rf "$ZH_VENV"
        "$python" -m venv "$ZH_VENV" || zh_die "could not create the virtualenv (Debian: apt-get install python3.11-venv)"
    fi
    if [[ ! -x "$ZH_VENV/bin/uv" ]]; then
        zh_log "installing uv $UV_VERSION into the virtualenv"
        "$ZH_PY" -m pip install --quiet "uv==$UV_VERSION" || zh_die "pip could not install uv"
    fi
    local stamp="$ZH_VENV/.zhurnal-lock.sha256" want
    want="$( (cat "$ZH_LOCK"; "$ZH_PY" -VV; echo compiled) | sha256sum | cut -d' ' -f1)"
    if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
        zh_log "installing the locked dependencies (requirements.lock)"
        local started=$SECONDS
        # Bytecode compiled at install: where PYTHONDONTWRITEBYTECODE is set (this machine, the
        # image) nothing else writes it, and every process would compile ~1,600 modules (4 s).
        "$ZH_VENV/bin/uv" pip install --quiet --compile-bytecode --python "$ZH_PY" -r "$ZH_LOCK" ||
            zh_die "dependency install failed"
        # (uv compiles only what it installs now; packages already there are compiled here.)
        "$ZH_PY" -m compileall -q -j 0 "$("$ZH_PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
            >/dev/null 2>&1 || true
        echo "$want" >"$stamp"
        zh_log "dependencies installed in $((SECONDS - started)) s"
    fi
    # Our own modules too (only what changed since the last run is compiled again).
    local dir dirs=()
    for dir in platform schools tenants services public_portal tests ops; do
        [[ -d "$ZH_ROOT/$dir" ]] && dirs+=("$ZH_ROOT/$dir")
    done
    "$ZH_PY" -m compileall -q -j 0 "${dirs[@]}" >/dev/null || true
}

# --- database ---------------------------------------------------------------------------
# zh_use_database NAME: with DATABASE_URL set, use that server (creating its database if
# it is missing and we may); otherwise start the embedded PostgreSQL in var/NAME, stopped
# again when the script exits.
zh_use_database() {
    local name="$1" url
    if [[ -n "${DATABASE_URL:-}" ]]; then
        zh_log "database: the server in DATABASE_URL"
        "$ZH_PY" "$ZH_ROOT/ops/pg.py" createdb "$DATABASE_URL" ||
            zh_warn "could not check/create the database in DATABASE_URL; going on"
        return 0
    fi
    zh_log "database: embedded PostgreSQL (pgserver) in ${ZH_VAR#"$ZH_ROOT"/}/$name"
    zh_on_exit "\"$ZH_PY\" \"$ZH_ROOT/ops/pg.py\" stop \"$ZH_VAR/$name\""
    url="$("$ZH_PY" "$ZH_ROOT/ops/pg.py" start "$ZH_VAR/$name" --database zhurnal)" ||
        zh_die "the embedded PostgreSQL did not start (log: $ZH_VAR/$name/log)"
    export DATABASE_URL="$url"
    # shellcheck disable=SC2034 # read by run.sh
    ZH_EMBEDDED_DB=1
}

zh_random_secret() {
    "$ZH_PY" -c 'import secrets; print(secrets.token_urlsafe(50))'
}
