#!/usr/bin/env bash
# Makes a git worktree pinned at a commit for a long training campaign, so that edits to this
# checkout cannot change a running campaign: the worktree runs its own packages/ and configs,
# shares this checkout's installed npm packages, and reads data/ and writes training/ here.
#
#   bash scripts/campaign-worktree.sh ../campaign [commit]     # default commit: HEAD
#   (cd ../campaign && RECIPE=recipe2 nice bash scripts/train-recipe.sh sr-x2)
set -euo pipefail
main="$(cd "$(dirname "$0")/.." && pwd)"
dest="$1"
commit="${2:-HEAD}"
git -C "$main" worktree add --detach "$dest" "$commit"
dest="$(cd "$dest" && pwd)"
mkdir -p "$dest/node_modules"
for entry in "$main"/node_modules/* "$main"/node_modules/.bin "$main"/node_modules/.package-lock.json; do
  name="$(basename "$entry")"
  case "$name" in
    @yonos | yonos | docs) ;;
    *) ln -s "$entry" "$dest/node_modules/$name" ;;
  esac
done
# The workspace packages resolve to the worktree's own sources.
mkdir -p "$dest/node_modules/@yonos"
for pkg in "$dest"/packages/*; do
  name="$(basename "$pkg")"
  if [ "$name" = yonos ]; then ln -s ../packages/yonos "$dest/node_modules/yonos"
  else ln -s "../../packages/$name" "$dest/node_modules/@yonos/$name"; fi
done
rm -rf "$dest/training" "$dest/data"
ln -s "$main/training" "$dest/training"
ln -s "$main/data" "$dest/data"
echo "worktree $dest at $(git -C "$dest" rev-parse --short HEAD)"
