#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing, then typecheck, lint and
# every vitest project (unit; integration and end-to-end against a real Redis, Docker Engine,
# Prometheus and Alertmanager that the global set-up starts on private ports).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system.sh
bash scripts/ensure-node.sh
mkdir -p .tmp
echo "[test] typecheck"; npx tsc -p tsconfig.json --noEmit
echo "[test] lint"; npx eslint .
# EBADENGINE: every locked package must run on this Node (a copy of the manifests, offline, so
# node_modules is left alone). test/unit/engines.test.ts checks the declared floor as well.
echo "[test] engines"
engines_dir="$(mktemp -d)"; cp package.json package-lock.json "$engines_dir/"
if ! (cd "$engines_dir" && npm ci --dry-run --engine-strict --offline --ignore-scripts --no-audit --no-fund >/dev/null 2>.engines.log); then
  cat "$engines_dir/.engines.log"; rm -rf "$engines_dir"; echo "[test] a locked package does not support Node $(node --version)"; exit 1
fi
rm -rf "$engines_dir"
echo "[test] format"; npx prettier --check . >/dev/null || { echo "[test] not formatted: run npm run format"; npx prettier --list-different .; exit 1; }
echo "[test] vitest"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest.json "$@" || status=$?
# A plain closing line that any CI can read.
node -e '
  const r = JSON.parse(require("fs").readFileSync(".tmp/vitest.json", "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' || true
exit $status
