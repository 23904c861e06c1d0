#!/usr/bin/env bash
# Installs Debian's chromium for the browser end-to-end tests, only when it is missing. Idempotent, quiet and
# non-interactive; `npx playwright install` cannot download here, so the tests drive this binary through
# playwright-core.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo -n)
  else
    echo "ensure-chromium: /usr/bin/chromium is missing and this user cannot install it" >&2
    exit 1
  fi
else
  SUDO=()
fi

export DEBIAN_FRONTEND=noninteractive
echo "ensure-chromium: installing Debian's chromium"
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
/usr/bin/chromium --version
