#!/usr/bin/env bash
# Data-cache misses a request, the engine against the bare event loop, under cachegrind's cache
# model (valgrind): a figure the host's load does not move. Builds `../shared/tools/des-floor`
# and the `engine-throughput` example as `engine-vs-floor.sh` does, then runs the floor and the
# engine's `shuffle` and `outage` workloads with two first-level data caches, both 12-way: 48 KiB
# (this host's processor, a core's own) and 24 KiB (about what that core leaves each of two
# hyper-threads when another tenant runs on its sibling). The last level modelled is the core's
# 2 MiB second-level cache.
# Misses a request are what a busy host makes slower: each one waits for the next level.
#
# Usage: scripts/cache-misses.sh [DES_FLOOR_DIR]
#   DES_FLOOR_DIR  des-floor's source (default: $DES_FLOOR_DIR, else ../shared/tools/des-floor
#                  beside the checkout)
#   ENGINE_BIN=…   an engine-throughput binary to measure instead of building this checkout's
#   FLOOR_REQUESTS=200000  requests the floor simulates (the engine runs one round of each)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
floor_dir=${1:-${DES_FLOOR_DIR:-$repo/../shared/tools/des-floor}}
if [ ! -f "$floor_dir/Cargo.toml" ]; then
  echo "cache-misses: des-floor's source not found at $floor_dir" >&2
  exit 2
fi
if ! command -v valgrind >/dev/null; then
  echo "cache-misses: valgrind is not installed (apt-get install valgrind)" >&2
  exit 2
fi
target=${CARGO_TARGET_DIR:-$repo/target}
echo "building des-floor and the engine (release)…" >&2
CARGO_TARGET_DIR="$target/des-floor" cargo build --quiet --release --manifest-path "$floor_dir/Cargo.toml"
floor="$target/des-floor/release/des-floor"
engine=${ENGINE_BIN:-}
if [ -z "$engine" ]; then
  cargo build --quiet --release --example engine-throughput
  engine="$target/release/examples/engine-throughput"
fi

# One cachegrind run: prints instructions, I1, D1 and LL misses a request.
measure() {
  local d1=$1 ll=$2 run requests
  shift 2
  run=$(valgrind --tool=cachegrind --cache-sim=yes --D1="$d1,12,64" --LL="$ll,16,64" \
    --cachegrind-out-file=/dev/null "$@" 2>&1) || {
    echo "under cachegrind, $* failed:" >&2
    grep -v '^==' <<<"$run" >&2
    exit 2
  }
  requests=$(sed -n 's/^[a-z]*:\{0,1\} *\([0-9]*\) requests in.*/\1/p' <<<"$run" | head -1)
  count() { sed -n "s/.*$1 *\([0-9,]*\).*/\1/p" <<<"$run" | head -1 | tr -d ,; }
  awk -v n="$requests" -v ir="$(count 'I *refs:')" -v i1="$(count 'I1 *misses:')" \
    -v dm="$(count 'D1 *misses:')" -v lm="$(count 'LL misses:')" \
    'BEGIN { printf "%8.0f %8.2f %8.2f %8.2f", ir / n, i1 / n, dm / n, lm / n }'
}

printf '%-16s %-7s %8s %8s %8s %8s\n' what L1d instr I1miss D1miss LLmiss
for cache in "49152 2097152" "24576 2097152"; do
  set -- $cache
  printf '%-16s %-7s %s\n' floor "$(($1 / 1024))K" \
    "$(measure "$1" "$2" "$floor" "${FLOOR_REQUESTS:-200000}")"
  for w in shuffle outage; do
    printf '%-16s %-7s %s\n' "engine/$w" "$(($1 / 1024))K" "$(measure "$1" "$2" "$engine" "$w" 1)"
  done
done
