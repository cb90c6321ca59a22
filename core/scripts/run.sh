#!/usr/bin/env bash
# run.sh: `make run` (DESIGN.md §8). Without DATABASE_URL it starts the
# project-local PostgreSQL in $DATA_DIR/pg (data kept across runs), then
# migrates, seeds and serves in the foreground. Ctrl-C (or TERM) stops the
# server and the PostgreSQL this script started, not one that was already up.
#
# Reads PORT (8080), DATA_DIR (.data), PLUGIN_DIR (bin/plugins), DATABASE_URL,
# MIGRATE_DATABASE_URL. The server gets BANYAN_ADDR, BANYAN_PLUGIN_DIR,
# BANYAN_DATA_DIR, DATABASE_URL and MIGRATE_DATABASE_URL.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PG_SH=core/scripts/pg.sh
PORT=${PORT:-8080}
DATA_DIR=${DATA_DIR:-.data}
PLUGIN_DIR=${PLUGIN_DIR:-bin/plugins}

PGDIR=""
SERVER=""

stop_server() {
	local sig=${1:-TERM} i
	[ -n "$SERVER" ] || return 0
	kill -"$sig" "$SERVER" 2>/dev/null || true
	for i in $(seq 1 150); do
		kill -0 "$SERVER" 2>/dev/null || break
		sleep 0.2
	done
	kill -KILL -- -"$SERVER" 2>/dev/null || true
	wait "$SERVER" 2>/dev/null || true
	SERVER=""
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	stop_server TERM
	if [ -n "$PGDIR" ]; then bash "$PG_SH" stop "$PGDIR" || true; fi
	exit "$rc"
}
on_signal() {
	echo >&2
	echo "run: caught SIG$1, shutting down" >&2
	stop_server "$1"
	case $1 in INT) exit 130 ;; HUP) exit 129 ;; *) exit 143 ;; esac
}
trap cleanup EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

mkdir -p "$DATA_DIR"
# CJK font for share posters (installed when missing and root; never fatal).
bash core/scripts/font.sh || true
if [ -z "${DATABASE_URL:-}" ]; then
	if ! bash "$PG_SH" status "$DATA_DIR/pg"; then
		PGDIR=$DATA_DIR/pg # ours: stopped on exit
	fi
	su_url=$(bash "$PG_SH" start "$DATA_DIR/pg" | tail -n1)
	urls=$(bash "$PG_SH" bootstrap "$su_url" banyan)
	DATABASE_URL=$(sed -n 's/^DATABASE_URL=//p' <<<"$urls")
	MIGRATE_DATABASE_URL=$(sed -n 's/^MIGRATE_DATABASE_URL=//p' <<<"$urls")
	export DATABASE_URL MIGRATE_DATABASE_URL
fi

export BANYAN_ADDR=":$PORT" BANYAN_PLUGIN_DIR=$PLUGIN_DIR BANYAN_DATA_DIR=$DATA_DIR
export BANYAN_DEFAULT_TENANT=${BANYAN_DEFAULT_TENANT:-demo}
export BANYAN_PUBLIC_URL=${BANYAN_PUBLIC_URL:-http://localhost:$PORT}
bin/banyan migrate up
logins=$(bin/banyan seed)

cat >&2 <<BANNER

  Banyan is starting on http://localhost:$PORT
    storefront (demo shop)  http://localhost:$PORT/   (also http://demo.localhost:$PORT/)
    admin consoles          http://localhost:$PORT/admin/
    API                     http://localhost:$PORT/api/v1/   (OpenAPI: /api/v1/openapi.json)
    health                  http://localhost:$PORT/healthz  /readyz  /metrics
    database                ${DATABASE_URL%%\?*}
$logins
  Ctrl-C stops everything this command started.

BANNER
# Own session: a signal reaches the server once, from here, and the
# PostgreSQL shutdown waits until the server is gone.
setsid bin/banyan serve &
SERVER=$!
rc=0
wait "$SERVER" || rc=$?
SERVER=""
exit "$rc"
