#!/usr/bin/env bash
# Install the Debian packages megdns needs to build, run and test, where they are missing.
# Idempotent: installs nothing when everything is present. Needs root (or sudo) only then.
set -euo pipefail

PKGS=(build-essential cmake pkg-config clang-format
      libldns-dev libuv1-dev libssl-dev check libyaml-dev libnghttp2-dev
      ldnsutils bind9-dnsutils knot-dnsutils nsd unbound iproute2 python3 util-linux curl dnsperf haproxy
      nix-bin   # nix-bin: tests/integration/t_nixos.sh parses the NixOS module
      clang libclang-rt-dev)  # the fuzz build: libclang-rt-14-dev has libclang_rt.fuzzer

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "deps: run as root: apt-get install ${missing[*]}" >&2; exit 1; }
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts the packaged nsd/unbound services; the tests run their own instances.
for svc in nsd unbound haproxy; do
	$SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
done
