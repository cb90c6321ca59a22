#!/usr/bin/env bash
# Regenerates the Go code for sdk/proto/banyan/v1/*.proto.
# Needs protoc (Debian: protobuf-compiler); installs pinned protoc-gen-go and
# protoc-gen-go-grpc into sdk/proto/.bin so every run emits the same code.
set -euo pipefail

cd "$(dirname "$0")"
PROTOC_GEN_GO=v1.36.12
PROTOC_GEN_GO_GRPC=v1.6.2

if ! command -v protoc >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq protobuf-compiler >/dev/null
  else
    echo "gen.sh: protoc missing: install protobuf-compiler" >&2
    exit 1
  fi
fi

export GOBIN="$PWD/.bin"
[ -x "$GOBIN/protoc-gen-go" ] || go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO"
[ -x "$GOBIN/protoc-gen-go-grpc" ] || go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC"

PATH="$GOBIN:$PATH" protoc -I . \
  --go_out=. --go_opt=paths=source_relative \
  --go-grpc_out=. --go-grpc_opt=paths=source_relative \
  banyan/v1/*.proto
