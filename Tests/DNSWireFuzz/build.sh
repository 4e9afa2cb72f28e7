#!/usr/bin/env bash
# Builds a libFuzzer binary for DNSWire: the module's sources plus entry.swift, one module.
#   Tests/DNSWireFuzz/build.sh && /tmp/dnswire-fuzz -max_len=2048 -runs=1000000
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-/tmp/dnswire-fuzz}
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name DNSWireFuzzer \
  Sources/DNSWire/*.swift Tests/DNSWireFuzz/entry.swift -o "$out"
echo "$out"
