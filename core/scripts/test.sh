#!/usr/bin/env bash
# test.sh: everything `make test` does (DESIGN.md §8). A throwaway PostgreSQL
# in $DATA_DIR/pg-test-$$ is stopped and deleted on exit, whatever happens.
#
# Exports for the tests:
#   BANYAN_TEST_PG             owner role (CREATEDB) on db postgres; tests create a database each
#   BANYAN_TEST_APP_USER       banyan_app, the server's role (no ownership, no BYPASSRLS)
#   BANYAN_TEST_APP_PASSWORD   banyan_app
#   BANYAN_TEST_SUPERUSER_URL  superuser of the throwaway cluster
#   BANYAN_PLUGIN_DIR          absolute path of the built plugins
#   BANYAN_PG_BINDIR           PostgreSQL binaries (pgbench, pg_dump)
# and for the end-to-end step only: DATABASE_URL, MIGRATE_DATABASE_URL (database banyan).
set -euo pipefail
SUMMARY_TITLE="make test summary"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_font
start=$SECONDS
start_throwaway_pg test
BANYAN_PG_BINDIR=$(bash "$PG_SH" bindir)
export BANYAN_PG_BINDIR
STEP_NAMES+=("postgresql (throwaway)"); STEP_RESULTS+=("ok"); STEP_SECONDS+=($((SECONDS - start)))

if ! step "build plugins + ui" "$MAKE" --no-print-directory plugins ui PLUGIN_DIR="$PLUGIN_DIR"; then
	say "build failed: not running the tests"
	summary
	exit 1
fi

step "gofmt" bash -c '
	files=$(find . \( -path ./.git -o -path ./.data -o -path ./bin -o -name node_modules -o -name testdata -o -name vendor \) -prune \
		-o -type f -name "*.go" ! -name "*.pb.go" -print)
	[ -z "$files" ] && exit 0
	bad=$(gofmt -l $files)
	if [ -n "$bad" ]; then echo "not gofmt-ed (run gofmt -w):"; echo "$bad"; exit 1; fi' || true

step "go vet" go vet ./... || true
step "go test -race" go test -race -count=1 -timeout 20m ./... || true

if [ -f sdk/go.mod ]; then
	step "sdk: go vet + go test -race" bash -c 'cd sdk && go vet ./... && go test -race -count=1 ./...' || true
else
	skip "sdk" "no sdk/go.mod"
fi

if [ -f admin-ui/package.json ] && node -e 'process.exit(((require("./admin-ui/package.json").scripts)||{}).test ? 0 : 1)' 2>/dev/null; then
	step "admin-ui: npm test" bash -c 'cd admin-ui && CI=true npm test' || true
else
	skip "admin-ui: npm test" "no test script"
fi

if [ -f admin-ui/e2e/run.sh ]; then
	if step "build banyan (for e2e)" "$MAKE" --no-print-directory build; then
		step "e2e (admin-ui/e2e/run.sh)" env DATABASE_URL="$TEST_DATABASE_URL" \
			MIGRATE_DATABASE_URL="$TEST_MIGRATE_DATABASE_URL" bash admin-ui/e2e/run.sh || true
	fi
else
	skip "e2e" "no admin-ui/e2e/run.sh"
fi

summary
exit "$FAILED"
