#!/usr/bin/env bash
# Prints a SHA-256 digest of every bundled scenario's summary.json, requests.csv and budgets.csv,
# and of `--explain` for a few request ids.
# A change that claims "no behaviour change" runs this before and after and diffs the two lists.
# The runs write requests.csv (`--requests csv` where the binary has the flag, its default before
# requests.parquet), so digests stay comparable across versions.
# Usage: scripts/scenario-digests.sh [BINARY] > digests.txt
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-./target/release/switchyard}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
requests=()
# grep reads the whole help (not -q): an early exit would fail the pipeline under pipefail.
if "$bin" run --help 2>/dev/null | grep -- '--requests' >/dev/null; then
  requests=(--requests csv)
fi
for scenario in scenarios/*.yaml; do
  name=$(basename "$scenario" .yaml)
  "$bin" run "$scenario" --brief "${requests[@]}" --out "$out/$name" >/dev/null 2>&1
  for file in summary.json requests.csv budgets.csv; do
    if [ -f "$out/$name/$file" ]; then
      echo "$(sha256sum < "$out/$name/$file" | cut -c1-64)  $name/$file"
    fi
  done
  for id in 0 9 42 314; do
    echo "$("$bin" run "$scenario" --explain "$id" 2>&1 | sha256sum | cut -c1-64)  $name/explain-$id"
  done
done
