#!/usr/bin/env bash
# Installs every Debian package hubreg needs to build, test, benchmark and run
# its demo. Safe to run again. Must run as root (or with sudo available).
set -euo pipefail

packages=(
  build-essential cmake git
  dpkg-dev file
  libboost-dev liblmdb-dev lmdb-utils libcereal-dev
  doctest-dev libbenchmark-dev libsqlite3-dev
  libcli11-dev nlohmann-json3-dev
  pkg-config libpq-dev postgresql-15
  python3 python3-dev python3-pytest pybind11-dev
  python3-venv python3-pip python3-setuptools python3-wheel
  python3-matplotlib clang-format
  clang-14 libclang-rt-14-dev
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
"${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
