#!/usr/bin/env bash
# The main job on a fresh machine: install, build, and run the gateway on embedded defaults
# (`portcullis up`: the shipped policy, an embedded PostgreSQL with demo data, a local identity).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -d node_modules ]]; then
  npm ci --no-audit --no-fund
fi
npm run build >/dev/null

exec node packages/gateway/bin/portcullis.js up "$@"
