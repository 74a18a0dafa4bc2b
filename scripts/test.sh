#!/usr/bin/env bash
# Every test: type-check, import graph, lint, build, then every file of test/ (unit, CLI, real registries).
# Usage: scripts/test.sh [test files or globs...] (default: test/**/*.test.ts)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node.sh
logs=$(mktemp -d "${TMPDIR:-/tmp}/seal-checks.XXXXXX")
names=() pids=()
# A failed build ends the run: the checks still running go with it.
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$logs"' EXIT

# The type check with the lint, and the format check, run beside the tests (each one single-threaded
# process; the tests spend part of their time waiting on registries and the Sigstore stack, which
# these fill); their output and verdict come after the tests' output, and either failing fails the run.
echo "== typecheck (node $(node --version)) with lint (typescript-eslint: floating and misused promises), and format (prettier), beside the tests" >&2
step() {
  local name=$1
  shift
  (exec "$@") >"$logs/$name" 2>&1 &
  names+=("$name") pids+=($!)
}
# tsc --noEmit -p tsconfig.json and eslint . over one TypeScript program (scripts/check.mjs says why).
step typecheck-lint node scripts/check.mjs
# The formatter (prettier, .prettierrc.json): `npm run format` writes what this checks.
step format node_modules/.bin/prettier --check --log-level warn '**/*.{ts,mjs,js,cjs}'

# The import graph and the build before the tests, which run the dist/ it makes. The build skips
# tsc's type check (--noCheck): the typecheck step does it, over src and test.
echo "== import graph (cycles, layers) and build" >&2
node scripts/check-imports.ts >&2
rm -rf dist
node_modules/.bin/tsc -p tsconfig.build.json --noCheck
node scripts/check-dist-imports.mjs

echo "== tests" >&2
# Each file in a process of its own, longest first, one more at a time than there are CPUs (most
# files also wait on registries and the Sigstore stack); 60 s per test: one that needs more is a
# bug to fix, not a limit to raise. scripts/run-tests.mjs says why not plain `node --test`.
# Spawned seal processes run the dist/ just built from these sources (test/helpers/run-cli.ts:
# SEAL_RUN_ENV), a third of the start-up CPU of running src/ with type stripping.
tests=0
SEAL_TEST_BUILT_DIST=1 node scripts/run-tests.mjs --timeout=60000 "$@" | tee "$logs/tests" || tests=$?

failed=()
for i in "${!pids[@]}"; do
  if wait "${pids[$i]}"; then status=ok; else status=FAILED; failed+=("${names[$i]}"); fi
  echo "== ${names[$i]}: $status" >&2
  cat "$logs/${names[$i]}" >&2
done
[ "$tests" = 0 ] || failed+=(tests)
# The tests' closing line (N passed, N failed, N skipped) again, last, for whatever reads the end.
tail -n 1 "$logs/tests"
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed: ${failed[*]}" >&2
  exit 1
fi
exit 0
