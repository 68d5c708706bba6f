#!/usr/bin/env bash
# Installs the Debian packages mxconform builds and tests with (apt-get when root), or prints
# the one command to run. Nothing is downloaded from anywhere but Debian's archive.
set -euo pipefail

packages=(
  gcc libc6-dev make cmake pkg-config   # toolchain (a fresh Debian 12 has none)
  libuv1-dev                            # event loop, TCP, timers, processes
  node-llhttp                           # llhttp C sources, built as a static library
  libcurl4-openssl-dev                  # reference client and load driver
  libcjson-dev                          # scenarios, XAS bodies, reports
  libcriterion-dev                      # tests
  libssl-dev                            # HTTPS in the mock
  ca-certificates
  curl                                  # the curl command line, an independent client in tests
  libxml2-utils                         # xmllint: the JUnit reports are validated against docs/junit.xsd
  python3-junitparser                   # a JUnit consumer that reads the JUnit reports back in tests
  perl                                  # prove: a TAP consumer that reads the TAP reports back in tests
  chromium                              # the HTML report opened headless, screenshot checked, in tests
  fonts-dejavu-core                     # a font for chromium's screenshots (minbase has none)
  python3                               # examples/adapters/python_client.py in the adapter tests
  nodejs                                # examples/adapters/node_client.mjs (also pulled in by node-llhttp)
)

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "deps: this is not a Debian system; install the equivalents of: ${packages[*]}" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  [[ "$status" == ii* ]] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing Debian packages: ${missing[*]}" >&2
  echo "deps: run this, then try again:" >&2
  echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
  apt-get update >&2
  apt-get install -y --no-install-recommends "${missing[@]}" >&2
fi
