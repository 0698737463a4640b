//! How fast a request log is read: makes a proxy log of N lines (default 1,000,000) in memory
//! by repeating the bundled examples/replay/proxy-log.jsonl with arrivals shifted forward, then
//! times `read_bytes` on it a few rounds and prints the best round. A replay reads its log once
//! and then simulates, so reading a million lines must take well under the ~0.5 s that
//! simulating a million requests takes (BENCHMARKS.md).
//!
//! Usage: `cargo run --release --example replay-read-speed [LINES] [ROUNDS]`.

use std::path::Path;

use switchyard::replay::read::{ReadOptions, read_bytes};

/// The allocator of the `switchyard` binary, so that the numbers are the command's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `lines` lines of the bundled log, repeated with each copy's arrivals moved past the last.
fn big_log(lines: usize) -> Result<Vec<u8>, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/replay/proxy-log.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let sample: Vec<&str> = text.lines().collect();
    if sample.is_empty() {
        return Err(format!("{}: empty", path.display()));
    }
    let mut out = Vec::with_capacity(lines * (text.len() / sample.len() + 8));
    let key = "\"arrival_unix_s\":";
    for n in 0..lines {
        let (copy, line) = (n / sample.len(), sample[n % sample.len()]);
        let shift = copy as f64 * 600.0;
        {
            let at = line.find(key).ok_or("a line without arrival_unix_s")? + key.len();
            let end = at
                + line[at..]
                    .find(',')
                    .ok_or("a line that ends after its arrival")?;
            let arrival: f64 = line[at..end].parse().map_err(|_| "a bad arrival")?;
            out.extend_from_slice(&line.as_bytes()[..at]);
            out.extend_from_slice(format!("{}", arrival + shift).as_bytes());
            out.extend_from_slice(&line.as_bytes()[end..]);
            out.push(b'\n');
        }
    }
    Ok(out)
}

#[allow(clippy::disallowed_methods, clippy::disallowed_types)]
// Reason: a benchmark's own stopwatch, outside the replay.
fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let lines: usize = args
        .next()
        .map_or(Ok(1_000_000), |a| a.parse())
        .map_err(|_| "LINES")?;
    let rounds: u32 = args
        .next()
        .map_or(Ok(5), |a| a.parse())
        .map_err(|_| "ROUNDS")?;
    let log = big_log(lines)?;
    let mut best = f64::INFINITY;
    let mut requests = 0;
    for _ in 0..rounds {
        let started = std::time::Instant::now();
        let traffic =
            read_bytes("generated", &log, &ReadOptions::default()).map_err(|e| format!("{e:#}"))?;
        best = best.min(started.elapsed().as_secs_f64());
        requests = traffic.requests.len();
    }
    println!(
        "read {requests} requests ({:.0} MB) in {best:.3} s (best of {rounds}, {} threads): {:.2} M lines/s",
        log.len() as f64 / 1e6,
        rayon::current_num_threads(),
        requests as f64 / best / 1e6
    );
    Ok(())
}
