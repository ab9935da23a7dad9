//! The one YAML dialect pipewright writes, and the one way it reads generated YAML back.
//!
//! The files are read by parsers pipewright does not control: CodeBuild's (YAML 1.1 rules, where
//! `on` and `yes` are booleans and `3.10` is the number 3.1) and the CodeDeploy agent's Ruby
//! `YAML.load`. So output follows YAML 1.1 quoting (serde-saphyr quotes every string such a reader
//! would retype), lists are indented the way the AWS documentation writes them, long lines are never
//! folded (a folded command is hard to read in a build log), and multi-line strings become literal
//! blocks so an embedded heredoc stays readable.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::RenderError;

/// `value` as canonical YAML (ends with a newline).
pub(crate) fn to_yaml<T: Serialize>(value: &T, what: &str) -> Result<String, RenderError> {
    let options = serde_saphyr::ser_options! {
        compact_list_indent: false,
        folded_wrap_chars: usize::MAX,
    };
    serde_saphyr::to_string_with_options(value, options).map_err(|e| RenderError::Serialize {
        what: what.to_owned(),
        message: e.to_string(),
    })
}

/// A located problem in YAML text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlProblem {
    /// 1-based; 0 when the parser could not say.
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) message: String,
}

/// Parse `text` into `T`, the way generated files are read back: YAML 1.1 booleans accepted
/// (`discard-paths: yes` is what the AWS documentation writes), duplicate keys rejected.
pub(crate) fn from_yaml<T: DeserializeOwned>(text: &str) -> Result<T, YamlProblem> {
    let options = serde_saphyr::options! {
        with_snippet: false,
    };
    serde_saphyr::from_str_with_options(text, options).map_err(|err| {
        let (line, column) = err.location().map_or((0, 0), |loc| {
            (
                usize::try_from(loc.line()).unwrap_or(0),
                usize::try_from(loc.column()).unwrap_or(0),
            )
        });
        YamlProblem {
            line,
            column,
            message: strip_location(&err.without_snippet().to_string()),
        }
    })
}

/// serde-saphyr appends " at line L, column C" (the caller prints its own) or advice meant for
/// programmers to some messages.
fn strip_location(message: &str) -> String {
    let trimmed = message.trim();
    let trimmed = trimmed
        .split_once(", set DuplicateKeyPolicy")
        .map_or(trimmed, |(head, _)| head);
    match trimmed.rfind(" at line ") {
        Some(at) if trimmed[at..].contains("column") => trimmed[..at].to_owned(),
        _ => trimmed.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        commands: Vec<String>,
        variables: BTreeMap<String, String>,
    }

    fn round_trip(doc: &Doc) -> (String, Doc) {
        let text = to_yaml(doc, "test").expect("serialise");
        let back: Doc = from_yaml(&text).unwrap_or_else(|e| panic!("{e:?} in\n{text}"));
        (text, back)
    }

    /// Strings YAML 1.1 readers would retype or misparse come back as the same strings.
    #[test]
    fn tricky_strings_round_trip() {
        let tricky = [
            "on",
            "off",
            "yes",
            "no",
            "y",
            "n",
            "true",
            "null",
            "~",
            "",
            "0.10",
            "3.10",
            "20",
            "1e3",
            "0x1F",
            "0o17",
            "1_000",
            "12:30",
            "2024-01-01",
            "*",
            "*alias",
            "&anchor",
            "!tag",
            "a: b",
            "a:b",
            "key:",
            "- item",
            "? x",
            "#comment",
            "a #b",
            "@x",
            "`x",
            "%x",
            "|x",
            ">x",
            "'x",
            "\"x",
            "[x]",
            "{x}",
            "x,y",
            " lead",
            "trail ",
            "tab\there",
            "two\nlines",
            "trailing newline\n",
            "\n",
            "back\\slash",
            "<TASK_DEFINITION>",
            "echo \"$HOME\" && cd 'a b'",
            "cat > f <<'EOF'\nversion: 0.0\nEOF",
        ];
        let doc = Doc {
            commands: tricky.iter().map(|s| (*s).to_owned()).collect(),
            variables: tricky
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("{s}{i}"), (*s).to_owned()))
                .collect(),
        };
        let (text, back) = round_trip(&doc);
        assert_eq!(back, doc, "round trip changed the values:\n{text}");
        assert!(text.contains("- \"on\"\n"), "`on` must be quoted:\n{text}");
        assert!(
            text.contains("- \"0.10\"\n"),
            "`0.10` must be quoted:\n{text}"
        );
    }

    #[test]
    fn long_commands_stay_on_one_line() {
        let long = "echo ".to_owned() + &"word ".repeat(40);
        let doc = Doc {
            commands: vec![long.trim_end().to_owned()],
            variables: BTreeMap::new(),
        };
        let text = to_yaml(&doc, "test").expect("serialise");
        assert_eq!(text.lines().count(), 3, "{text}");
    }

    #[test]
    fn problems_are_located() {
        let err = from_yaml::<Doc>("commands: []\nvariables: {}\nbogus: 1\n").unwrap_err();
        assert_eq!(err.line, 3, "{err:?}");
        assert!(err.message.contains("bogus"), "{err:?}");
    }

    proptest! {
        #[test]
        fn any_strings_round_trip(
            commands in proptest::collection::vec(any::<String>(), 0..6),
            variables in proptest::collection::btree_map(any::<String>(), any::<String>(), 0..6),
        ) {
            let doc = Doc { commands, variables };
            let text = to_yaml(&doc, "test").expect("serialise");
            let back: Doc = from_yaml(&text).map_err(|e| TestCaseError::fail(format!("{e:?} in\n{text}")))?;
            prop_assert_eq!(back, doc);
        }
    }
}
