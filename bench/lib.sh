# Sourced by the bench/*.sh scripts. `bench_setup NAME` makes the scratch dir $W (removed on exit)
# and a private build of seal in it, so a bench neither needs nor disturbs the shared dist/; $SEAL
# runs that build. `bench_key` writes an unencrypted P-256 $W/key.pem and $W/key.pub with openssl.
bench_setup() {
  W=$(mktemp -d "${BENCH_DIR:-/tmp}/seal-bench-$1.XXXXXX")
  trap 'rm -rf "$W"' EXIT
  mkdir -p "$W/seal/bin"
  cp bin/seal.js bin/package.json "$W/seal/bin/" && cp package.json "$W/seal/" && ln -s "$PWD/node_modules" "$W/seal/node_modules"
  npx tsc -p tsconfig.build.json --outDir "$W/seal/dist" >/dev/null 2>&1 || true
  [ -f "$W/seal/dist/cli/main.js" ] || { echo "build failed" >&2; exit 1; }
  SEAL="node $W/seal/bin/seal.js"
}

bench_key() {
  openssl ecparam -name prime256v1 -genkey -noout -out "$W/key.pem" 2>/dev/null
  openssl pkey -in "$W/key.pem" -pubout -out "$W/key.pub" 2>/dev/null
}

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
best() { sort -n | head -1; }

# time_cmd LABEL CMD...: appends the wall time in ms to $W/t.LABEL
time_cmd() {
  local label=$1; shift
  local t0 t1
  t0=$(now)
  "$@" >/dev/null 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
  t1=$(now)
  echo $(((t1 - t0) / 1000000)) >>"$W/t.$label"
}

# run LABEL CMD...: appends "<ms> <peak RSS KiB>" to $W/t.LABEL (SEAL_PASSWORD=bench for encrypted keys)
run() {
  local label=$1; shift
  local t0 t1
  t0=$(now)
  SEAL_PASSWORD=bench /usr/bin/time -f %M -o "$W/rss" "$@" >/dev/null 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
  t1=$(now)
  echo "$(((t1 - t0) / 1000000)) $(tail -1 "$W/rss")" >>"$W/t.$label"
}
max_rss() { awk '$2>m{m=$2} END{print m}' "$1"; }
