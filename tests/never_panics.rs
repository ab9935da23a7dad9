//! The loader never panics and never hangs, whatever bytes it is given.
//!
//! Property tests call the library directly (no process per case) with random bytes, random
//! YAML-looking text, and random mutations of the valid specs; each load must return (valid or
//! not), and an invalid one must say where. How fast it returns is measured by
//! `cargo bench --bench validate`, not here: the watchdog below only turns a hang into a failure.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use pipewright::spec::{load_bytes, load_str};
use proptest::prelude::*;

/// A watchdog, not a speed claim: a normal load takes well under a millisecond in release, and
/// seconds only on a machine loaded by other work; a loop that never ends trips this.
const HANG: Duration = Duration::from_mins(1);

const SPECS: [&str; 5] = [
    include_str!("specs/minimal.yml"),
    include_str!("specs/full.yml"),
    include_str!("specs/lambda.yml"),
    include_str!("specs/ecs.yml"),
    include_str!("specs/server.yml"),
];

/// Load and check the outcome is well-formed: a spec, or errors that each have a place.
fn load_checked(bytes: &[u8]) {
    let start = Instant::now();
    let outcome = load_bytes(Path::new("pipewright.yml"), bytes);
    let elapsed = start.elapsed();
    assert!(elapsed < HANG, "load took {elapsed:?}: it hangs");
    if let Err(errors) = outcome {
        assert!(!errors.errors.is_empty(), "an invalid spec with no error");
        for error in &errors.errors {
            assert!(error.line >= 1 && error.column >= 1, "unplaced: {error}");
            assert!(
                error.to_string().starts_with("pipewright.yml:"),
                "unnamed: {error}"
            );
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = load_str(Path::new("pipewright.yml"), text);
    }
}

/// One edit of a spec's bytes.
#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, text: String },
    Replace { at: usize, byte: u8 },
    DuplicateLine { line: usize },
    SwapLines { a: usize, b: usize },
    Indent { line: usize, by: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let snippet = prop_oneof![
        Just(": ".to_owned()),
        Just("- ".to_owned()),
        Just("\n".to_owned()),
        Just("\t".to_owned()),
        Just("[".to_owned()),
        Just("{".to_owned()),
        Just("&a ".to_owned()),
        Just("*a".to_owned()),
        Just("<<: *a\n".to_owned()),
        Just("!tag ".to_owned()),
        Just("\"".to_owned()),
        Just("'".to_owned()),
        Just("~".to_owned()),
        Just("---\n".to_owned()),
        Just("\u{feff}".to_owned()),
        Just("\u{1b}[31m".to_owned()),
        "[a-z_]{1,12}: [a-z0-9-]{0,20}\n",
        "\\PC{0,8}",
    ];
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), snippet).prop_map(|(at, text)| Mutation::Insert { at, text }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Replace { at, byte }),
        any::<usize>().prop_map(|line| Mutation::DuplicateLine { line }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        (any::<usize>(), 1usize..6).prop_map(|(line, by)| Mutation::Indent { line, by }),
    ]
}

fn apply(spec: &str, mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = spec.as_bytes().to_vec();
    for mutation in mutations {
        let len = bytes.len().max(1);
        match mutation {
            Mutation::Delete { at, len: n } => {
                let start = at % len;
                let end = (start + n).min(bytes.len());
                if start < end {
                    bytes.drain(start..end);
                }
            }
            Mutation::Insert { at, text } => {
                let at = (at % len).min(bytes.len());
                bytes.splice(at..at, text.bytes());
            }
            Mutation::Replace { at, byte } => {
                if let Some(b) = bytes.get_mut(at % len) {
                    *b = *byte;
                }
            }
            Mutation::DuplicateLine { line } | Mutation::Indent { line, .. } => {
                let mut lines: Vec<Vec<u8>> =
                    bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
                let i = line % lines.len();
                match mutation {
                    Mutation::DuplicateLine { .. } => {
                        let copy = lines[i].clone();
                        lines.insert(i, copy);
                    }
                    Mutation::Indent { by, .. } => {
                        lines[i].splice(0..0, std::iter::repeat_n(b' ', *by));
                    }
                    _ => {}
                }
                bytes = lines.join(&b'\n');
            }
            Mutation::SwapLines { a, b } => {
                let mut lines: Vec<Vec<u8>> =
                    bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
                let n = lines.len();
                lines.swap(a % n, b % n);
                bytes = lines.join(&b'\n');
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        load_checked(&bytes);
    }

    #[test]
    fn yaml_looking_text_never_panics(text in "[\\[\\]{}:,\\-#&*!|>'\"?%@` \\n\\ta-z0-9_.~<=]{0,600}") {
        load_checked(text.as_bytes());
    }

    #[test]
    fn mutated_specs_never_panic(
        spec in 0..SPECS.len(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        load_checked(&apply(SPECS[spec], &mutations));
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn nesting_and_aliases_stay_cheap(depth in 1usize..400, fan in 1usize..40, flow in any::<bool>()) {
        let mut text = String::from("version: 1\nname: x\na: &a [x, y]\n");
        for level in 0..depth.min(12) {
            let uses = vec![format!("*{}", if level == 0 { "a".to_owned() } else { format!("l{}", level - 1) }); fan].join(", ");
            let _ = writeln!(text, "l{level}: &l{level} [{uses}]");
        }
        if flow {
            let _ = writeln!(text, "deep: {}{}", "[".repeat(depth), "]".repeat(depth));
        } else {
            let _ = writeln!(text, "deep:\n{}x", "- ".repeat(depth));
        }
        load_checked(text.as_bytes());
    }
}

/// The specs under `examples/`: the seed corpus of the time-boxed fuzz run below (and of the
/// cargo-fuzz target in `fuzz/`).
fn example_corpus() -> Vec<String> {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut corpus: Vec<String> = std::fs::read_dir(&examples)
        .expect("examples/")
        .filter_map(Result::ok)
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("pipewright.yml")).ok())
        .collect();
    assert!(corpus.len() >= 5, "the examples are the corpus");
    corpus.extend(SPECS.iter().map(|s| (*s).to_owned()));
    corpus
}

/// A fuzz run bounded by time, not cases: `PIPEWRIGHT_FUZZ_SECONDS` (default 120, which CI
/// runs; set it higher to fuzz longer). Random bytes, YAML-looking text and stacked mutations of
/// the example specs, each checked like the properties above. A failing input is written to
/// `target/fuzz-failure.yml` so it can be replayed.
#[test]
fn fuzz_the_loader_for_a_while() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let seconds = std::env::var("PIPEWRIGHT_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(120);
    let corpus = example_corpus();
    let inputs = prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..4096),
        1 => "[\\[\\]{}:,\\-#&*!|>'\"?%@` \\n\\ta-z0-9_.~<=]{0,1200}".prop_map(String::into_bytes),
        6 => (0..corpus.len(), proptest::collection::vec(mutation(), 1..12))
            .prop_map(move |(i, m)| apply(&corpus[i], &m)),
    ];
    let mut runner = TestRunner::deterministic();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut cases = 0u64;
    while Instant::now() < deadline {
        let input = inputs.new_tree(&mut runner).expect("an input").current();
        let outcome = std::panic::catch_unwind(|| load_checked(&input));
        if outcome.is_err() {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failure.yml");
            let _ = std::fs::write(&path, &input);
            panic!("case {cases} failed; the input is in {}", path.display());
        }
        cases += 1;
    }
    println!("fuzzed the loader with {cases} inputs in {seconds} s");
    assert!(cases > 0);
}

#[test]
fn a_large_spec_loads_without_hanging() {
    let mut text = String::from(include_str!("specs/minimal.yml"));
    text.push_str("tags:\n");
    for i in 0..20_000 {
        let _ = writeln!(text, "  tag{i}: value-{i}");
    }
    load_checked(text.as_bytes());
}
