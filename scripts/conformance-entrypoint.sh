#!/usr/bin/env bash
# sigstore-conformance client entrypoint (docs/cli_protocol.md of github.com/sigstore/sigstore-conformance):
#   conformance-entrypoint.sh verify-bundle [--staging] --bundle B.json \
#       (--certificate-identity ID --certificate-oidc-issuer URL | --key KEY.pub) [--trusted-root TR.json] FILE_OR_DIGEST
# becomes `seal verify-blob --bundle B.json ... FILE_OR_DIGEST`, where FILE_OR_DIGEST is a path,
# or `sha256:<64 hex>` when no file of that name exists. Exit 0 = verified, anything else = not.
# sign-bundle is not supported yet: run the suite with --skip-signing.
# SEAL (env) overrides the command; default: node bin/seal.js of this checkout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "conformance-entrypoint: $*" >&2; exit 2; }

if [ -n "${SEAL:-}" ]; then
  read -r -a seal <<<"$SEAL"
else
  node_ok() { command -v node >/dev/null 2>&1 && node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=18)?0:1)'; }
  node_ok || . "$here/node.sh"
  seal=(node "$here/../bin/seal.js")
fi

[ $# -ge 1 ] || die "usage: $0 verify-bundle|sign-bundle ..."
sub=$1
shift
case "$sub" in
  verify-bundle) ;;
  sign-bundle) die "sign-bundle is not supported by seal's entrypoint yet; run the suite with --skip-signing" ;;
  *) die "unknown subcommand '$sub' (expected verify-bundle or sign-bundle)" ;;
esac

args=(verify-blob)
staging=0
have_root=0
while [ $# -gt 1 ]; do
  case "$1" in
    --staging) staging=1; shift ;;
    --bundle | --certificate-identity | --certificate-oidc-issuer | --key)
      args+=("$1" "$2"); shift 2 ;;
    --trusted-root)
      args+=("$1" "$2"); have_root=1; shift 2 ;;
    *) die "unexpected argument '$1'" ;;
  esac
done
[ $# -eq 1 ] || die "missing FILE_OR_DIGEST"
if [ "$staging" = 1 ] && [ "$have_root" = 0 ]; then
  die "--staging needs --trusted-root: seal embeds only the production trusted root"
fi

target=$1
if [ ! -e "$target" ] && ! [[ "$target" =~ ^sha256:[0-9a-fA-F]{64}$ ]]; then
  die "'$target' is neither an existing file nor sha256:<64 hex>"
fi
exec "${seal[@]}" "${args[@]}" "$target"
