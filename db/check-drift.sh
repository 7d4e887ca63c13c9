#!/usr/bin/env bash
# Fails when db/schema and the committed migrations disagree. `drizzle-kit check` does not notice
# that, so generate against a copy of the migrations and require that nothing new comes out.
set -euo pipefail
cd "$(dirname "$0")/.."  # repo root
# drizzle-kit only accepts a relative --out, so the scratch copy lives (ignored) inside the repo.
tmp=$(mktemp -d ./.drift-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cp -r db/migrations "$tmp/migrations"
before=$(find "$tmp/migrations" -type f | sort | xargs cat | sha256sum)
out=$(npx drizzle-kit generate --dialect postgresql --schema ./db/schema/index.ts --casing snake_case \
  --out "$tmp/migrations" </dev/null 2>&1) || { echo "$out"; echo "schema drift check: drizzle-kit generate failed"; exit 1; }
after=$(find "$tmp/migrations" -type f | sort | xargs cat | sha256sum)
if ! grep -q "No schema changes" <<<"$out" || [ "$before" != "$after" ]; then
  echo "$out" | grep -v nodedir
  echo "schema drift: db/schema differs from db/migrations. Run 'npm run db:generate' and commit the migration."
  exit 1
fi
echo "schema drift check: db/schema matches db/migrations"
