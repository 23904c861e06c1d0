#!/usr/bin/env bash
# Starts what the tests need beyond the machine's own PostgreSQL (5432) and Redis (6379), installing from
# Debian's packages where missing: Chromium for the page tests, memcached on 11311, a 3-master Redis
# Cluster on 7100-7102 and Valkey on 6390 (from bookworm-backports). Idempotent and quick when everything
# already runs. Called by `npm test` and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-chromium.sh
bash scripts/start-memcached.sh
bash scripts/start-redis-cluster.sh
bash scripts/start-valkey.sh
