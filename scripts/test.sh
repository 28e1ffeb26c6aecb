#!/usr/bin/env bash
# The whole test suite: typecheck, tier check, unit tests, then end-to-end tests against real berthd/runc/conmon.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
echo "== typecheck"
npx tsc --noEmit -p .
echo "== layers"
node scripts/check-layers.ts
echo "== build (the CLI bundle the e2e tests run)"
npm run --silent build
echo "== tests"
# Unit tests run in parallel; e2e files each start their own daemon and run one at a time.
node --test --test-concurrency=2 'src/**/*.test.ts' 'scripts/*.test.ts'
node --test --test-concurrency=1 'test/e2e/*.test.ts'
