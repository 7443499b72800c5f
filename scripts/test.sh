#!/usr/bin/env bash
# The whole test suite, as CI runs it: set-up (idempotent), a throw-away PostgreSQL server for the
# store tests, lint and type checks, the shipped rules check, then pytest. Extra arguments go to
# pytest (e.g. `bash scripts/test.sh -k vad`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -f scripts/pg_ci.sh ]; then
  # shellcheck disable=SC1091
  source scripts/pg_ci.sh
fi
.venv/bin/ruff check voiceassist tests scripts
.venv/bin/mypy
.venv/bin/voiceassist rules check
mkdir -p test-artifacts
set +e
.venv/bin/pytest "$@"
rc=$?
set -e
if [ $rc -eq 5 ]; then
  echo "pytest: no tests were collected" >&2
fi
exit $rc
