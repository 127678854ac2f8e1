#!/usr/bin/env bash
# The longer soak: the same mixed-traffic test that `make test` runs for two minutes, for as long
# as you like, on PostgreSQL and Redis with two Daphne processes. Its counts and the servers'
# memory before and after print at the end; docs/reliability.md keeps the last result.
#
#   bench/soak.sh [SECONDS]      (default 900)
set -euo pipefail
cd "$(dirname "$0")/.."
export SOAK_SECONDS=${1:-900}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
exec .venv/bin/pytest tests/reliability/test_soak.py -m soak -q -p no:cacheprovider
