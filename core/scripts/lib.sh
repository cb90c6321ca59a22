# lib.sh: shared by test.sh and bench.sh (sourced, not run).
#
# Gives a throwaway PostgreSQL cluster that is stopped and deleted whatever
# happens (success, failure, Ctrl-C, TERM, HUP), and a step runner that runs
# each step in its own session so that a signal reaches everything the step
# started (go test and its test binaries, npm, browsers), then prints a summary.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SCRIPTS=$REPO_ROOT/core/scripts
PG_SH=$SCRIPTS/pg.sh
cd "$REPO_ROOT"

DATA_DIR=${DATA_DIR:-.data}
case $DATA_DIR in /*) ;; *) DATA_DIR=$REPO_ROOT/$DATA_DIR ;; esac
PLUGIN_DIR=${PLUGIN_DIR:-bin/plugins}
case $PLUGIN_DIR in /*) ;; *) PLUGIN_DIR=$REPO_ROOT/$PLUGIN_DIR ;; esac
MAKE=${MAKE:-make}

THROWAWAY_DIR=""
CHILD=""
CURRENT_STEP=""
STEP_NAMES=()
STEP_RESULTS=()
STEP_SECONDS=()
FAILED=0
SUMMARY_PRINTED=0
SUMMARY_TITLE=${SUMMARY_TITLE:-summary}

say() { printf '\n==> %s\n' "$*" >&2; }

# kill_child stops the running step's whole session: politely, then firmly.
kill_child() {
	local sig=${1:-TERM} i
	[ -n "$CHILD" ] || return 0
	kill -"$sig" -- -"$CHILD" 2>/dev/null || kill -"$sig" "$CHILD" 2>/dev/null || true
	for i in $(seq 1 100); do
		kill -0 -- -"$CHILD" 2>/dev/null || break
		sleep 0.2
	done
	kill -KILL -- -"$CHILD" 2>/dev/null || true
	wait "$CHILD" 2>/dev/null || true
	CHILD=""
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	kill_child TERM
	if [ "$SUMMARY_PRINTED" -eq 0 ] && [ "${#STEP_NAMES[@]}" -gt 0 ]; then
		[ "$rc" -eq 0 ] || FAILED=1
		summary
	fi
	if [ -n "$THROWAWAY_DIR" ]; then
		bash "$PG_SH" stop "$THROWAWAY_DIR" || true
		rm -rf "$THROWAWAY_DIR"
	fi
	exit "$rc"
}

on_signal() {
	local sig=$1
	echo >&2
	say "caught SIG$sig: stopping the current step and the throwaway PostgreSQL"
	kill_child "$sig"
	if [ -n "$CURRENT_STEP" ]; then
		STEP_NAMES+=("$CURRENT_STEP")
		STEP_RESULTS+=("INTERRUPTED (SIG$sig)")
		STEP_SECONDS+=(0)
		CURRENT_STEP=""
	fi
	case $sig in INT) exit 130 ;; HUP) exit 129 ;; *) exit 143 ;; esac
}

trap cleanup EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

# reap_stale removes throwaway clusters whose script died without cleaning up
# (SIGKILL, power loss); a live owner's cluster is left alone.
reap_stale() {
	local d pid
	for d in "$DATA_DIR"/pg-test-* "$DATA_DIR"/pg-bench-*; do
		[ -d "$d" ] || continue
		pid=${d##*-}
		[[ $pid =~ ^[0-9]+$ ]] || continue
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "removing stale throwaway cluster $d" >&2
			bash "$PG_SH" stop "$d" || true
			rm -rf "$d"
		fi
	done
}

# start_throwaway_pg KIND starts $DATA_DIR/pg-KIND-$$, bootstraps database
# banyan in it and exports what the tests read.
start_throwaway_pg() {
	local kind=$1 su_url urls
	mkdir -p "$DATA_DIR"
	reap_stale
	THROWAWAY_DIR=$DATA_DIR/pg-$kind-$$
	rm -rf "$THROWAWAY_DIR"
	su_url=$(bash "$PG_SH" start "$THROWAWAY_DIR" | tail -n1)
	urls=$(bash "$PG_SH" bootstrap "$su_url" banyan)
	local port=${su_url#*127.0.0.1:}
	port=${port%%/*}
	export BANYAN_TEST_PG="postgres://banyan:banyan@127.0.0.1:$port/postgres?sslmode=disable"
	export BANYAN_TEST_APP_USER=banyan_app
	export BANYAN_TEST_APP_PASSWORD=banyan_app
	export BANYAN_TEST_SUPERUSER_URL=$su_url
	export BANYAN_PLUGIN_DIR=$PLUGIN_DIR
	# For steps that run the whole server (e2e, benchmarks over HTTP): the
	# bootstrapped database `banyan` and its two roles.
	TEST_DATABASE_URL=$(sed -n 's/^DATABASE_URL=//p' <<<"$urls")
	TEST_MIGRATE_DATABASE_URL=$(sed -n 's/^MIGRATE_DATABASE_URL=//p' <<<"$urls")
	export TEST_DATABASE_URL TEST_MIGRATE_DATABASE_URL
	echo "throwaway PostgreSQL: $su_url (dir $THROWAWAY_DIR)" >&2
}

# ensure_font installs the CJK font of share posters (fonts-wqy-microhei)
# when it is missing and we are root. Never fails: a missing font only
# makes Chinese text on posters render as '?'.
ensure_font() {
	bash "$SCRIPTS/font.sh" || true
}

# step NAME CMD... runs CMD in its own session and records the outcome.
# Returns CMD's status (callers decide whether a failure is fatal).
step() {
	local name=$1 rc start
	shift
	say "$name"
	start=$SECONDS
	CURRENT_STEP=$name
	setsid "$@" &
	CHILD=$!
	rc=0
	wait "$CHILD" || rc=$?
	CHILD=""
	CURRENT_STEP=""
	STEP_NAMES+=("$name")
	STEP_SECONDS+=($((SECONDS - start)))
	if [ "$rc" -eq 0 ]; then
		STEP_RESULTS+=("ok")
	else
		STEP_RESULTS+=("FAIL (exit $rc)")
		FAILED=1
	fi
	return "$rc"
}

skip() {
	STEP_NAMES+=("$1")
	STEP_RESULTS+=("skipped: $2")
	STEP_SECONDS+=(0)
}

summary() {
	local i
	SUMMARY_PRINTED=1
	{
		printf '\n==> %s\n' "$SUMMARY_TITLE"
		for i in "${!STEP_NAMES[@]}"; do
			printf '  %-30s %-32s %5ss\n' "${STEP_NAMES[$i]}" "${STEP_RESULTS[$i]}" "${STEP_SECONDS[$i]}"
		done
		if [ "$FAILED" -eq 0 ]; then echo "==> PASS"; else echo "==> FAIL"; fi
	} >&2
}
