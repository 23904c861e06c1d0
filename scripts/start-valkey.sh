#!/usr/bin/env bash
# Starts Valkey (the Redis fork Debian packages as valkey-server) as a daemon on 127.0.0.1:${VALKEY_PORT:-6390}
# for test/stores/valkey.test.ts. Bookworm's main archive has no Valkey; bookworm-backports has 8.0, so when
# valkey-server is missing this adds bookworm-backports to apt's sources (Debian 12 only) and installs it
# from there. Idempotent: when something already answers PING on that port, it does nothing. Loopback only,
# no persistence.
set -euo pipefail

port="${VALKEY_PORT:-6390}"

answers() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/${port} && printf 'PING\r\n' >&3 && head -c 5 <&3" \
    2>/dev/null | grep -q '^+PONG'
}

if answers; then
  echo "valkey already answers on 127.0.0.1:${port}"
  exit 0
fi

if ! command -v valkey-server >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  if [ "$codename" = bookworm ]; then
    list=/etc/apt/sources.list.d/bookworm-backports.list
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      echo 'deb http://deb.debian.org/debian bookworm-backports main' | "${sudo[@]}" tee "$list" >/dev/null
    fi
    "${sudo[@]}" apt-get update
    "${sudo[@]}" apt-get install -y --no-install-recommends -t bookworm-backports valkey-server
  else
    if ! "${sudo[@]}" apt-get install -y --no-install-recommends valkey-server; then
      "${sudo[@]}" apt-get update
      "${sudo[@]}" apt-get install -y --no-install-recommends valkey-server
    fi
  fi
fi

dir="${CLOAKROOM_VALKEY_DIR:-/tmp/cloakroom-valkey}"
mkdir -p "$dir"
valkey-server --bind 127.0.0.1 --port "$port" --daemonize yes --save '' --appendonly no \
  --dir "$dir" --logfile "$dir/valkey.log" --pidfile "$dir/valkey.pid"

for _ in $(seq 1 50); do
  if answers; then
    echo "valkey started on 127.0.0.1:${port}"
    exit 0
  fi
  sleep 0.1
done
echo "valkey did not answer on 127.0.0.1:${port} within 5 s" >&2
exit 1
