#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and running the ldgs demo need.
# Idempotent: packages already present are not reinstalled and apt is not touched at all.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libboost-dev libgtest-dev libgmock-dev
  libsodium-dev libtomlplusplus-dev libcli11-dev libspdlog-dev nlohmann-json3-dev
  openssl
  clang-14 libclang-rt-14-dev   # libFuzzer targets
  chromium   # renders the HTML report to PNG in a test
  libxapian-dev   # the practice catalogue's full-text index
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run this script as root" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
