#!/usr/bin/env bash
# setup.sh — install everything gort needs from Debian 12 packages.
#
# Idempotent: packages already present are not reinstalled, and apt is only
# touched when something is missing. Go 1.23 comes from bookworm-backports,
# whose suite is added to apt's sources when it is not there yet.
# Usage: scripts/setup.sh [--check]   (--check: list what is missing, exit 1 if anything is)
set -euo pipefail

PKGS=(
  build-essential g++ cmake ninja-build pkg-config git
  clang-14 libclang-rt-14-dev              # libFuzzer targets (cmake -DGORT_FUZZ=ON)
  libgtest-dev libgmock-dev libbenchmark-dev
  hwloc libhwloc-dev libpfm4 libpfm4-dev
  libcli11-dev nlohmann-json3-dev
  libboost-context-dev libgc-dev
  libgoogle-perftools-dev libjemalloc-dev libmimalloc-dev
  python3 python3-matplotlib python3-numpy python3-scipy python3-pytest
  golang-1.23-go
  slurmctld slurmd slurm-client munge      # gort-bench fleet, and its test cluster
  chromium
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [[ "${1:-}" == "--check" ]]; then
  if ((${#missing[@]})); then echo "missing: ${missing[*]}"; exit 1; fi
  echo "all dependencies present"; exit 0
fi
((${#missing[@]})) || exit 0

if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
else
  SUDO=
fi

# bookworm-backports carries golang-1.23-go.
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "setup: adding bookworm-backports to apt's sources" >&2
  echo 'deb http://deb.debian.org/debian bookworm-backports main' |
    $SUDO tee /etc/apt/sources.list.d/gort-backports.list >/dev/null
fi

echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
backports=()
plain=()
for p in "${missing[@]}"; do
  case "$p" in golang-1.23-go) backports+=("$p") ;; *) plain+=("$p") ;; esac
done
((${#plain[@]})) && $SUDO apt-get install -y -q --no-install-recommends "${plain[@]}"
((${#backports[@]})) && $SUDO apt-get install -y -q --no-install-recommends -t bookworm-backports "${backports[@]}"
echo "setup: done" >&2
