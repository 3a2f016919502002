#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what the tests need, builds, lints,
# type-checks and runs every test. Exits non-zero on any failure. .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

# Debian packages the suites need; started on loopback by the tests' own set-up.
# pgjdbc and a JDK, psycopg2 and psycopg 3: Java and Python applications' drivers, driven
# through the gateway (pg-clients.test.ts). gcc and libc6-dev: the pg proxy's native lane is
# compiled by its build (adapters/pg/scripts/build-native.mjs).
debian_packages=(gcc libc6-dev postgresql openssh-server openssh-client chromium openjdk-17-jdk-headless libpostgresql-jdbc-java python3-psycopg2 python3-psycopg)
missing=()
for pkg in "${debian_packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ ! -d node_modules || -n "${CI:-}" ]]; then
  log "npm ci"
  npm ci --no-audit --no-fund
fi

log "build"
npm run build

log "lint (biome)"
npx biome check .

log "typecheck"
npm run typecheck

log "policy library tests (portcullis test rego, on the compiled wasm)"
node packages/gateway/bin/portcullis.js test rego

log "tests (vitest)"
report="$(mktemp -d)/vitest.json"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" || status=$?

# One plain closing line for whoever reads the log: "N passed, N failed".
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`\nTests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$report" || status=1
exit "$status"
