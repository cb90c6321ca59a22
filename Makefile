# Banyan. `make run` serves a demo shop on :8080; `make test` runs every test
# against a throwaway PostgreSQL (DESIGN.md §8). Scripts live in core/scripts.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build

PORT ?= 8080
DATA_DIR ?= .data
PLUGIN_DIR ?= bin/plugins

.PHONY: build plugins ui proto run test bench pg-start pg-stop clean

build:
	go build -o bin/banyan ./core/cmd/banyan

plugins:
	@if [ -f plugins/build.sh ]; then bash plugins/build.sh $(PLUGIN_DIR); \
	else echo "plugins: no plugins/build.sh, nothing to build"; fi

ui:
	@bash core/scripts/ui.sh

proto:
	@if [ -f sdk/proto/gen.sh ]; then bash sdk/proto/gen.sh; \
	else echo "proto: no sdk/proto/gen.sh"; fi

run: build plugins ui
	PORT=$(PORT) DATA_DIR=$(DATA_DIR) PLUGIN_DIR=$(PLUGIN_DIR) bash core/scripts/run.sh

test:
	DATA_DIR=$(DATA_DIR) PLUGIN_DIR=$(PLUGIN_DIR) bash core/scripts/test.sh

bench:
	DATA_DIR=$(DATA_DIR) PLUGIN_DIR=$(PLUGIN_DIR) bash core/scripts/bench.sh

# The project-local cluster that `make run` uses, for working beside a running server.
pg-start:
	@su=$$(bash core/scripts/pg.sh start $(DATA_DIR)/pg | tail -n1); bash core/scripts/pg.sh bootstrap "$$su" banyan

pg-stop:
	bash core/scripts/pg.sh stop $(DATA_DIR)/pg

# Keeps $(DATA_DIR): it holds the demo database.
clean:
	rm -rf bin
