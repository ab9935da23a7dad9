//! The `pipewright` binary: everything lives in the library so tests and benches reach it too.

fn main() -> std::process::ExitCode {
    pipewright::cli::main()
}
