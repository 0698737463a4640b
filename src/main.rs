//! The `switchyard` binary: a thin shell over the library's command line ([`switchyard::app`]).
//! It must not hold logic of its own.

/// The proxy allocates per request from many threads; mimalloc's per-thread heaps keep that off
/// a shared lock (measured in BENCHMARKS.md). It is built with `no_thp`: mimalloc does not ask
/// the kernel for transparent huge pages, and the system's own policy decides. Asking for them
/// made every fresh 2 MB of a big read cost a huge page's fault and zeroing: a million-line
/// replay spent three times the system time with them (BENCHMARKS.md).
#[cfg(feature = "live")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    switchyard::app::cli::main()
}
