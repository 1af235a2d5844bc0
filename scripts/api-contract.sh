#!/usr/bin/env bash
# API contract test: a real `opsdeck serve` on loopback driven by schemathesis (PyPI) against its own
# openapi.json, a bounded number of examples per operation. Fails on any 5xx, any undocumented
# status or route, any error that is not JSON. Usage: scripts/api-contract.sh [EXAMPLES] (default 25).
set -euo pipefail
examples=${1:-25}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${OPSDECK_BIN:-$root/target/debug/opsdeck}
# schemathesis from PyPI, in a virtualenv of its own (Debian's python3 refuses system-wide pip).
if ! command -v st >/dev/null; then
  venv=${XDG_CACHE_HOME:-$HOME/.cache}/opsdeck/schemathesis-venv
  if [ ! -x "$venv/bin/st" ]; then
    rm -rf "$venv"
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet schemathesis
  fi
  PATH="$venv/bin:$PATH"
fi
dir=$(mktemp -d)
export OPSDECK_CONFIG=$dir/config.toml OPSDECK_DATA_DIR=$dir/data USER=contract
token=$("$bin" user add root --role admin 2>/dev/null)
"$bin" serve --listen 127.0.0.1:0 2>"$dir/serve.log" &
serve=$!
trap 'kill "$serve" 2>/dev/null; wait "$serve" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do
  url=$(grep -o 'http://[0-9.:]*/api/v1' "$dir/serve.log" | head -1 || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$dir/serve.log"; exit 1; }
cd "$dir"  # schemathesis keeps a cache in the working directory
st run "$url/openapi.json" --url "$url" -H "Authorization: Bearer $token" \
  --max-examples "$examples" --seed 12 \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance \
  --report junit --report-dir "$dir/report"
