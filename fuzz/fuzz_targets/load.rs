//! Any bytes into the spec loader: it must return (valid or not) and never panic or hang.
//!
//! `fuzz/run [SECONDS]` (nightly and `cargo install cargo-fuzz`) seeds the corpus from
//! `examples/` and `tests/specs/` and runs it; the same inputs, time-boxed, run in CI as
//! `never_panics::fuzz_the_loader_for_a_while`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pipewright::spec::load_bytes(std::path::Path::new("pipewright.yml"), data);
});
