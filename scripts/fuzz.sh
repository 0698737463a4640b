#!/usr/bin/env bash
# A longer fuzzing campaign over the input files than CI's (tests/it/fuzz.rs): the bundled
# scenarios and configs, mutated, through validate, the run gate and a bounded run.
#
#   scripts/fuzz.sh                 # 20000 cases, seed 1
#   CASES=200000 SEED=7 scripts/fuzz.sh
#
# CASES is the number of cases, SEED the generator's seed (vary it to explore further). A
# failing case is shrunk to a small input and printed; a hang is reported by the test's
# watchdog with its input.
set -euo pipefail
cd "$(dirname "$0")/.."
export SWITCHYARD_FUZZ_CASES="${CASES:-20000}"
export PROPTEST_RNG_SEED="${SEED:-1}"
cargo test --locked --release --test it fuzz::mutated_inputs -- --nocapture
