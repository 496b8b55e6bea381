#!/usr/bin/env bash
# System packages the tests need beyond Python's: PostgreSQL 15 (the BI copy's tests start their own server)
# and Chromium (the report's tests open it in a real browser). Installed from Debian's packages when missing
# and when this runs as root (CI does); otherwise says what is missing and the tests that need it skip.
set -euo pipefail
need=()
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
if [ ! -x /usr/bin/chromium ]; then
  need+=(chromium)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "Missing system packages (tests that need them will skip): ${need[*]}; install with: apt-get install ${need[*]}"
fi
