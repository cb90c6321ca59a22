#!/usr/bin/env bash
# pg.sh manages a project-local PostgreSQL cluster (DESIGN.md §8).
#
#   pg.sh start DIR                     init (if needed) and start; last stdout line: superuser URL
#   pg.sh stop DIR                      fast shutdown; no error when not running
#   pg.sh status DIR                    exit 0 when running, 3 when not
#   pg.sh url DIR                       print the superuser URL
#   pg.sh bindir                        print the server binaries' directory (installing if missing)
#   pg.sh bootstrap SUPERUSER_URL DB    roles banyan (owner) and banyan_app (server), database DB;
#                                       prints DATABASE_URL=... and MIGRATE_DATABASE_URL=...
#
# Layout of DIR: data/ (PGDATA), run/ (unix socket), PORT, log.
# PostgreSQL refuses to run as root, so as root the cluster belongs to the
# unprivileged `postgres` user created by Debian's package.
set -euo pipefail

FIRST_PORT=55432
PG_USER=postgres
PORT_LOCK=${TMPDIR:-/tmp}/banyan-pg-port.lock

log() { echo "pg.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# as_pg runs a command as the cluster's owner, from / so that a cwd the
# owner cannot read (e.g. /root) does not trouble the PostgreSQL tools.
as_pg() {
	if is_root; then
		(cd / && runuser -u "$PG_USER" -- "$@")
	else
		(cd / && "$@")
	fi
}

apt_install() {
	local pkg=$1
	if ! is_root; then
		die "PostgreSQL is not installed; install the Debian package '$pkg' (apt-get install -y $pkg) and retry"
	fi
	log "installing Debian package '$pkg'"
	apt-get update >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y "$pkg" >&2
}

# find_bindir prints the directory of the newest PostgreSQL server binaries.
find_bindir() {
	local d
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir 2>/dev/null || true)
		if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
			echo "$d"
			return 0
		fi
	fi
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5 -V | tail -n1 || true)
	if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
		echo "$d"
		return 0
	fi
	return 1
}

ensure_bindir() {
	if ! BINDIR=$(find_bindir); then
		apt_install postgresql
		BINDIR=$(find_bindir) || die "PostgreSQL server binaries still not found after installing 'postgresql'"
	fi
	if is_root && ! id "$PG_USER" >/dev/null 2>&1; then
		log "creating system user '$PG_USER'"
		useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash "$PG_USER"
	fi
}

ensure_psql() {
	if command -v psql >/dev/null 2>&1; then
		PSQL=psql
	elif BINDIR=$(find_bindir) && [ -x "$BINDIR/psql" ]; then
		PSQL=$BINDIR/psql
	else
		apt_install postgresql-client
		PSQL=psql
	fi
}

# abs DIR prints DIR as an absolute path (DIR need not exist).
abs() {
	case $1 in
	/*) echo "$1" ;;
	*) echo "$PWD/$1" ;;
	esac
}

# make_traversable lets the cluster owner reach DIR: every ancestor must be
# searchable by it.
make_traversable() {
	local dir=$1 p=""
	is_root || return 0
	local IFS=/
	for part in ${dir#/}; do
		[ -n "$part" ] || continue
		p="$p/$part"
		[ -d "$p" ] || break
		if ! runuser -u "$PG_USER" -- test -x "$p" 2>/dev/null; then
			log "chmod o+x $p (so that $PG_USER can reach the cluster)"
			chmod o+x "$p"
		fi
	done
}

port_in_use() {
	local port=$1
	if command -v ss >/dev/null 2>&1; then
		ss -Htln "sport = :$port" 2>/dev/null | grep -q . && return 0
	fi
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
	return 1
}

free_port() {
	local port=$1
	while port_in_use "$port"; do
		port=$((port + 1))
		[ "$port" -lt 65535 ] || die "no free TCP port from $FIRST_PORT upward"
	done
	echo "$port"
}

superuser_url() { echo "postgres://postgres@127.0.0.1:$1/postgres?sslmode=disable"; }

read_port() {
	local dir=$1
	[ -s "$dir/PORT" ] || die "no cluster in $dir (missing $dir/PORT); run: pg.sh start $dir"
	tr -d '[:space:]' <"$dir/PORT"
}

running() {
	local dir=$1
	[ -f "$dir/data/PG_VERSION" ] || return 1
	as_pg "$BINDIR/pg_ctl" status -D "$dir/data" >/dev/null 2>&1
}

write_conf() {
	local dir=$1 port=$2
	# Rewritten on every start so that settings below apply to old clusters too.
	cat >"$dir/data/banyan.conf" <<EOF
# Managed by core/scripts/pg.sh; rewritten on every start.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/run'
max_connections = 200
shared_buffers = 256MB
# Durability stays on: orders, payments and commissions rely on it (DESIGN.md §9).
fsync = on
synchronous_commit = on
full_page_writes = on
EOF
	if is_root; then chown "$PG_USER:" "$dir/data/banyan.conf"; fi
	chmod 600 "$dir/data/banyan.conf"
}

cmd_start() {
	local dir
	dir=$(abs "$1")
	ensure_bindir
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd -P)
	make_traversable "$dir"
	chmod 755 "$dir"
	mkdir -p "$dir/run"
	if is_root; then chown "$PG_USER:" "$dir" "$dir/run"; fi

	if running "$dir"; then
		log "already running in $dir"
		superuser_url "$(read_port "$dir")"
		return 0
	fi

	if [ ! -f "$dir/data/PG_VERSION" ]; then
		if [ -e "$dir/data" ] && [ -n "$(ls -A "$dir/data" 2>/dev/null)" ]; then
			die "$dir/data exists, is not empty and holds no cluster; remove it or choose another DIR"
		fi
		if is_root && [ -d "$dir/data" ]; then chown "$PG_USER:" "$dir/data"; fi
		local locale=C
		if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale=C.UTF-8; fi
		log "initdb in $dir/data (locale $locale)"
		as_pg "$BINDIR/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=trust \
			-E UTF8 --locale="$locale" >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; die "initdb failed"; }
		echo "include_if_exists = 'banyan.conf'" >>"$dir/data/postgresql.conf"
	fi

	# Choosing a port and binding it is serialized across concurrent starts;
	# a bind failure (something grabbed the port meanwhile) moves on to the next one.
	exec 9>>"$PORT_LOCK"
	chmod 666 "$PORT_LOCK" 2>/dev/null || true
	flock 9
	local port attempt
	if [ -s "$dir/PORT" ]; then port=$(read_port "$dir"); else port=$FIRST_PORT; fi
	for attempt in 1 2 3 4 5 6 7 8 9 10; do
		port=$(free_port "$port")
		echo "$port" >"$dir/PORT"
		write_conf "$dir" "$port"
		# 9>&-: the postmaster must not inherit (and so hold) the port lock.
		if as_pg "$BINDIR/pg_ctl" start -w -t 60 -D "$dir/data" -l "$dir/log" >/dev/null 2>&1 9>&-; then
			break
		fi
		if tail -n 20 "$dir/log" 2>/dev/null | grep -qiE 'could not (bind|create listen)|address already in use'; then
			log "port $port taken meanwhile, trying the next one"
			port=$((port + 1))
			continue
		fi
		tail -n 30 "$dir/log" >&2 || true
		die "pg_ctl start failed (log: $dir/log)"
	done
	flock -u 9
	exec 9>&-
	running "$dir" || die "could not start PostgreSQL in $dir (log: $dir/log)"
	log "started in $dir on 127.0.0.1:$port"
	superuser_url "$port"
}

cmd_stop() {
	local dir
	dir=$(abs "$1")
	[ -f "$dir/data/PG_VERSION" ] || return 0
	BINDIR=$(find_bindir) || return 0
	if running "$dir"; then
		as_pg "$BINDIR/pg_ctl" stop -D "$dir/data" -m fast -w -t 60 >/dev/null ||
			as_pg "$BINDIR/pg_ctl" stop -D "$dir/data" -m immediate -w -t 30 >/dev/null
		log "stopped $dir"
	fi
}

cmd_status() {
	local dir
	dir=$(abs "$1")
	BINDIR=$(find_bindir) || exit 3
	running "$dir" || exit 3
}

cmd_url() {
	superuser_url "$(read_port "$(abs "$1")")"
}

# url_with_db URL DB replaces the database in a postgres:// URL.
url_with_db() {
	local url=$1 db=$2 query=""
	case $url in *\?*) query="?${url#*\?}" ;; esac
	url=${url%%\?*}
	local rest=${url#*://}
	case $rest in
	*/*) url="${url%/*}/$db" ;;
	*) url="$url/$db" ;;
	esac
	echo "$url$query"
}

cmd_bootstrap() {
	local su_url=$1 db=$2
	[[ $db =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "database name '$db' must match [A-Za-z_][A-Za-z0-9_]*"
	ensure_psql
	local hostport=${su_url#*://}
	hostport=${hostport#*@}
	hostport=${hostport%%/*}
	hostport=${hostport%%\?*}

	local psql=("$PSQL" -X -q -v ON_ERROR_STOP=1)
	export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
	"${psql[@]}" -d "$su_url" -v db="$db" >/dev/null <<'SQL'
DO $$
BEGIN
	CREATE ROLE banyan;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
ALTER ROLE banyan LOGIN CREATEDB CREATEROLE NOSUPERUSER PASSWORD 'banyan';
DO $$
BEGIN
	CREATE ROLE banyan_app;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
-- The server's role: no ownership, no RLS bypass (DESIGN.md §3).
ALTER ROLE banyan_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'banyan_app';
SELECT format('CREATE DATABASE %I OWNER banyan', :'db')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
	# Migrations use trigram search and only a superuser may create pg_trgm;
	# template1 carries it into every per-test database.
	local d
	for d in "$db" template1; do
		"${psql[@]}" -d "$(url_with_db "$su_url" "$d")" >/dev/null \
			-c 'CREATE EXTENSION IF NOT EXISTS pg_trgm'
	done
	echo "DATABASE_URL=postgres://banyan_app:banyan_app@$hostport/$db?sslmode=disable"
	echo "MIGRATE_DATABASE_URL=postgres://banyan:banyan@$hostport/$db?sslmode=disable"
}

usage() {
	sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

[ $# -ge 1 ] || usage
case $1 in
start) [ $# -eq 2 ] || usage; cmd_start "$2" ;;
stop) [ $# -eq 2 ] || usage; cmd_stop "$2" ;;
status) [ $# -eq 2 ] || usage; cmd_status "$2" ;;
url) [ $# -eq 2 ] || usage; cmd_url "$2" ;;
bindir) [ $# -eq 1 ] || usage; ensure_bindir; echo "$BINDIR" ;;
bootstrap) [ $# -eq 3 ] || usage; cmd_bootstrap "$2" "$3" ;;
*) usage ;;
esac
