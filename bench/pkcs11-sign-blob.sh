#!/usr/bin/env bash
# sign-blob with a key on a PKCS#11 token (SoftHSM 2) against the same command with a key file, in
# one run, alternating:   bench/pkcs11-sign-blob.sh [RUNS] [SIZE_KIB]   (defaults: 10 runs, 1 KiB)
# Both keys are ECDSA P-256; the token key is made by seal (generate-key-pair --kms) on a token
# initialised in the scratch dir. Prints medians and the ratio token / file (what a token costs:
# the agent process, C_Initialize, login, the key lookup and one C_Sign).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node.sh
RUNS=${1:-10}
SIZE_KIB=${2:-1}
. bench/lib.sh
bench_setup pkcs11

MODULE=/usr/lib/softhsm/libsofthsm2.so
[ -f "$MODULE" ] || { echo "SoftHSM 2 is not installed (apt-get install softhsm2)" >&2; exit 1; }
mkdir -p "$W/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$W/tokens" >"$W/softhsm2.conf"
export SOFTHSM2_CONF="$W/softhsm2.conf" COSIGN_PKCS11_PIN=bench-1234
softhsm2-util --init-token --free --label bench --pin "$COSIGN_PKCS11_PIN" --so-pin bench-5678 >/dev/null
KEY="pkcs11:token=bench;object=release?module-path=$MODULE"
(cd "$W" && $SEAL generate-key-pair --kms "$KEY" --output-key-prefix token 2>/dev/null)
bench_key
head -c $((SIZE_KIB * 1024)) /dev/urandom >"$W/blob"

run warmup $SEAL sign-blob --key "$KEY" --output-signature "$W/w.sig" --force "$W/blob"
for i in $(seq "$RUNS"); do
  run file $SEAL sign-blob --key "$W/key.pem" --output-signature "$W/f.sig" --force "$W/blob"
  run token $SEAL sign-blob --key "$KEY" --output-signature "$W/t.sig" --force "$W/blob"
done
openssl dgst -sha256 -verify "$W/token.pub" -signature <(base64 -d "$W/t.sig") "$W/blob" >/dev/null

f=$(cut -d' ' -f1 "$W/t.file" | median)
t=$(cut -d' ' -f1 "$W/t.token" | median)
printf 'sign-blob, %d KiB, median of %d runs, alternating\n' "$SIZE_KIB" "$RUNS"
printf '  %-28s %5d ms (best %5d)\n' "key file (P-256 PEM)" "$f" "$(cut -d' ' -f1 "$W/t.file" | best)"
printf '  %-28s %5d ms (best %5d)  ratio token/file %.2f\n' "SoftHSM token (P-256)" "$t" "$(cut -d' ' -f1 "$W/t.token" | best)" "$(echo "$t/$f" | bc -l)"
