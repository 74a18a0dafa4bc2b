#!/usr/bin/env bash
# Start-up cost: `seal --version` and `seal verify-blob` of a small file against `node -e 0`, in one run.
#   bench/startup.sh [RUNS]      (default 20)
# Goal: each <= 2x `node -e 0`. seal runs from a private build of dist/ (what an installed seal runs),
# after one warm-up run that fills Node's compile cache.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node.sh
RUNS=${1:-20}
. bench/lib.sh
bench_setup startup

echo 'a small release file' >"$W/small.txt"
bench_key
openssl dgst -sha256 -sign "$W/key.pem" -out "$W/small.sig" "$W/small.txt"
SEAL_PASSWORD=x $SEAL sign-blob --key "$W/key.pem" --bundle "$W/small.json" "$W/small.txt" 2>/dev/null


time_cmd warm $SEAL verify-blob --key "$W/key.pub" --signature "$W/small.sig" "$W/small.txt"
time_cmd warm $SEAL verify-blob --key "$W/key.pub" --bundle "$W/small.json" "$W/small.txt"
for i in $(seq "$RUNS"); do
  time_cmd node node -e 0
  time_cmd version $SEAL --version
  time_cmd verify-sig $SEAL verify-blob --key "$W/key.pub" --signature "$W/small.sig" "$W/small.txt"
  time_cmd verify-bundle $SEAL verify-blob --key "$W/key.pub" --bundle "$W/small.json" "$W/small.txt"
  time_cmd help $SEAL --help
done
n=$(median <"$W/t.node")
nb=$(best <"$W/t.node")
printf 'start-up, %d runs: median (best) wall time\n' "$RUNS"
printf '  %-44s %4d ms (%d)\n' "node -e 0" "$n" "$nb"
for l in version verify-sig verify-bundle help; do
  m=$(median <"$W/t.$l")
  b=$(best <"$W/t.$l")
  name=$(case $l in version) echo 'seal --version' ;; verify-sig) echo 'seal verify-blob --signature (small file)' ;;
    verify-bundle) echo 'seal verify-blob --bundle (small file)' ;; help) echo 'seal --help' ;; esac)
  printf '  %-44s %4d ms (%d)  %.2fx node (best %.2fx; goal <= 2)\n' "$name" "$m" "$b" "$(echo "$m/$n" | bc -l)" "$(echo "$b/$nb" | bc -l)"
done
