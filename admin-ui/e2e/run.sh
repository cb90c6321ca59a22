#!/usr/bin/env bash
# run.sh: browser end-to-end tests of the admin consoles (DESIGN.md §8).
#
# Called by `make test` (core/scripts/test.sh) from the repository root after
# `make build`, with DATABASE_URL / MIGRATE_DATABASE_URL pointing at a
# migrated-or-empty database and BANYAN_PLUGIN_DIR set. It
#   - installs Debian's chromium when /usr/bin/chromium is missing (as root),
#   - installs playwright-core (no browser download) into admin-ui/e2e,
#   - migrates, creates a platform operator, starts `bin/banyan serve` on a
#     free port (shops at {slug}.localhost:PORT), waits for /readyz,
#   - runs tests/*.test.js with `node --test`, and stops the server on exit.
# The server settles commissions every 2s (BANYAN_SETTLE_EVERY) for
# journey.test.js.
# Screenshots go to admin-ui/e2e/output/. Exit status: non-zero on failure.
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$E2E_DIR/../.." && pwd)
cd "$ROOT"

log() { echo "e2e: $*" >&2; }
die() { log "error: $*"; exit 1; }

: "${DATABASE_URL:?DATABASE_URL must be set (the app role)}"
MIGRATE_DATABASE_URL=${MIGRATE_DATABASE_URL:-$DATABASE_URL}
export DATABASE_URL MIGRATE_DATABASE_URL

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		die "$CHROMIUM is missing; install Debian's chromium (apt-get install -y chromium) as root and retry"
	fi
	log "installing Debian package chromium"
	apt-get update >&2 || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >&2 || die "apt-get install chromium failed"
	[ -x "$CHROMIUM" ] || die "chromium installed but $CHROMIUM is still missing"
fi
export CHROMIUM

command -v node >/dev/null || die "node is not installed"
if [ ! -f "$E2E_DIR/node_modules/playwright-core/package.json" ]; then
	log "npm ci (playwright-core; no browser download)"
	(cd "$E2E_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >&2) || die "npm ci in admin-ui/e2e failed"
fi

BIN=${BANYAN_BIN:-$ROOT/bin/banyan}
[ -x "$BIN" ] || die "$BIN is missing: run make build first"
[ -f "$ROOT/admin-ui/dist/index.html" ] || log "warning: admin-ui/dist is not built; the binary serves what it embedded"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/banyan-e2e.XXXXXX")
SERVER_PID=""
cleanup() {
	local rc=$?
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill "$SERVER_PID" 2>/dev/null || true
		for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$SERVER_PID" 2>/dev/null || true
	fi
	if [ $rc -ne 0 ] && [ -f "$WORK/server.log" ]; then
		log "server log (last 40 lines):"
		tail -n 40 "$WORK/server.log" >&2 || true
	fi
	rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "migrate up"
"$BIN" migrate up >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log" >&2; die "migrate up failed"; }

# A fresh operator per run: `banyan operator` keeps the password of an existing
# user, and the database may be reused.
export E2E_OPERATOR_EMAIL=${E2E_OPERATOR_EMAIL:-ops-e2e-$(date +%s)-$RANDOM@example.com}
export E2E_OPERATOR_PASSWORD=${E2E_OPERATOR_PASSWORD:-e2e-operator-$RANDOM$RANDOM}
BANYAN_OPERATOR_PASSWORD="$E2E_OPERATOR_PASSWORD" "$BIN" operator "$E2E_OPERATOR_EMAIL" superadmin >"$WORK/operator.log" 2>&1 ||
	{ cat "$WORK/operator.log" >&2; die "creating the operator failed"; }

PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
unset BANYAN_DEFAULT_TENANT
export BANYAN_ADDR=127.0.0.1:$PORT
export BANYAN_BASE_DOMAIN=localhost
export BANYAN_PUBLIC_URL=http://localhost:$PORT
export BANYAN_DATA_DIR=$WORK/data
# Settle commissions every 2s (default 1m) so that journey.test.js sees a
# commission become available without waiting a minute.
export BANYAN_SETTLE_EVERY=${BANYAN_SETTLE_EVERY:-2s}
mkdir -p "$BANYAN_DATA_DIR"
log "serve on :$PORT"
"$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

ready=""
for _ in $(seq 1 150); do
	if ! kill -0 "$SERVER_PID" 2>/dev/null; then
		die "the server exited during start-up"
	fi
	if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "http://127.0.0.1:$PORT/readyz" 2>/dev/null; then
		ready=1
		break
	fi
	sleep 0.2
done
[ -n "$ready" ] || die "the server was not ready within 30s"

export E2E_BASE_URL=http://localhost:$PORT
export E2E_PORT=$PORT
mkdir -p "$E2E_DIR/output"
log "running tests (base $E2E_BASE_URL)"
cd "$E2E_DIR"
start=$SECONDS
set +e
node --test --test-concurrency=1 --test-reporter=spec ${E2E_TESTS:-tests/*.test.js}
rc=$?
set -e
log "tests finished in $((SECONDS - start))s (exit $rc); screenshots in admin-ui/e2e/output/"
exit $rc
