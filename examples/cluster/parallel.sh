#!/bin/sh
# A large `switchyard sweep` with GNU parallel: 8 shards (0-based, as --shard takes them) on
# this machine — or on several with `parallel -S host1,host2 --workdir ...` and a shared
# directory — then one merge into the report a single run writes.
set -eu
parallel --halt now,fail=1 \
  switchyard sweep scenarios/sweep-cooldowns.yaml --seeds 30 --quiet --threads 1 \
  --shard {}/8 --out partials ::: $(seq 0 7)
switchyard merge partials --out reports/sweep-cooldowns
