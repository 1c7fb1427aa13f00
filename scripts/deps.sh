#!/usr/bin/env bash
# deps.sh -- installs the Debian 12 packages outreach needs, when any is missing,
# then the pages' npm packages (web/package-lock.json, npm ci) and their
# browser files (web/www/vendor). Runs as root (or through sudo); a machine
# that has them all is left alone.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libpaho-mqtt-dev libssl-dev openssl libsqlite3-dev libcjson-dev libcmocka-dev
  mosquitto mosquitto-clients mosquitto-dev libmosquitto-dev sqlite3
  jq python3 python3-jsonschema iproute2 procps
  clang libclang-rt-14-dev
  chromium fonts-wqy-microhei
  libmicrohttpd-dev libqrencode-dev
  libxlsxwriter-dev python3-openpyxl
  postgresql-15 libpq-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
web_deps() {
  local web
  web="$(cd "$(dirname "$0")/.." && pwd)/web"
  if [ ! -d "$web/node_modules" ] || [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
    echo "deps: npm ci in web/"
    (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  (cd "$web" && node build.mjs >/dev/null)
}
# Node.js and npm: the machine's own when it has them (a nodejs from another
# archive bundles npm and conflicts with Debian's npm package).
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
  web_deps
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
web_deps
