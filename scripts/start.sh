#!/usr/bin/env bash
# The main job on a fresh machine: install, build, and run portcullis on embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -d node_modules ]]; then
  npm ci --no-audit --no-fund
fi
npm run build >/dev/null

exec node packages/gateway/bin/portcullis.js demo "$@"
