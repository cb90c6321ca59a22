#!/usr/bin/env bash
# Builds every plugin (a plugins/<name>/ directory with a manifest.json) into
# OUTDIR/<name> and writes OUTDIR/<name>.manifest.json: the manifest plus
# "binary" and "sha256" of the binary, which the host checks before running it.
#
#   bash plugins/build.sh bin/plugins
set -euo pipefail

out=${1:?usage: plugins/build.sh OUTDIR}
cd "$(dirname "$0")/.."
mkdir -p "$out"

pkgs=()
for manifest in plugins/*/manifest.json; do
  pkgs+=("./$(dirname "$manifest")")
done
[ ${#pkgs[@]} -gt 0 ] || { echo "build.sh: no plugins" >&2; exit 1; }

# One go build for all: the packages share one compile of their dependencies.
CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$out/" "${pkgs[@]}"

for pkg in "${pkgs[@]}"; do
  name=$(basename "$pkg")
  sum=$(sha256sum "$out/$name" | cut -d' ' -f1)
  tmp=$(mktemp "$out/.$name.XXXXXX")
  if command -v jq >/dev/null; then
    jq --arg sum "$sum" --arg bin "$name" '. + {binary: $bin, sha256: $sum}' "$pkg/manifest.json" >"$tmp"
  else
    python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); m.update(binary=sys.argv[2], sha256=sys.argv[3]); print(json.dumps(m, indent=2, ensure_ascii=False))' \
      "$pkg/manifest.json" "$name" "$sum" >"$tmp"
  fi
  chmod 644 "$tmp"
  mv "$tmp" "$out/$name.manifest.json"
  echo "$out/$name  sha256 $sum"
done
