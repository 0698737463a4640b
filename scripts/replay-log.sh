#!/usr/bin/env bash
# Regenerates examples/replay/proxy-log.jsonl: scenarios/replay-source.yaml driven through the
# real live proxy (`switchyard serve examples/replay/current.yaml`) against `switchyard
# mock-provider` serving the scenario's providers, all on loopback, time compressed SPEED-fold
# (default 20: five scenario minutes take about 15 s). The proxy's clock runs at the same speed,
# so the log's arrivals, durations, cooldowns and rate-limit minutes are in scenario time.
# Usage: scripts/replay-log.sh [BINARY]   (default: builds and uses target/debug/switchyard)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-}
if [ -z "$bin" ]; then
  cargo build -q
  bin="${CARGO_TARGET_DIR:-target}/debug/switchyard"
fi
speed=${SPEED:-20}
mock_port=${MOCK_PORT:-19316}
proxy_port=${PROXY_PORT:-14316}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

scenario=scenarios/replay-source.yaml
"$bin" mock-provider "$scenario" --port "$mock_port" --speed "$speed" --seed 16 2>"$work/mock.err" &
pids+=($!)
# The config has no master key: local development, as LiteLLM's proxy would need it declared.
LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY=true \
  "$bin" serve examples/replay/current.yaml --port "$proxy_port" --log "$work/log.jsonl" --seed 16 \
  --mock-upstream "http://127.0.0.1:$mock_port" --speed "$speed" 2>"$work/serve.err" &
serve_pid=$!
pids+=($serve_pid)
for port in "$mock_port" "$proxy_port"; do
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break || sleep 0.1; done
done
"$bin" drive "$scenario" --target "http://127.0.0.1:$proxy_port" --speed "$speed" --seed 16 \
  --out "$work/report" >"$work/drive.out"
kill -INT "$serve_pid"
wait "$serve_pid" || true
# The log is in completion order; keep it so (a replay sorts by arrival).
cp "$work/log.jsonl" examples/replay/proxy-log.jsonl
echo "examples/replay/proxy-log.jsonl: $(wc -l <examples/replay/proxy-log.jsonl) requests, $(wc -c <examples/replay/proxy-log.jsonl) bytes"
