#!/usr/bin/env bash
# Installs what tacit needs on Debian 12 (run as root). `setup.sh demo` installs only what the
# crew demo needs; `setup.sh test` adds the test peers: clang, valgrind, Google Benchmark,
# a real Prometheus, headless Chromium, and the official OpenTelemetry JS decoder (npm ci).
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-test}
build=(g++ meson ninja-build pkg-config cmake python3 libfmt-dev libcurl4-openssl-dev zlib1g-dev
       libcpp-httplib-dev nlohmann-json3-dev ca-certificates)
peers=(clang libclang-rt-14-dev doctest-dev libbenchmark-dev valgrind binutils curl openssl
       prometheus chromium)

packages=("${build[@]}")
[ "$what" = test ] && packages+=("${peers[@]}")
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts no services in a container, but be sure no stray Prometheus holds port 9090.
if [ "$what" = test ] && [ -f tests/otlp/package-lock.json ]; then
  npm ci --prefix tests/otlp --no-audit --no-fund --loglevel=error
fi
