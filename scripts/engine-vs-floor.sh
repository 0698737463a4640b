#!/usr/bin/env bash
# The engine against the bare event loop, in one session: builds `../shared/tools/des-floor`
# (a binary heap, Poisson arrivals, a weighted pick, exponential service, two events per
# request) and the `engine-throughput` example, then alternates them for ROUNDS rounds and
# prints each throughput, each ratio to the floor run just before it, and the medians.
# Throughput is requests per second of CPU time (user + system, from bash's `time`), not of
# wall time: on a machine shared with other work the wall clock counts the time the process
# waited for a core, the CPU time much less so. The ratio within a round is what to compare.
# When the machine's speed swings within a round too (other virtual machines on the host),
# the best figure of each over all rounds — the run least slowed by others — gives the
# steadier ratio, printed last.
#
# Usage: scripts/engine-vs-floor.sh [DES_FLOOR_DIR]
#   DES_FLOOR_DIR  des-floor's source (default: $DES_FLOOR_DIR, else ../shared/tools/des-floor
#                  beside the checkout)
#   ROUNDS=5       rounds of floor, shuffle, floor, outage
#   ENGINE_ROUNDS=10  simulations per engine measurement
#   FLOOR_REQUESTS=10000000  requests per floor measurement
#   BASELINE_BIN=… an engine-throughput binary of another build, measured in the same rounds
#   INSTRUCTIONS=1 also count instructions a request under callgrind (valgrind): a figure the
#                  host's load does not move, for comparing builds when the times are noisy;
#                  with each median rate it gives the instructions retired a CPU second
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
floor_dir=${1:-${DES_FLOOR_DIR:-$repo/../shared/tools/des-floor}}
if [ ! -f "$floor_dir/Cargo.toml" ]; then
  echo "engine-vs-floor: des-floor's source not found at $floor_dir" >&2
  echo "  (expected ../shared/tools/des-floor beside the checkout; pass its directory as the" >&2
  echo "  first argument or set DES_FLOOR_DIR)" >&2
  exit 2
fi
rounds=${ROUNDS:-5}
engine_rounds=${ENGINE_ROUNDS:-10}
target=${CARGO_TARGET_DIR:-$repo/target}

# Counting instructions needs valgrind: without it, stop before any build or timed round.
if [ "${INSTRUCTIONS:-0}" = 1 ]; then
  . scripts/callgrind-run.sh
fi

echo "building des-floor and the engine (release)…" >&2
floor_target="$target/des-floor"
CARGO_TARGET_DIR="$floor_target" cargo build --quiet --release --manifest-path "$floor_dir/Cargo.toml"
floor="$floor_target/release/des-floor"
cargo build --quiet --release --example engine-throughput
engine="$target/release/examples/engine-throughput"

# Runs a command printing "N requests in …" and prints millions of requests per CPU second.
rate() {
  local out cpu requests
  out=$( { TIMEFORMAT='%U %S'; time "$@" 2>/dev/null; } 2>&1)
  requests=$(sed -n 's/^[a-z]*:\{0,1\} *\([0-9]*\) requests in.*/\1/p' <<<"$out" | head -1)
  cpu=$(tail -1 <<<"$out")
  awk -v n="$requests" -v cpu="$cpu" 'BEGIN { split(cpu, t, " "); printf "%.2f", n / (t[1] + t[2]) / 1e6 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# The median of a space-separated list.
median_of() { tr ' ' '\n' <<<"$1" | grep . | median; }

# The builds measured, and the binary of each.
builds=(engine)
[ -n "${BASELINE_BIN:-}" ] && builds+=(baseline)
bin_of() { if [ "$1" = baseline ]; then echo "$BASELINE_BIN"; else echo "$engine"; fi; }

declare -A ratios rates
floors=()
printf '%-6s %-17s %16s %8s\n' round what 'M req/CPU s' '÷ floor'
for r in $(seq 1 "$rounds"); do
  for workload in shuffle outage; do
    f=$(rate "$floor" "${FLOOR_REQUESTS:-10000000}")
    floors+=("$f")
    printf '%-6s %-17s %16s\n' "$r" floor "$f"
    for build in "${builds[@]}"; do
      e=$(rate "$(bin_of "$build")" "$workload" "$engine_rounds")
      q=$(ratio "$e" "$f")
      ratios["$build/$workload"]+="$q "
      rates["$build/$workload"]+="$e "
      printf '%-6s %-17s %16s %8s\n' "$r" "$build/$workload" "$e" "$q"
    done
  done
done
echo
median_floor=$(median_of "${floors[*]}")
echo "median floor: $median_floor M requests per CPU second"
for key in $(printf '%s\n' "${!ratios[@]}" | sort); do
  echo "median ratio $key: $(median_of "${ratios[$key]}")"
done
best() { sort -g | tail -1; }
best_floor=$(printf '%s\n' "${floors[@]}" | best)
echo "best floor: $best_floor M requests per CPU second"
for key in $(printf '%s\n' "${!rates[@]}" | sort); do
  b=$(tr ' ' '\n' <<<"${rates[$key]}" | grep . | best)
  echo "best $key: $b ($(ratio "$b" "$best_floor") of the best floor)"
done

# Instructions a request, counted under callgrind: deterministic, unlike the times above.
if [ "${INSTRUCTIONS:-0}" = 1 ]; then
  # Runs a command under callgrind and prints its instructions per request.
  per_request() {
    callgrind_run /dev/null "$@"
    awk -v i="$callgrind_refs" -v n="$callgrind_requests" 'BEGIN { printf "%.0f", i / n }'
  }
  # Billions of instructions per CPU second at a median rate: when the two run at about the
  # same pace, the ratio of requests per second is the ratio of instructions a request.
  pace() { awk -v r="$1" -v i="$2" 'BEGIN { printf "%.2f", r * i / 1000 }'; }
  echo
  f=$(per_request "$floor" 2000000)
  echo "instructions a request: floor $f; at the median rate $(pace "$median_floor" "$f") G a CPU second"
  for workload in shuffle outage; do
    for build in "${builds[@]}"; do
      e=$(per_request "$(bin_of "$build")" "$workload" 2)
      m=$(median_of "${rates[$build/$workload]}")
      echo "instructions a request: $build/$workload $e (floor ÷ this: $(ratio "$f" "$e")); at the median rate $(pace "$m" "$e") G a CPU second"
    done
  done
fi
