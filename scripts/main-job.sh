#!/usr/bin/env bash
# The main job on a fresh machine: set up, then upscale a photograph x4 with `yonos upscale`.
# Until the bundled model ships, the model is a smoke model assembled from the diffusers
# fixture models (random weights): the run exercises the whole one-step pipeline, but the
# output is not a meaningful super-resolution.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
out=.reports/main-job
rm -rf "$out" && mkdir -p "$out"
node scripts/make-smoke-model.mjs "$out"
npx yonos upscale "$out/photo.png" --model "$out/model" --scale 4 --steps 1 --seed 0 -o "$out/upscaled"
ls -l "$out/upscaled"
