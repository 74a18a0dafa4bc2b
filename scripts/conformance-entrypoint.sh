#!/usr/bin/env bash
# sigstore-conformance client entrypoint (docs/cli_protocol.md of github.com/sigstore/sigstore-conformance):
#   conformance-entrypoint.sh verify-bundle [--staging] --bundle B.json \
#       (--certificate-identity ID --certificate-oidc-issuer URL | --key KEY.pub) [--trusted-root TR.json] FILE_OR_DIGEST
# becomes `seal verify-blob --bundle B.json ... FILE_OR_DIGEST`, where FILE_OR_DIGEST is a path,
# or `sha256:<64 hex>` when no file of that name exists. Exit 0 = verified, anything else = not.
#   conformance-entrypoint.sh sign-bundle [--staging] [--in-toto] --identity-token TOKEN \
#       --bundle OUT.json [--trusted-root TR.json] [--signing-config SC.json] FILE
# becomes `seal sign-blob --bundle OUT.json FILE` (a message signature), or with --in-toto
# `seal attest-blob --statement FILE --bundle OUT.json` (FILE is the statement; a DSSE bundle).
# The services come from --signing-config (Rekor v1 or v2, TSAs), else the staging services
# with --staging, else the signing config `seal trusted-root update` cached, else public good.
# The token goes through SIGSTORE_ID_TOKEN, not argv (argv shows in ps). --trusted-root is
# accepted and not needed: seal signs with the services it is given.
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
  sign-bundle)
    in_toto=0
    staging=0
    have_config=0
    token=
    bundle=
    args=()
    while [ $# -gt 1 ]; do
      case "$1" in
        --staging) staging=1; shift ;;
        --in-toto) in_toto=1; shift ;;
        --identity-token) token=$2; shift 2 ;;
        --bundle) bundle=$2; shift 2 ;;
        --trusted-root) shift 2 ;;
        --signing-config) args+=(--signing-config "$2"); have_config=1; shift 2 ;;
        *) die "unexpected argument '$1'" ;;
      esac
    done
    [ $# -eq 1 ] || die "missing FILE"
    [ -n "$token" ] || die "sign-bundle needs --identity-token"
    [ -n "$bundle" ] || die "sign-bundle needs --bundle"
    if [ "$staging" = 1 ] && [ "$have_config" = 0 ]; then
      # Sigstore's staging instance (root-signing-staging's signing config, Rekor v1 log).
      args+=(--fulcio-url https://fulcio.sigstage.dev --rekor-url https://rekor.sigstage.dev
        --timestamp-server-url https://timestamp.sigstage.dev/api/v1/timestamp)
    fi
    if [ "$in_toto" = 1 ]; then
      cmd=(attest-blob --statement "$1")
    else
      cmd=(sign-blob "$1")
    fi
    SIGSTORE_ID_TOKEN=$token exec "${seal[@]}" "${cmd[@]}" "${args[@]}" --yes --bundle "$bundle"
    ;;
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
