# rowflow — run `make help` for the targets.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/rowflow
SQLC_VERSION := v1.31.1

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

build: ## build bin/rowflow
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/rowflow

run: build ## start everything: private PostgreSQL (unless DATABASE_URL), migrations, API, workers
	./$(BIN) serve

test: ## run every test against a real PostgreSQL (private cluster unless DATABASE_URL)
	@bash scripts/test.sh

test-reliability: ## the fault suite: outages, crash, lost database, upgrade guards, short fuzzing; prints figures (docs/reliability.md)
	@bash scripts/reliability.sh

bench: build ## measure trigger latency, throughput and cost (bench/results/), plus Go benchmarks
	./$(BIN) bench $(BENCHFLAGS)

gobench: ## Go micro-benchmarks of the hot pure functions
	$(GO) test -run='^$$' -bench=. -benchmem ./condition/... ./formula/... ./template/... ./outbound/...

generate: .bin/sqlc ## regenerate db/ from queries/ and migrations/
	.bin/sqlc generate

verify: generate ## fail if generated code, formatting or go.mod are not current
	$(GO) mod tidy
	gofmt -l $$(git ls-files '*.go') | (! grep .)
	$(GO) vet ./...
	git diff --exit-code -- db go.mod go.sum

lint: ## go vet + gofmt
	$(GO) vet ./...
	gofmt -l $$(git ls-files '*.go') | (! grep .)

.bin/sqlc:
	CGO_ENABLED=0 GOBIN=$(CURDIR)/.bin $(GO) install github.com/sqlc-dev/sqlc/cmd/sqlc@$(SQLC_VERSION)

deps: ## install the PostgreSQL server binaries if missing (root on Debian/Ubuntu: apt-get install -y postgresql)
	$(GO) run ./cmd/rowflow pg install

clean: ## stop the private clusters (.data/pg of make run, .data/testpg of make test; also when placed under /var/lib/rowflow) and remove build output (keeps .data)
	-$(GO) run ./cmd/rowflow pg stop -dir .data/pg
	-$(GO) run ./cmd/rowflow pg stop -dir .data/testpg
	rm -rf bin

.PHONY: help build run test test-reliability bench gobench generate verify lint deps clean
