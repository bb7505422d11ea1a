#!/usr/bin/env bash
# Records DynamoDB Local's answers to the embedded store's differential tests
# into src/local/dynamodb/engine/golden/<category>.json, which
# golden.unit.test.ts replays through the engine without Java.
set -euo pipefail
cd "$(dirname "$0")/.."
for category in limits transactions legacy data gaps tables functions; do
  GOLDEN_RECORD="src/local/dynamodb/engine/golden/${category}.json" \
    npx vitest run "src/local/dynamodb/engine/${category}.integration.test.ts"
done
npx biome format --write src/local/dynamodb/engine/golden/
