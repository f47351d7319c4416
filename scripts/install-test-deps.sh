#!/usr/bin/env bash
# Installs the Debian programs the test suite talks to (real peers, not mocks).
# Idempotent: only missing packages are installed. We run as root (see README).
set -euo pipefail
packages=(sip-tester baresip espeak-ng sox libsox-fmt-mp3 poppler-utils chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
