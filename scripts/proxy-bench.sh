#!/usr/bin/env bash
# Measures the live proxy against the bare pass-through floor (../shared/tools/proxy-floor) in one
# run, all on loopback: a fixed-answer upstream, the floor proxy in front of it, and
# `switchyard serve` in front of it with that upstream as its only deployment. wrk drives each at
# concurrency 1 (added latency) and 50 (throughput); the proxy's resident memory is read after
# the runs (at least 100,000 requests). Prints one table; report ratios, not absolute times.
# Usage: scripts/proxy-bench.sh [SECONDS_PER_RUN]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-8}
floor_src=${FLOOR_SRC:-../shared/tools/proxy-floor}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --locked -q
cp -r "$floor_src" "$work/floor"
(cd "$work/floor" && CARGO_TARGET_DIR="$work/floor-target" cargo build --release -q)
floor="$work/floor-target/release/proxylimit"

"$floor" upstream 18090 & pids+=($!)
"$floor" proxy 14000 http://127.0.0.1:18090/v1/chat/completions & pids+=($!)
cat > "$work/config.yaml" <<'YAML'
model_list:
  - model_name: gpt-4o-mini
    litellm_params: {model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:18090/v1", api_key: sk-upstream}
general_settings:
  master_key: sk-floor-bench-key
YAML
./target/release/switchyard serve "$work/config.yaml" --port 14001 --log "$work/requests.jsonl" --seed 1 2>"$work/serve.err" & pids+=($!)
serve_pid=$!
for port in 18090 14000 14001; do
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break || sleep 0.1; done
done

lua="$floor_src/post.lua"
run() { # name url connections
  out=$(wrk -t1 -c"$3" -d"${secs}s" --latency -s "$lua" "$2")
  p50=$(awk '/ 50%/{print $2}' <<<"$out"); p99=$(awk '/ 99%/{print $2}' <<<"$out")
  rps=$(awk '/Requests\/sec/{print $2}' <<<"$out"); total=$(awk '/requests in/{print $1}' <<<"$out")
  errs=$(awk '/Non-2xx/{print $5}' <<<"$out")
  printf '%-12s c=%-3s p50 %-9s p99 %-9s %10s req/s  %8s requests %s\n' "$1" "$3" "$p50" "$p99" "$rps" "$total" "${errs:+non-2xx $errs}"
}
url=/v1/chat/completions
run upstream  http://127.0.0.1:18090$url 1
run floor     http://127.0.0.1:14000$url 1
run switchyard http://127.0.0.1:14001$url 1
run upstream  http://127.0.0.1:18090$url 50
run floor     http://127.0.0.1:14000$url 50
run switchyard http://127.0.0.1:14001$url 50
rss_kb=$(awk '/VmRSS/{print $2}' "/proc/$serve_pid/status")
lines=$(wc -l < "$work/requests.jsonl")
echo "switchyard serve resident memory after $lines logged requests: $((rss_kb / 1024)) MB"
