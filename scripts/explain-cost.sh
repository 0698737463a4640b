#!/usr/bin/env bash
# Instructions per request of `switchyard serve` (release) under callgrind, all threads counted:
# a BASE binary given as the argument, then this build with no request asking for an
# explanation, with `explain_every_request: true`, and with every request asking
# (`x-switchyard-explain: true`). The fixed-answer upstream is ../shared/tools/proxy-floor's,
# as in scripts/proxy-bench.sh. Counters are zeroed after a 3 s warm-up; wrk then drives one
# connection for 8 s and the request log says how many requests that was.
# Usage: scripts/explain-cost.sh BASE_BINARY  (FLOOR_BIN=path skips building the upstream)
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: scripts/explain-cost.sh BASE_BINARY}
floor_src=${FLOOR_SRC:-../shared/tools/proxy-floor}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
command -v valgrind >/dev/null || { echo "needs valgrind (callgrind)" >&2; exit 1; }
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --locked -q
serve="${CARGO_TARGET_DIR:-target}/release/switchyard"
floor=${FLOOR_BIN:-} # a built proxy-floor binary, to skip building it
if [ -z "$floor" ]; then
  cp -r "$floor_src" "$work/floor"
  (cd "$work/floor" && CARGO_TARGET_DIR="$work/floor-target" cargo build --release -q)
  floor="$work/floor-target/release/proxylimit"
fi
"$floor" upstream 18290 & pids+=($!)
cat > "$work/config.yaml" <<'YAML'
model_list:
  - model_name: gpt-4o-mini
    litellm_params: {model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:18290/v1", api_key: sk-upstream}
general_settings:
  master_key: sk-floor-bench-key
YAML
cp "$work/config.yaml" "$work/every.yaml"
printf 'switchyard_settings:\n  explain_every_request: true\n' >> "$work/every.yaml"
lua="$floor_src/post.lua"
sed 's/^wrk.headers\["Authorization"\]/wrk.headers["x-switchyard-explain"]="true"\nwrk.headers["Authorization"]/' \
  "$lua" > "$work/asks.lua"

# instructions NAME BINARY CONFIG LUA PORT: prints the instructions per request.
instructions() {
  local name=$1 bin=$2 config=$3 script=$4 port=$5 dir="$work/$1"
  mkdir -p "$dir"
  valgrind --tool=callgrind --callgrind-out-file="$dir/cg.%p" "$bin" serve "$config" \
    --port "$port" --log "$dir/log.jsonl" --seed 1 2>"$dir/valgrind.err" &
  local pid=$!
  for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$port/health/liveliness" && break || sleep 0.2; done
  wrk -t1 -c1 -d3s -s "$script" "http://127.0.0.1:$port/v1/chat/completions" >/dev/null
  sleep 0.5 # the request log is written every 100 ms
  local before; before=$(wc -l < "$dir/log.jsonl")
  callgrind_control -z "$pid" >/dev/null
  wrk -t1 -c1 -d8s -s "$script" "http://127.0.0.1:$port/v1/chat/completions" >/dev/null
  sleep 0.5
  callgrind_control -d "$pid" >/dev/null
  local after; after=$(wc -l < "$dir/log.jsonl")
  sleep 0.5
  local dump; dump=$(ls -t "$dir"/cg."$pid".* | head -1)
  local total; total=$(awk '/^(totals|summary):/{print $2}' "$dump" | tail -1)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  printf '%-26s %12s instructions / %6s requests = %7s per request\n' \
    "$name" "$total" "$((after - before))" "$((total / (after - before)))"
}
instructions base "$base" "$work/config.yaml" "$lua" 14301
instructions "no request asks" "$serve" "$work/config.yaml" "$lua" 14302
instructions explain_every_request "$serve" "$work/every.yaml" "$lua" 14303
instructions "every request asks" "$serve" "$work/config.yaml" "$work/asks.lua" 14304
