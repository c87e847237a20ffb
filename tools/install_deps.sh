#!/usr/bin/env bash
# Installs the Debian 12 packages Portrait builds, tests and runs with, if any
# is missing. Needs root (or sudo). Safe to run again: does nothing when all
# are present.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap bazel-platforms
  g++ python3 procps git tzdata
  clang clang-format libclang-rt-14-dev pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libeigen3-dev libabsl-dev libssl-dev openssl
  python3-grpcio python3-protobuf libcivetweb-dev prometheus haproxy
  libgtest-dev libgmock-dev libbenchmark-dev libgoogle-perftools-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install_deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install_deps: run as root" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
