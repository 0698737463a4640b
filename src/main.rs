//! The `switchyard` binary: a thin shell over the library's command line ([`switchyard::app`]).
//! It must not hold logic of its own.

/// The proxy allocates per request from many threads; mimalloc's per-thread heaps keep that off
/// a shared lock (measured in BENCHMARKS.md).
#[cfg(feature = "live")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    switchyard::app::cli::main()
}
