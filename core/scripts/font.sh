#!/usr/bin/env bash
# font.sh makes sure share posters have a CJK font (core/distribution):
# BANYAN_FONT_FILE, or one of the Debian font files the server looks for.
# When none is there and we are root, it installs fonts-wqy-microhei. It
# never fails: without a font posters render Chinese text as '?' (and
# TestShareImages says which package to install).
set -uo pipefail

PKG=fonts-wqy-microhei
FILES=(
	/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
	/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
	/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
)

log() { echo "font.sh: $*" >&2; }

have_font() {
	local f
	if [ -n "${BANYAN_FONT_FILE:-}" ]; then
		[ -r "$BANYAN_FONT_FILE" ] && return 0
		log "warning: BANYAN_FONT_FILE=$BANYAN_FONT_FILE is not readable"
	fi
	for f in "${FILES[@]}"; do
		[ -r "$f" ] && return 0
	done
	return 1
}

have_font && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	log "warning: no CJK font: share posters will render Chinese text as '?'; install the Debian package '$PKG' (apt-get install -y $PKG) or set BANYAN_FONT_FILE"
	exit 0
fi
log "installing Debian package '$PKG' (CJK font for share posters)"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y "$PKG" >&2; then
	apt-get update >&2 && apt-get install -y "$PKG" >&2
fi
have_font || log "warning: could not install '$PKG': share posters will render Chinese text as '?'"
exit 0
