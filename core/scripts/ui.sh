#!/usr/bin/env bash
# ui.sh: `make ui`. Builds admin-ui when it exists; npm install is skipped
# while node_modules is newer than package.json and package-lock.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if [ ! -f admin-ui/package.json ]; then
	echo "ui: no admin-ui/package.json, nothing to build" >&2
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "ui: installing Debian packages nodejs npm" >&2
		apt-get update >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm >&2
	else
		echo "ui: npm not found; install the Debian packages 'nodejs npm'" >&2
		exit 1
	fi
fi
cd admin-ui
fresh=1
[ -d node_modules ] || fresh=0
for f in package.json package-lock.json; do
	if [ -f "$f" ] && [ "$fresh" -eq 1 ] && [ "$f" -nt node_modules ]; then fresh=0; fi
done
if [ "$fresh" -eq 0 ]; then
	if [ -f package-lock.json ]; then npm ci || npm install; else npm install; fi
	touch node_modules
fi
npm run build
