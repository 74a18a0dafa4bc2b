#!/usr/bin/env bash
# Every test: build, type check, lint, format, then every file of test/ (unit, CLI, real registries;
# the import graph's check is test/unit/repo/import-graph.test.ts).
# Usage: scripts/test.sh [test files or globs...] (default: test/**/*.test.ts)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node.sh
logs=$(mktemp -d "${TMPDIR:-/tmp}/seal-checks.XXXXXX")
names=() pids=()
# A failed build ends the run: the checks still running go with it.
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$logs"' EXIT

# The build, then the type check with the lint, in one process over one TypeScript program
# (scripts/check.mjs says why): the tests start as soon as dist/ is built (they run it), while the
# type check, the lint and the format check go on beside them (each one single-threaded process;
# the tests spend part of their time waiting on registries and the Sigstore stack, which these
# fill). Their output and verdict come after the tests' output, and any failing fails the run.
echo "== build, typecheck (node $(node --version)) with lint (typescript-eslint: floating and misused promises), and format (prettier)" >&2
step() {
  local name=$1
  shift
  (exec "$@") >"$logs/$name" 2>&1 &
  names+=("$name") pids+=($!)
}
# The build skips tsc's type check (--noCheck): the type check does it, over src and test.
step build-typecheck-lint node scripts/check.mjs --build="$logs/built"
# The formatter (prettier, .prettierrc.json): `npm run format` writes what this checks.
step format node_modules/.bin/prettier --check --log-level warn '**/*.{ts,mjs,js,cjs}'
# Until the build is there (check.mjs writes `ok` or `failed` to $logs/built once dist/ is written).
until [ -s "$logs/built" ]; do
  kill -0 "${pids[0]}" 2>/dev/null || break
  sleep 0.1
done
if [ "$(cat "$logs/built" 2>/dev/null)" != ok ]; then
  wait "${pids[0]}" || true
  cat "$logs/build-typecheck-lint" >&2
  echo "failed: build" >&2
  exit 1
fi

echo "== tests" >&2
# Files in batches of about 20 s, one process each, longest first, one process more at a time than
# there are CPUs (most files also wait on registries and the Sigstore stack); 60 s per test: one that needs more is a
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
# The tests' closing line (N passed, N failed, N skipped, N todo) again, last, for whatever reads the end.
tail -n 1 "$logs/tests"
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed: ${failed[*]}" >&2
  exit 1
fi
exit 0
