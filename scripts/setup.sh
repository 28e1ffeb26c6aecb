#!/usr/bin/env bash
# One-command setup on a fresh Debian 12 machine, as root: installs what Berth needs, builds the default
# busybox image offline, starts berthd and runs a container from it.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
ROOT=$PWD

if [ "$(id -u)" != 0 ]; then echo "setup: run as root" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive

need_apt=0
for bin in runc conmon iptables ip busybox tini-static mount tar ps setfattr getfattr zstd xz python3 dockerd skopeo docker-registry docker-compose debootstrap; do
  command -v "$bin" >/dev/null 2>&1 || need_apt=1
done
if [ "$need_apt" = 1 ]; then
  echo "setup: installing Debian packages"
  apt-get update -qq
  # docker.io is only a peer for interop tests and benchmarks (run on its own socket and data root): keep its
  # service from starting on install, so it never creates docker0 or touches the host's firewall.
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=1
  fi
  apt-get install -y -qq --no-install-recommends \
    runc conmon iptables iproute2 busybox-static tini attr procps tar gzip zstd xz-utils util-linux \
    ca-certificates python3 docker.io skopeo docker-registry docker-compose debootstrap >/dev/null
  [ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

# Node 24: use the machine's node if it is recent enough, else install the npm registry's `node` package (it ships
# the binary) under /usr/local/lib/berth-node.
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 24 ]; then
  echo "setup: installing Node.js 24"
  if ! command -v npm >/dev/null 2>&1; then apt-get install -y -qq nodejs npm >/dev/null; fi
  mkdir -p /usr/local/lib/berth-node
  npm install --prefix /usr/local/lib/berth-node --no-audit --no-fund --loglevel=error node@24 >/dev/null
  ln -sf /usr/local/lib/berth-node/node_modules/node/bin/node /usr/local/bin/node
  hash -r
fi
echo "setup: node $(node --version)"

echo "setup: installing npm dependencies"
# `npm install`, not `npm ci`: npm's lock file omits other platforms' optional addon packages, which makes ci refuse it.
npm install --no-audit --no-fund --loglevel=error >/dev/null

npm run --silent build
ln -sf "$ROOT/bin/berth" /usr/local/bin/berth
ln -sf "$ROOT/bin/berthd" /usr/local/bin/berthd

# Start berthd unless one already answers on the default socket.
if ! "$ROOT/bin/berth" version >/dev/null 2>&1; then
  mkdir -p /var/log
  nohup "$ROOT/bin/berthd" >>/var/log/berthd.log 2>&1 &
  for _ in $(seq 1 100); do
    [ -S /run/berth.sock ] && "$ROOT/bin/berth" version >/dev/null 2>&1 && break
    sleep 0.1
  done
fi
# The default busybox image, built offline by berthd from Debian's busybox-static (idempotent).
"$ROOT/bin/berth" bootstrap busybox >/dev/null
"$ROOT/bin/berth" run --rm busybox echo hello from berth
