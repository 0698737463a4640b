# Sourced by the measuring scripts (`engine-vs-floor.sh`, `instruction-parts.sh`), not run:
# runs a program that prints "[NAME:] N requests in …" under callgrind (valgrind) and reads
# back what both need, the instructions it retired and the requests it simulated. Sourcing it
# without valgrind installed stops the script at once, before any build or timed run.

if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then
  echo "$(basename "$0"): valgrind is not installed (apt-get install valgrind)" >&2
  exit 2
fi

# callgrind_run OUT CMD [ARGS…]: runs CMD under callgrind with its profile written to OUT
# (/dev/null for none) and sets `callgrind_refs` and `callgrind_requests`. A failed run, or one
# that printed no count, is an error that shows the program's own output.
callgrind_run() {
  local out=$1 run
  shift
  if ! run=$(valgrind --tool=callgrind --callgrind-out-file="$out" "$@" 2>&1); then
    echo "under callgrind, $* failed:" >&2
    grep -v '^==' <<<"$run" >&2
    exit 2
  fi
  callgrind_refs=$(sed -n 's/.*I *refs: *\([0-9,]*\).*/\1/p' <<<"$run" | tr -d ,)
  callgrind_requests=$(sed -n 's/^[a-z]*:\{0,1\} *\([0-9]*\) requests in.*/\1/p' <<<"$run" | head -1)
  if [ -z "$callgrind_refs" ] || [ -z "$callgrind_requests" ] || [ "$callgrind_requests" -eq 0 ]; then
    echo "under callgrind, $* simulated no requests:" >&2
    grep -v '^==' <<<"$run" >&2
    exit 2
  fi
}
