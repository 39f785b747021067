#!/usr/bin/env bash
# Installs the Debian packages rfmgw needs to build, run and test.
# Idempotent: does nothing when everything is already installed.
# Usage: scripts/deps.sh [extra packages...]
set -euo pipefail
pkgs=(cmake gcc make pkg-config libmicrohttpd-dev libgnutls28-dev libwebsockets-dev libssl-dev libjansson-dev
      libconfig-dev libcmocka-dev openssl curl ca-certificates jq python3-yaml "$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
