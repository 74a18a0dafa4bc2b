#!/usr/bin/env bash
# generate-key-pair wall time against a bare node:crypto scrypt with cosign's parameters
# (N=65536, r=8, p=1), each a fresh `node` process, in one run.
#   bench/keygen.sh [RUNS]      (default 10)
# Goal: seal <= 1.2x the bare scrypt process. seal runs from a private build of dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node.sh
RUNS=${1:-10}
. bench/lib.sh
bench_setup keygen
BARE='const c=require("node:crypto");c.scryptSync("pw",c.randomBytes(32),32,{N:65536,r:8,p:1,maxmem:256*1024*1024})'


export SEAL_PASSWORD=bench
time_cmd warm $SEAL generate-key-pair --output-key-prefix "$W/warm"
for i in $(seq "$RUNS"); do
  time_cmd bare node -e "$BARE"
  time_cmd seal $SEAL generate-key-pair --output-key-prefix "$W/k" --force
done
b=$(median <"$W/t.bare")
s=$(median <"$W/t.seal")
bb=$(best <"$W/t.bare")
sb=$(best <"$W/t.seal")
printf 'generate-key-pair, %d runs: median (best) wall time\n' "$RUNS"
printf '  %-40s %4d ms (%d)\n' 'node -e scryptSync(N=65536,r=8,p=1)' "$b" "$bb"
printf '  %-40s %4d ms (%d)  %.2fx (best %.2fx; goal <= 1.2)\n' 'seal generate-key-pair' "$s" "$sb" "$(echo "$s/$b" | bc -l)" "$(echo "$sb/$bb" | bc -l)"
