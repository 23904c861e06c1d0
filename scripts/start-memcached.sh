#!/usr/bin/env bash
# Starts Debian's memcached as a daemon on 127.0.0.1:${MEMCACHED_PORT:-11311} for the memcached store's tests
# (test/stores/memcached.test.ts), installing the package first if it is missing. Idempotent: when something
# already answers memcached's `version` on that port, it does nothing. Loopback only, UDP off, 64 MB.
set -euo pipefail

port="${MEMCACHED_PORT:-11311}"

answers() {
  # A memcached `version` round trip over bash's /dev/tcp, with a short timeout.
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/${port} && printf 'version\r\n' >&3 && head -c 8 <&3" \
    2>/dev/null | grep -q '^VERSION'
}

if answers; then
  echo "memcached already answers on 127.0.0.1:${port}"
  exit 0
fi

if ! command -v memcached >/dev/null 2>&1 && [ ! -x /usr/bin/memcached ]; then
  export DEBIAN_FRONTEND=noninteractive
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  # Try without refreshing the package lists first; refresh only if that fails.
  if ! "${sudo[@]}" apt-get install -y --no-install-recommends memcached; then
    "${sudo[@]}" apt-get update
    "${sudo[@]}" apt-get install -y --no-install-recommends memcached
  fi
fi
bin="$(command -v memcached || echo /usr/bin/memcached)"

user_args=()
if [ "$(id -u)" -eq 0 ]; then user_args=(-u root); fi
"$bin" -d -l 127.0.0.1 -p "$port" -U 0 -m 64 -c 1024 "${user_args[@]}"

for _ in $(seq 1 50); do
  if answers; then
    echo "memcached started on 127.0.0.1:${port}"
    exit 0
  fi
  sleep 0.1
done
echo "memcached did not answer on 127.0.0.1:${port} within 5 s" >&2
exit 1
