#!/usr/bin/env bash
# verify-blob throughput and memory against openssl, on the same file, signature and key, in one run.
#   bench/verify-blob.sh [SIZE_MIB] [RUNS]      (defaults: 1024 MiB, 5 runs; BENCH_DIR picks the scratch dir)
# Prints medians, the throughput ratio openssl_time / seal_time (goal >= 0.9) and seal's peak RSS
# (goal <= 100 MB). seal runs from a private build of dist/ (as installed users run it).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node.sh
SIZE_MIB=${1:-1024}
RUNS=${2:-5}
. bench/lib.sh
bench_setup verify

head -c $((SIZE_MIB * 1048576)) /dev/urandom >"$W/blob"
bench_key
cat "$W/blob" >/dev/null # page cache: both sides read from memory


openssl dgst -sha256 -sign "$W/key.pem" -out "$W/o.sig" "$W/blob"
SEAL_PASSWORD=bench $SEAL sign-blob --key "$W/key.pem" --bundle "$W/s.json" "$W/blob" 2>/dev/null
run warmup $SEAL verify-blob --key "$W/key.pub" --signature "$W/o.sig" "$W/blob"
for i in $(seq "$RUNS"); do
  run openssl openssl dgst -sha256 -verify "$W/key.pub" -signature "$W/o.sig" "$W/blob"
  run seal $SEAL verify-blob --key "$W/key.pub" --signature "$W/o.sig" "$W/blob"
  run seal-bundle $SEAL verify-blob --key "$W/key.pub" --bundle "$W/s.json" "$W/blob"
done

o=$(cut -d' ' -f1 "$W/t.openssl" | median)
ob=$(cut -d' ' -f1 "$W/t.openssl" | best)
printf 'verify-blob, %d MiB, median of %d runs (page-cached file)\n' "$SIZE_MIB" "$RUNS"
printf '  %-34s %6d ms (best %5d)  %5.0f MiB/s\n' "openssl dgst -sha256 -verify" "$o" "$ob" "$(echo "$SIZE_MIB*1000/$o" | bc -l)"
for l in seal seal-bundle; do
  s=$(cut -d' ' -f1 "$W/t.$l" | median)
  sb=$(cut -d' ' -f1 "$W/t.$l" | best)
  printf '  %-34s %6d ms (best %5d)  %5.0f MiB/s  ratio %.2f (best/best %.2f; goal >= 0.9)  peak RSS %d MB (goal <= 100)\n' \
    "$l" "$s" "$sb" "$(echo "$SIZE_MIB*1000/$s" | bc -l)" "$(echo "$o/$s" | bc -l)" "$(echo "$ob/$sb" | bc -l)" $(($(max_rss "$W/t.$l") / 1024))
done
echo "  (seal = --signature with openssl's DER signature; seal-bundle = --bundle made by seal sign-blob)"
