#!/usr/bin/env bash
# Starts a 3-master Redis Cluster (no replicas) on 127.0.0.1:7100-7102 for test/stores/redis-cluster.test.ts.
# Idempotent: if every node already reports cluster_state:ok, it does nothing. Otherwise it starts any
# node that is not answering (daemonized, no persistence, state in /tmp/cloakroom-redis-cluster/<port>),
# creates the cluster if no slot is assigned yet, and waits (bounded) until every node reports
# cluster_state:ok. Needs redis-server and redis-cli (7.x) on PATH. Stop it (and forget it) with:
#   for p in 7100 7101 7102; do redis-cli -p $p shutdown nosave; done; rm -rf /tmp/cloakroom-redis-cluster
set -euo pipefail

HOST=127.0.0.1
PORTS=(7100 7101 7102)
BASE_DIR=${CLOAKROOM_REDIS_CLUSTER_DIR:-/tmp/cloakroom-redis-cluster}
WAIT_SECONDS=${CLOAKROOM_REDIS_CLUSTER_WAIT:-30}

RESET="to start over: for p in ${PORTS[*]}; do redis-cli -p \$p shutdown nosave; done; rm -rf $BASE_DIR"

fail() {
  echo "start-redis-cluster: $*" >&2
  exit 1
}

for tool in redis-server redis-cli; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool not found on PATH (install Redis 7)"
done

cli() {
  local port=$1
  shift
  redis-cli -h "$HOST" -p "$port" "$@" 2>/dev/null
}

state_of() {
  cli "$1" cluster info | tr -d '\r' | sed -n 's/^cluster_state://p'
}

all_ok() {
  local port
  for port in "${PORTS[@]}"; do
    [[ "$(state_of "$port")" == ok ]] || return 1
  done
}

# Already up: nothing to do. (Every node is checked, not only the first: a node that stopped is restarted.)
if all_ok; then
  echo "start-redis-cluster: cluster on $HOST:${PORTS[0]}-${PORTS[-1]} is already up (cluster_state:ok)"
  exit 0
fi

mkdir -p "$BASE_DIR"

# Start the nodes that are not answering.
for port in "${PORTS[@]}"; do
  if [[ "$(cli "$port" ping)" == PONG ]]; then
    continue
  fi
  dir="$BASE_DIR/$port"
  mkdir -p "$dir"
  # A nodes.conf left by an earlier run is kept: the node comes back with its identity and slots and
  # rejoins the others (its keys are gone, as nothing is persisted).
  redis-server \
    --port "$port" \
    --bind "$HOST" \
    --cluster-enabled yes \
    --cluster-config-file "$dir/nodes.conf" \
    --cluster-node-timeout 5000 \
    --dir "$dir" \
    --save '' \
    --appendonly no \
    --daemonize yes \
    --pidfile "$dir/redis.pid" \
    --logfile "$dir/redis.log" ||
    fail "redis-server on port $port did not start (see $dir/redis.log)"
done

# Wait for every node to answer PING.
deadline=$((SECONDS + WAIT_SECONDS))
for port in "${PORTS[@]}"; do
  until [[ "$(cli "$port" ping)" == PONG ]]; do
    ((SECONDS < deadline)) || fail "node $HOST:$port does not answer PING after ${WAIT_SECONDS}s (see $BASE_DIR/$port/redis.log)"
    sleep 0.1
  done
done

# Create the cluster unless slots are already assigned (a cluster that is still converging).
assigned=$(cli "${PORTS[0]}" cluster info | tr -d '\r' | sed -n 's/^cluster_slots_assigned://p')
if [[ "${assigned:-0}" == 0 ]]; then
  for port in "${PORTS[@]}"; do
    known=$(cli "$port" cluster info | tr -d '\r' | sed -n 's/^cluster_known_nodes://p')
    slots=$(cli "$port" cluster info | tr -d '\r' | sed -n 's/^cluster_slots_assigned://p')
    keys=$(cli "$port" dbsize)
    if [[ "${known:-1}" != 1 || "${slots:-0}" != 0 || "${keys:-0}" != 0 ]]; then
      fail "node $HOST:$port is not empty (known nodes ${known:-?}, slots ${slots:-?}, keys ${keys:-?}) but $HOST:${PORTS[0]} has no slots; $RESET"
    fi
  done
  nodes=()
  for port in "${PORTS[@]}"; do nodes+=("$HOST:$port"); done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$BASE_DIR/create.log" 2>&1 ||
    fail "redis-cli --cluster create failed: $(tail -n 5 "$BASE_DIR/create.log")"
fi

# Wait until every node sees the whole cluster as ok.
deadline=$((SECONDS + WAIT_SECONDS))
until all_ok; do
  if ((SECONDS >= deadline)); then
    for port in "${PORTS[@]}"; do echo "  $HOST:$port cluster_state:$(state_of "$port")" >&2; done
    fail "cluster not ok on every node after ${WAIT_SECONDS}s; $RESET"
  fi
  sleep 0.2
done
echo "start-redis-cluster: cluster up on $HOST:${PORTS[0]}-${PORTS[-1]} (3 masters, cluster_state:ok)"
