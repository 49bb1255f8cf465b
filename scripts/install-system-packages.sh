#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, when they are missing: headless Chromium and
# its driver for the dashboard's browser tests, a CJK font so that the Simplified Chinese pages
# render in screenshots, and openssl for the TLS mail tests' certificate. Usage: install-system-packages.sh PACKAGE...
set -euo pipefail
need=()
for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "missing system packages: ${need[*]}; install them with your package manager (not Debian?)" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing system packages: ${need[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
