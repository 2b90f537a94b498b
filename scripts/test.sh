#!/usr/bin/env bash
# Runs every test against a real PostgreSQL. Without DATABASE_URL the tests
# start a private cluster in .data/testpg (dbtest; as root, when postgres
# cannot reach the clone, under /var/lib/rowflow/<hash>) and this script
# stops it at the end. Fuzz targets run their seed corpora as ordinary tests.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
go test -count=1 -timeout 20m ./... || status=$?
if [ -z "${DATABASE_URL:-}" ]; then
  go run ./cmd/rowflow pg stop -dir .data/testpg || true
fi
exit $status
