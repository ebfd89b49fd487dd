#!/usr/bin/env bash
# The main job on a fresh machine: set up, then upscale a photograph x4 with `yonos upscale`
# on the bundled one-step model (packages/yonos/model/x4, trained by this project's recipe).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
out=.reports/main-job
rm -rf "$out" && mkdir -p "$out"
npx yonos upscale examples/images/chelsea.png --scale 4 -o "$out/upscaled"
ls -l "$out/upscaled"
