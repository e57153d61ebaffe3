#!/usr/bin/env bash
# Idempotent set-up for the benchmarks (called by `make bench`).
#
#  * Debian packages: nginx (the target), wrk (native baseline), time (/usr/bin/time).
#    `apt-get update` runs only when something is actually missing.
#  * Locust in its own venv, bench/.venv-locust: Locust monkey-patches the
#    standard library with gevent, which must never touch the project's venv.
#
# Environment: PYTHON (interpreter used to create the Locust venv; default python3),
#              LOCUST_SPEC (pip requirement; default "locust").
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-python3}"
LOCUST_SPEC="${LOCUST_SPEC:-locust}"

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd=(sudo)
fi

missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
[ -x /usr/bin/time ] || missing+=(time)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)

if [ "${#missing[@]}" -gt 0 ]; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "setup.sh: missing ${missing[*]} and no apt-get; install them by hand" >&2
        exit 1
    fi
    echo "setup.sh: installing ${missing[*]} with apt-get"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
    # Debian's nginx package starts a system service on :80; the benchmark runs
    # its own instance, so stop the packaged one if it came up (best effort).
    if [[ " ${missing[*]} " == *" nginx "* ]]; then
        if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
            "${sudo_cmd[@]}" systemctl stop nginx || true
        elif [ -f /run/nginx.pid ]; then
            "${sudo_cmd[@]}" /usr/sbin/nginx -s stop 2>/dev/null || true
        fi
    fi
fi

venv="$here/.venv-locust"
if [ ! -x "$venv/bin/locust" ]; then
    echo "setup.sh: creating $venv with $LOCUST_SPEC"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q "$LOCUST_SPEC"
fi

# Smoke checks: every tool starts.
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
"$nginx_bin" -v 2>&1 | head -n1
wrk -v 2>&1 | head -n1 || true
/usr/bin/time --version 2>&1 | head -n1
"$venv/bin/locust" --version 2>&1 | head -n1
echo "setup.sh: ok"
