#!/usr/bin/env bash
# sign-blob throughput and memory against openssl, on the same file with the same key, in one run.
#   bench/sign-blob.sh [SIZE_MIB] [RUNS]      (defaults: 1024 MiB, 5 runs; BENCH_DIR picks the scratch dir)
# Prints medians, the throughput ratio openssl_time / seal_time (goal >= 0.9) and seal's peak RSS
# (goal <= 100 MB). seal runs from a private build of dist/ (as installed users run it), with an
# unencrypted P-256 key (the same file openssl uses), and once more with a cosign-encrypted key.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node.sh
SIZE_MIB=${1:-1024}
RUNS=${2:-5}
. bench/lib.sh
bench_setup sign

head -c $((SIZE_MIB * 1048576)) /dev/urandom >"$W/blob"
bench_key
SEAL_PASSWORD=bench $SEAL import-key-pair --key "$W/key.pem" -o "$W/cosign" 2>/dev/null
cat "$W/blob" >/dev/null # page cache: both sides read from memory


run warmup $SEAL sign-blob --key "$W/key.pem" --output-signature "$W/w.sig" --force "$W/blob"
for i in $(seq "$RUNS"); do
  run openssl openssl dgst -sha256 -sign "$W/key.pem" -out "$W/o.sig" "$W/blob"
  run seal $SEAL sign-blob --key "$W/key.pem" --output-signature "$W/s.sig" --force "$W/blob"
  run seal-bundle $SEAL sign-blob --key "$W/key.pem" --bundle "$W/s.json" --force "$W/blob"
  run seal-cosign-key $SEAL sign-blob --key "$W/cosign.key" --output-signature "$W/c.sig" --force "$W/blob"
done
openssl dgst -sha256 -verify "$W/key.pub" -signature <(base64 -d "$W/s.sig") "$W/blob" >/dev/null

o=$(cut -d' ' -f1 "$W/t.openssl" | median)
ob=$(cut -d' ' -f1 "$W/t.openssl" | best)
printf 'sign-blob, %d MiB, median of %d runs (page-cached file)\n' "$SIZE_MIB" "$RUNS"
printf '  %-34s %6d ms (best %5d)  %5.0f MiB/s\n' "openssl dgst -sha256 -sign" "$o" "$ob" "$(echo "$SIZE_MIB*1000/$o" | bc -l)"
for l in seal seal-bundle seal-cosign-key; do
  s=$(cut -d' ' -f1 "$W/t.$l" | median)
  sb=$(cut -d' ' -f1 "$W/t.$l" | best)
  printf '  %-34s %6d ms (best %5d)  %5.0f MiB/s  ratio %.2f (best/best %.2f; goal >= 0.9)  peak RSS %d MB (goal <= 100)\n' \
    "$l" "$s" "$sb" "$(echo "$SIZE_MIB*1000/$s" | bc -l)" "$(echo "$o/$s" | bc -l)" "$(echo "$ob/$sb" | bc -l)" $(($(max_rss "$W/t.$l") / 1024))
done
echo "  (seal = unencrypted PEM key, like openssl; seal-bundle adds --bundle; seal-cosign-key adds scrypt N=65536)"
