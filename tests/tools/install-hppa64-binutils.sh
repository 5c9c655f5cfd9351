#!/bin/sh
# Test-only: GNU binutils for 64-bit PA-RISC (Debian/Ubuntu package binutils-hppa64-linux-gnu).
# tests/test_binutils_hppa64.py reads the ELF kernels the forge writes back with its readelf and
# objdump; without them those tests are skipped with a reason. q4py itself never needs them.
set -eu
if command -v hppa64-linux-gnu-readelf >/dev/null 2>&1 && \
   command -v hppa64-linux-gnu-objdump >/dev/null 2>&1; then
    echo "binutils-hppa64-linux-gnu is installed"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends binutils-hppa64-linux-gnu
