#!/usr/bin/env bash
# The replay's speed against a simulation of the same size, end to end through the command
# line: a proxy log of N requests (default 1,000,000) made by repeating the bundled
# examples/replay/proxy-log.jsonl with arrivals shifted forward, replayed through the config it
# was recorded with, against the same number of simulated requests: `switchyard run` (one seed)
# and `switchyard compare` (as many seeds as the replay) of scenarios/replay-source.yaml (the
# scenario the log was recorded from) lengthened to the same number of requests. Prints wall and
# CPU seconds and peak memory of each, from /usr/bin/time. SEEDS (default 2, the fewest a replay
# or a compare takes) sets the seeds of both, ROUNDS (default 2) how many rounds.
#
# Usage: scripts/replay-vs-run.sh [BINARY] [REQUESTS]   (BINARY default target/release/switchyard)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/switchyard}
requests=${2:-1000000}
seeds=${SEEDS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$requests" "$work/log.jsonl" <<'PY'
import json, sys
n, out = int(sys.argv[1]), sys.argv[2]
lines = open("examples/replay/proxy-log.jsonl").read().splitlines()
with open(out, "w") as f:
    for i in range(n):
        copy, line = divmod(i, len(lines))
        row = json.loads(lines[line])
        row["arrival_unix_s"] += copy * 300.0
        row["request_id"] = i
        f.write(json.dumps(row, separators=(",", ":")) + "\n")
PY
# The scenario at the log's rate (5/s) for as long as N requests take.
seconds=$((requests / 5))
sed -e "s#^duration: .*#duration: ${seconds}s#" \
    -e "s#^config: .*#config: $PWD/examples/replay/current.yaml#" \
    -e '/^expect:/,$d' scenarios/replay-source.yaml > "$work/source.yaml"
ls -l "$work/log.jsonl" | awk '{printf "log: %d bytes\n", $5}'

# Each command starts with nothing left to write back from the one before (the log itself,
# compare's charts and tables), so that no command pays for another's writes.
measure() {
  local label=$1; shift
  sync
  /usr/bin/time -f "$label: %e s wall, %U s user + %S s system, %M KB max RSS" "$@" >/dev/null
}
for round in $(seq "${ROUNDS:-2}"); do
  echo "-- round $round"
  measure "run (1 seed, default outputs)" "$bin" run "$work/source.yaml" --out "$work/run" --quiet
  measure "run --requests none" "$bin" run "$work/source.yaml" --out "$work/run-none" --requests none --quiet
  measure "compare ($seeds seeds)" "$bin" compare "$work/source.yaml" --seeds "$seeds" \
    --out "$work/compare"
  measure "replay ($seeds seeds)" "$bin" replay "$work/log.jsonl" \
    --config examples/replay/current.yaml --seeds "$seeds" --out "$work/replay"
done
