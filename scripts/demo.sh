#!/usr/bin/env bash
# The main job end to end on the embedded default (an OCI image layout, no registry needed):
# key pair, sign, attest a grype scan, attach an SBOM, verify, gate, and show the scan summary.
# Usage: scripts/demo.sh [WORKDIR]   (default: ./demo-out, recreated)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node.sh
OUT=${1:-demo-out}
if [ -z "${SEAL_DEMO_NO_BUILD:-}" ]; then   # the test of this script runs it from the sources
  echo "seal: building dist/" >&2
  npm run -s build
fi
rm -rf "$OUT" && mkdir -p "$OUT"
seal() { node bin/seal.js "$@"; }
if [ -t 2 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain" >&2; }
export SEAL_PASSWORD=demo-password   # a real pipeline takes it from its secret store

step "an image to sign: $OUT/image (OCI layout, built without Docker)"
node scripts/make-image.ts "$OUT/image" v1 >/dev/null
IMAGE="oci:$OUT/image:v1"

step "key pair (cosign format)"
seal generate-key-pair --output-key-prefix "$OUT/cosign"

step "sign"
seal sign --key "$OUT/cosign.key" -a release=v1 "$IMAGE"

step "attest the vulnerability scan (grype JSON)"
# Stand-in for `grype IMAGE -o json > scan.json` run just now: a recorded report, stamped with the current time.
node -e 'const fs = require("fs"); const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  r.descriptor.timestamp = new Date().toISOString(); fs.writeFileSync(process.argv[2], JSON.stringify(r, null, 2));' \
  test/fixtures/grype/alpine-one-high.json "$OUT/scan.json"
seal attest --key "$OUT/cosign.key" --type vuln --predicate "$OUT/scan.json" "$IMAGE"

step "attach an SBOM"
seal attach sbom --sbom examples/sbom.spdx.json "$IMAGE"

step "verify the signature"
seal verify --key "$OUT/cosign.pub" -a release=v1 "$IMAGE"

step "deploy gate: signed by us, scanned within 14 days, nothing above high"
seal verify-attestation --key "$OUT/cosign.pub" --type vuln --max-severity high --max-age 14d -o statements "$IMAGE" > "$OUT/scan-statement.json"

step "the same gate with a stricter bar (nothing above medium) refuses the image, exit 14"
if seal verify-attestation --key "$OUT/cosign.pub" --type vuln --max-severity medium "$IMAGE" > /dev/null; then
  echo "the stricter gate should have failed" >&2; exit 1
else
  code=$?; [ "$code" = 14 ] || { echo "expected exit 14, got $code" >&2; exit 1; }
fi

step "download the SBOM (exact bytes)"
seal download sbom --output-file "$OUT/sbom.json" "$IMAGE"
cmp examples/sbom.spdx.json "$OUT/sbom.json" && echo "SBOM bytes identical" >&2

step "scan summary"
seal report --key "$OUT/cosign.pub" "$IMAGE"

step "what is attached"
seal tree "$IMAGE"
