#!/usr/bin/env bash
# Prepares a fresh Debian machine for YONOS: system packages for WebGPU-in-Node and the
# browser tests (Chromium brings SwiftShader's Vulkan driver; libvulkan1 is the loader),
# redis-server for the queue tests (they start their own server on a loopback port; the
# package's own service is not used), then the workspace's npm packages and a build of every
# package.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 ' || need_apt+=(libvulkan1)
command -v redis-server >/dev/null || need_apt+=(redis-server)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

npm ci --no-audit --no-fund
npm run build
