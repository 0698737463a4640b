#!/usr/bin/env bash
# Where a simulated request's instructions go. Builds `engine-throughput` with the
# `profile-parts` feature, which keeps the engine's and router's main steps out of line, runs
# a workload under callgrind (valgrind) and prints each part's inclusive instructions a
# request; the engine's own bookkeeping is what the parts leave of the total. The kept calls
# add instructions of their own, so the total is above the inlined build's
# (`INSTRUCTIONS=1 scripts/engine-vs-floor.sh` counts that one): read the split, not the sum.
#
# Usage: scripts/instruction-parts.sh [shuffle|outage] [ROUNDS]   (default: shuffle 2)
# The build goes to $CARGO_TARGET_DIR/profile-parts (default target/profile-parts), apart from
# the inlined build's binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
workload=${1:-shuffle}
rounds=${2:-2}
. scripts/callgrind-run.sh
target="${CARGO_TARGET_DIR:-$(pwd)/target}/profile-parts"
echo "building engine-throughput with profile-parts (release)…" >&2
CARGO_TARGET_DIR="$target" cargo build --quiet --release --features profile-parts \
  --example engine-throughput
bin="$target/release/examples/engine-throughput"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
callgrind_run "$out" "$bin" "$workload" "$rounds"
requests=$callgrind_requests
total=$callgrind_refs
inclusive=$(callgrind_annotate --inclusive=yes "$out" 2>/dev/null)

# Inclusive instructions of the function named $1. Callgrind lists a function once for each
# source file its instructions come from (its own and those inlined into it); the entry its
# callers' calls go to holds the whole inclusive count, the others a part: take the largest.
cost() {
  awk -v fn="$1" '
    /^ *[0-9,]+ / {
      line = $0
      sub(/ \[[^]]*\]$/, "", line)
      if (substr(line, length(line) - length(fn)) == ":" fn) {
        n = $1; gsub(",", "", n)
        if (n + 0 > best) best = n + 0
      }
    }
    END { print best + 0 }' <<<"$inclusive"
}
per_request() { awk -v i="$1" -v n="$requests" 'BEGIN { printf "%.0f", i / n }'; }

# The parts: each runs outside every other (none calls another), so they add up.
parts=(
  "the arrival gap|switchyard::sim::workload::Arrivals::next_arrival"
  "the class and token counts|switchyard::sim::workload::MixSampler::draw"
  "the provider's answer|switchyard::sim::provider::SyntheticProvider<T>::serve"
  "the router: choosing|switchyard::router::Router::next_step_traced"
  "the router: the outcome|switchyard::router::Router::record_traced"
  "the statistics|<switchyard::metrics::policy_stats::PolicyStats as switchyard::metrics::record::RecordSink>::request"
  "the event queue: push|switchyard::sim::event_queue::EventQueue<E>::push"
  "the event queue: pop|switchyard::sim::event_queue::EventQueue<E>::pop"
)
# Within those parts, for detail.
details=(
  "  of choosing: the choice|switchyard::router::Router::choose"
  "  of the choice: the filters|switchyard::router::eligibility::Pipeline::filter"
  "  of the choice: the strategy's pick|switchyard::router::eligibility::Pipeline::pick"
  "  of the statistics: histogram records|hdrhistogram::Histogram<T>::saturating_record"
  "  of the arrival gap: the maths library's log|log@@GLIBC_2.29"
)

echo "$workload, $rounds rounds: $requests requests; instructions a request, inclusive"
sum=0
for entry in "${parts[@]}" "${details[@]}"; do
  name=${entry%%|*}
  fn=${entry#*|}
  c=$(cost "$fn")
  case "$name" in
    "  "*)
      # A detail may be absent (another maths library names its log otherwise).
      if [ "$c" -eq 0 ]; then shown="–"; else shown=$(per_request "$c"); fi
      printf '%-48s %8s\n' "$name" "$shown"
      ;;
    *)
      if [ "$c" -eq 0 ]; then
        echo "instruction-parts: callgrind counted nothing for $fn: renamed, or inlined" \
          "despite profile-parts? (scripts/instruction-parts.sh lists the parts)" >&2
        exit 1
      fi
      printf '%-48s %8s\n' "$name" "$(per_request "$c")"
      sum=$((sum + c))
      ;;
  esac
done
printf '%-48s %8s\n' "the engine's own bookkeeping, and the kept calls" "$(per_request $((total - sum)))"
printf '%-48s %8s\n' "total" "$(per_request "$total")"
