#!/usr/bin/env bash
# Run Zhurnal's tests: `ops/test.sh [pytest arguments]`, e.g. `ops/test.sh -k health -x`.
#
# Same set-up as ops/run.sh (virtualenv with the locked dependencies; the database server
# in DATABASE_URL, else an embedded PostgreSQL under var/pg-test, stopped at the end;
# pytest-django makes its own test_* database there). Installs Debian's chromium and
# chromium-driver for the browser tests when /usr/bin/chromium is missing and we are root
# (or have password-less sudo); otherwise the browser tests skip.
#
# Exits non-zero when a test fails and also when pytest collected no test at all.
set -Eeuo pipefail
# shellcheck source=ops/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_chromium() {
    if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
        return 0
    fi
    if [[ "${ZHURNAL_SKIP_BROWSER_INSTALL:-}" == 1 ]]; then
        zh_warn "no /usr/bin/chromium and ZHURNAL_SKIP_BROWSER_INSTALL=1: browser tests will skip"
        return 0
    fi
    local sudo=()
    if [[ $EUID -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo=(sudo -n)
        else
            zh_warn "no /usr/bin/chromium, and not root (nor password-less sudo) to install it:" \
                "browser tests will skip. Install with: apt-get install chromium chromium-driver"
            return 0
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        zh_warn "no /usr/bin/chromium and no apt-get: browser tests will skip"
        return 0
    fi
    zh_log "installing Debian's chromium and chromium-driver for the browser tests"
    local started=$SECONDS
    if "${sudo[@]}" apt-get update -qq &&
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            chromium chromium-driver >/dev/null; then
        zh_log "chromium installed in $((SECONDS - started)) s"
    else
        zh_warn "apt-get could not install chromium: browser tests will skip"
    fi
}

zh_setup_venv
ensure_chromium
zh_use_database pg-test

export ZHURNAL_TESTING=1
SECRET_KEY="$(zh_random_secret)"
export SECRET_KEY
export SECURE_SSL="${SECURE_SSL:-0}"

# The suite runs on TEST_WORKERS processes (default: one per core, at most 4), each with its own
# test database; a module stays on one worker (--dist loadfile: module-wide worlds are built once).
# TEST_WORKERS=0 runs in this process (pytest's own -n/-p xdist arguments also take over).
workers="${TEST_WORKERS:-$(nproc 2>/dev/null || echo 1)}"
((workers > 4)) && workers=4
parallel=()
if ((workers > 1)) && [[ " $* " != *" -n "* && " $* " != *" -p no:xdist "* ]]; then
    parallel=(-n "$workers" --dist loadfile)
fi
zh_log "python -m pytest ${parallel[*]} $*"
set +e
"$ZH_PY" -m pytest "${parallel[@]}" "$@"
status=$?
set -e
if ((status == 5)); then
    zh_warn "pytest collected no tests: that is a failure"
    exit 1
fi
exit "$status"
