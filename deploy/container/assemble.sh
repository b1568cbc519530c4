#!/usr/bin/env bash
# The runtime tree of the Postern image, from a built checkout (`pnpm install --frozen-lockfile &&
# pnpm build` first): each app with its production dependencies only (pnpm deploy), the built
# dashboard and the migrations, laid out as the processes' defaults expect them:
#   <out>/apps/control-plane   node apps/control-plane/dist/main.js
#   <out>/apps/agent           node apps/agent/dist/main.js
#   <out>/apps/dashboard/dist  served at / (POSTERN_DASHBOARD_DIR's default)
#   <out>/prisma/migrations    applied at start (POSTERN_MIGRATIONS_DIR's default)
#   <out>/proto                the agent contract both load (POSTERN_PROTO_DIR=<out>/proto)
# The Containerfile runs it; so can anyone checking the image's contents without a container engine.
set -euo pipefail
out="${1:?usage: deploy/container/assemble.sh <output directory>}"
cd "$(dirname "$0")/../.."
for built in apps/control-plane/dist/main.js apps/agent/dist/main.js apps/dashboard/dist/index.html; do
  [[ -f "$built" ]] || { echo "assemble: $built is missing: run pnpm build first" >&2; exit 1; }
done
rm -rf "$out"
mkdir -p "$out/apps" "$out/prisma"
# --legacy: a workspace without injected packages; --prod: no devDependencies; --prefer-offline:
# the store and metadata cache first, the registry only for what they lack (--offline failed on a
# machine whose metadata cache had no entry for pino).
pnpm --filter @postern/control-plane --prod deploy --legacy --prefer-offline "$out/apps/control-plane" >/dev/null
pnpm --filter @postern/agent --prod deploy --legacy --prefer-offline "$out/apps/agent" >/dev/null
mkdir -p "$out/apps/dashboard"
cp -R apps/dashboard/dist "$out/apps/dashboard/dist"
cp -R prisma/migrations "$out/prisma/migrations"
cp -R proto "$out/proto"
# Sources, tests and build settings are not runtime.
for app in control-plane agent; do
  rm -rf "$out/apps/$app/src" "$out/apps/$app/test" "$out/apps/$app/tsconfig.json" "$out/apps/$app/jest.config.js"
done
echo "assembled $(du -sh "$out" | cut -f1) in $out"
