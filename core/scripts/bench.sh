#!/usr/bin/env bash
# bench.sh: `make bench`. Same throwaway PostgreSQL as test.sh (in
# $DATA_DIR/pg-bench-$$), same exports, then every benchmark in the module.
#   BENCHTIME (default 1s)   passed to -benchtime
#   BENCH (default .)        passed to -bench
set -euo pipefail
SUMMARY_TITLE="make bench summary"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_throwaway_pg bench
BANYAN_PG_BINDIR=$(bash "$PG_SH" bindir)
export BANYAN_PG_BINDIR
export DATABASE_URL=$TEST_DATABASE_URL MIGRATE_DATABASE_URL=$TEST_MIGRATE_DATABASE_URL

step "build plugins" "$MAKE" --no-print-directory plugins PLUGIN_DIR="$PLUGIN_DIR" || { summary; exit 1; }
step "go test -bench" go test -run '^$' -bench "${BENCH:-.}" -benchtime="${BENCHTIME:-1s}" -benchmem -count=1 -timeout 60m ./... || true

summary
exit "$FAILED"
