#!/usr/bin/env bash
# One simulated day at 100 requests/s (the bundled load-balancing scenario with `duration: 1d`,
# `rate: 100/s`: 8.64 M requests), timed three ways in the same script run: the engine alone
# (examples/engine-throughput: simulate_quietly, nothing written), the full default `run`
# (requests.parquet), and `run --requests csv`. Prints wall time, the ratio to the engine's own
# time, the maximum resident set size and the per-request file's size of each, REPEAT times
# (default 1; the machine may be shared, so compare medians).
# Usage: scripts/day-run.sh [BINARY] [REPEAT]   (build the binary and the example in release:
#   cargo build --release && cargo build --release --example engine-throughput)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-./target/release/switchyard}
repeat=${2:-1}
engine="$(dirname "$bin")/examples/engine-throughput"
[ -x "$engine" ] || { echo "missing $engine: cargo build --release --example engine-throughput" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -e 's/^duration: .*/duration: 1d/' -e 's/^  rate: .*/  rate: 100\/s/' \
  scenarios/seed-load-balancing.yaml > "$tmp/day.yaml"
grep -q '^duration: 1d' "$tmp/day.yaml" && grep -q '^  rate: 100/s' "$tmp/day.yaml" \
  || { echo "could not set duration and rate in the scenario" >&2; exit 2; }

# timed LABEL COMMAND...: runs COMMAND under /usr/bin/time, prints "LABEL wall_s max_rss_mb".
timed() {
  local label=$1; shift
  /usr/bin/time -f '%e %M' -o "$tmp/time" "$@" > "$tmp/out" 2>&1 || { cat "$tmp/out" >&2; exit 1; }
  read -r wall rss < "$tmp/time"
  echo "$label $wall $((rss / 1024))"
}

size_mb() { if [ -f "$1" ]; then echo $(( $(stat -c %s "$1") / 1000000 )); else echo -; fi; }

printf '%-8s %-9s %8s %8s %9s %10s\n' run what wall_s ×engine rss_MB file_MB
for i in $(seq 1 "$repeat"); do
  read -r _ engine_wall engine_rss < <(timed engine "$engine" "$tmp/day.yaml")
  printf '%-8s %-9s %8s %8s %9s %10s\n' "$i" engine "$engine_wall" 1.00 "$engine_rss" -
  for format in parquet csv; do
    rm -rf "$tmp/report"
    read -r _ wall rss < <(timed "$format" "$bin" run "$tmp/day.yaml" --quiet --brief \
      --requests "$format" --out "$tmp/report")
    ratio=$(awk -v a="$wall" -v b="$engine_wall" 'BEGIN { printf "%.2f", a / b }')
    printf '%-8s %-9s %8s %8s %9s %10s\n' "$i" "$format" "$wall" "$ratio" "$rss" \
      "$(size_mb "$tmp/report/requests.$format")"
  done
done
