#!/usr/bin/env bash
# deps.sh -- installs the Debian 12 packages outreach needs, when any is missing.
# Runs as root (or through sudo); a machine that has them all is left alone.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libpaho-mqtt-dev libsqlite3-dev libcjson-dev libcmocka-dev
  mosquitto mosquitto-clients sqlite3
  jq python3 python3-jsonschema iproute2 procps
  clang libclang-rt-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: run as root to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
