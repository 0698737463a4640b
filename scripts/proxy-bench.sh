#!/usr/bin/env bash
# Measures the live proxy against the bare pass-through floor (../shared/tools/proxy-floor) in one
# run, all on loopback: a fixed-answer upstream, the floor proxy in front of it, and
# `switchyard serve` in front of it with that upstream as its only deployment. wrk drives each at
# concurrency 1 (added latency) and 50 (throughput); the proxy's resident memory is read after
# the runs (at least 100,000 requests). Prints one table; report ratios, not absolute times.
# Each target is warmed up alike, then measured in interleaved rounds; medians are reported.
# Usage: scripts/proxy-bench.sh [SECONDS_PER_RUN] (ROUNDS=5 by default)
# BASELINE_BIN=path/to/an/earlier/switchyard adds that build as a fourth target in the same
# rounds, to measure a change's cost ("with and without, same run").
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-4}
rounds=${ROUNDS:-5}
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
names=(upstream floor switchyard); ports=(18090 14000 14001)
if [ -n "${BASELINE_BIN:-}" ]; then
  "$BASELINE_BIN" serve "$work/config.yaml" --port 14002 --log "$work/base.jsonl" --seed 1 2>"$work/base.err" & pids+=($!)
  names+=(baseline); ports+=(14002)
fi
for port in "${ports[@]}"; do
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break || sleep 0.1; done
done

lua="$floor_src/post.lua"
url=/v1/chat/completions
# Warm-up, unmeasured and alike for all three: first connections, allocator arenas, page faults.
for port in "${ports[@]}"; do wrk -t1 -c8 -d2s -s "$lua" "http://127.0.0.1:$port$url" >/dev/null; done

us() { # wrk's latency (e.g. 181.00us, 1.62ms) in microseconds
  awk '{v=$1; if (v ~ /us$/) {sub("us","",v)} else if (v ~ /ms$/) {sub("ms","",v); v*=1000} else if (v ~ /s$/) {sub("s","",v); v*=1e6}; print v}'
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
declare -A p50 p99 rps
# Rounds interleave the three targets, so that a slow spell of the machine hits them alike.
for round in $(seq "$rounds"); do
  for c in 1 50; do
    for i in "${!ports[@]}"; do
      out=$(wrk -t1 -c"$c" -d"${secs}s" --latency -s "$lua" "http://127.0.0.1:${ports[$i]}$url")
      p50[$i,$c]+="$(awk '/ 50%/{print $2}' <<<"$out" | us) "
      p99[$i,$c]+="$(awk '/ 99%/{print $2}' <<<"$out" | us) "
      rps[$i,$c]+="$(awk '/Requests\/sec/{print $2}' <<<"$out") "
      errs=$(awk '/Non-2xx/{print $5}' <<<"$out")
      [ -z "$errs" ] || echo "${names[$i]} c=$c: $errs non-2xx answers" >&2
    done
  done
done
for c in 1 50; do
  for i in "${!ports[@]}"; do
    printf '%-11s c=%-3s p50 %7s us  p99 %7s us  %9s req/s   (median of %s rounds; p99s: %s)\n' \
      "${names[$i]}" "$c" "$(median <<<"${p50[$i,$c]}")" "$(median <<<"${p99[$i,$c]}")" \
      "$(median <<<"${rps[$i,$c]}")" "$rounds" "${p99[$i,$c]}"
  done
done
up=$(median <<<"${p99[0,1]}"); fl=$(median <<<"${p99[1,1]}"); sy=$(median <<<"${p99[2,1]}")
awk -v u="$up" -v f="$fl" -v s="$sy" 'BEGIN{printf "c=1 added p99 over the upstream: floor %.0f us, switchyard %.0f us, ratio %.2f (target <= 1.2)\n", f-u, s-u, (s-u)/(f-u)}'
awk -v f="$(median <<<"${rps[1,50]}")" -v s="$(median <<<"${rps[2,50]}")" 'BEGIN{printf "c=50 throughput: switchyard / floor %.2f (target >= 0.8)\n", s/f}'
if [ -n "${BASELINE_BIN:-}" ]; then
  bs=$(median <<<"${p99[3,1]}")
  awk -v u="$up" -v b="$bs" -v s="$sy" 'BEGIN{printf "c=1 added p99 over the upstream: baseline %.0f us, switchyard %.0f us, switchyard / baseline %.2f\n", b-u, s-u, (s-u)/(b-u)}'
  awk -v b="$(median <<<"${rps[3,50]}")" -v s="$(median <<<"${rps[2,50]}")" 'BEGIN{printf "c=50 throughput: switchyard / baseline %.2f\n", s/b}'
fi
rss_kb=$(awk '/VmRSS/{print $2}' "/proc/$serve_pid/status")
lines=$(wc -l < "$work/requests.jsonl")
echo "switchyard serve resident memory after $lines logged requests: $((rss_kb / 1024)) MB"
