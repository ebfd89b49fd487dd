#!/usr/bin/env bash
# Trains the bundled model's recipe (examples/configs/recipe/) with the project's own
# `yonos train`, stage by stage, each run resuming from its latest checkpoint, so the same
# command continues wherever the last one stopped. Each run is cut after RUN_HOURS (default
# 2): `yonos train` saves a checkpoint when interrupted, and the next call picks it up.
#
#   bash scripts/train-recipe.sh                      # every stage, in order
#   bash scripts/train-recipe.sh direct-x4 direct-x8  # only these (e.g. on a second core)
#   RECIPE=recipe2 bash scripts/train-recipe.sh sr-x2 # a stage of another recipe folder
#   RECIPE=recipe2 bash scripts/train-recipe.sh probes/sr-x2-t999
#
# Stages: vae sr-x2 distill direct-x4 direct-x8 decoder-x4 decoder-x8 (the config
# examples/configs/$RECIPE/<stage>.json; a stage in a subfolder, or with a suffix such as
# sr-x2-t999, runs the command of its base name). Needs data/train and data/eval
# (scripts/data/README.md). Logs go to training/logs/<stage>.log (recipe) or
# training/logs/$RECIPE/<stage>.log. Threads: YONOS_THREADS (default every core).
set -euo pipefail
cd "$(dirname "$0")/.."

RUN_HOURS="${RUN_HOURS:-2}"
BACKEND="${BACKEND:-wasm}"
RECIPE="${RECIPE:-recipe}"
LOGS="training/logs"
[ "$RECIPE" = recipe ] || LOGS="training/logs/$RECIPE"
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(vae sr-x2 distill direct-x4 direct-x8 decoder-x4 decoder-x8)

command_of() {
  case "$(basename "$1")" in
    vae*) echo vae ;;
    sr-x2* | direct-x4* | direct-x8*) echo sr ;;
    distill*) echo distill ;;
    decoder-x4* | decoder-x8*) echo decoder ;;
    *) echo "unknown stage '$1' (stages: vae sr-x2 distill direct-x4 direct-x8 decoder-x4 decoder-x8)" >&2; exit 2 ;;
  esac
}

for stage in "${stages[@]}"; do
  cmd="$(command_of "$stage")"
  log="$LOGS/$stage.log"
  mkdir -p "$(dirname "$log")"
  echo "== $stage ($(date -u +%FT%TZ), threads ${YONOS_THREADS:-all})" | tee -a "$log"
  # SIGINT, not SIGTERM: the trainer treats it as Ctrl-C and checkpoints before exiting.
  status=0
  timeout -s INT "${RUN_HOURS}h" npx tsx --conditions=source packages/yonos/src/cli/main.ts \
    train "$cmd" --config "examples/configs/$RECIPE/$stage.json" --backend "$BACKEND" --resume auto \
    2>&1 | tee -a "$log" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "$stage stopped (exit $status); run this script again to resume it." >&2
    exit "$status"
  fi
done
