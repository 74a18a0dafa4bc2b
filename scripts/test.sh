#!/usr/bin/env bash
# Every test: type-check, build, then node --test over test/ (unit, CLI, real registries).
# Usage: scripts/test.sh [test files or globs...]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node.sh
echo "== typecheck (node $(node --version))" >&2
npx tsc --noEmit -p tsconfig.json
echo "== import graph (cycles, layers)" >&2
node scripts/check-imports.ts >&2
echo "== lint (typescript-eslint: floating and misused promises)" >&2
npx eslint .
echo "== build" >&2
npm run -s build
if [ $# -eq 0 ]; then set -- 'test/**/*.test.ts'; fi
echo "== tests" >&2
# A test that needs more than a minute is a bug to fix, not a limit to raise.
exec node --test --test-concurrency=2 --test-timeout=60000 "$@"
