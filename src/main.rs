//! The `switchyard` binary: a thin shell over the library's command line ([`switchyard::app`]).
//! It must not hold logic of its own.

fn main() -> std::process::ExitCode {
    switchyard::app::cli::main()
}
