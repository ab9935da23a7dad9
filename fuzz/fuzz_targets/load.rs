//! Any bytes into the spec loader: it must return (valid or not) and never panic or hang.
//!
//! ```sh
//! cargo install cargo-fuzz
//! mkdir -p fuzz/corpus/load
//! cp tests/specs/*.yml examples/*/pipewright.yml fuzz/corpus/load/
//! cargo +nightly fuzz run load fuzz/corpus/load -- -dict=fuzz/yaml.dict -max_len=8192 -timeout=2
//! ```
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pipewright::spec::load_bytes(std::path::Path::new("pipewright.yml"), data);
});
