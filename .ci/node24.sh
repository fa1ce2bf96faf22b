#!/usr/bin/env bash
# Sourced by .ci/run: puts Node.js 24 on PATH when the machine's node is older. The npm registry's
# node-linux-<arch>@24 package holds the official binary; it is unpacked once into NODE24_HOME.
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 24 ]; then
  case "$(uname -m)" in x86_64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
  if [ -z "${NODE24_HOME:-}" ]; then
    if [ -x /opt/node24/bin/node ] || { mkdir -p /opt/node24 2>/dev/null && [ -w /opt/node24 ]; }; then NODE24_HOME=/opt/node24; else NODE24_HOME="$HOME/.cache/node24"; fi
  fi
  if [ ! -x "$NODE24_HOME/bin/node" ]; then
    echo "installing Node.js 24 (node-linux-$arch from the npm registry) into $NODE24_HOME" >&2
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-$arch@24" >/dev/null && tar xzf node-linux-"$arch"-*.tgz && mkdir -p "$NODE24_HOME" && cp -r package/. "$NODE24_HOME/")
    rm -rf "$tmp"
  fi
  export PATH="$NODE24_HOME/bin:$PATH"
fi
echo "node $(node --version), npm $(npm --version)" >&2
