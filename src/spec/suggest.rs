//! "Did you mean …?": the closest allowed word to a mistyped one.

/// The candidate closest to `typed`, when it is close enough to be a likely typo.
pub(crate) fn closest<'a, I>(typed: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let typed_lower = typed.to_lowercase();
    candidates
        .into_iter()
        .filter(|candidate| *candidate != typed)
        .map(|candidate| {
            let distance = strsim::damerau_levenshtein(&typed_lower, &candidate.to_lowercase());
            (distance, candidate)
        })
        .filter(|&(distance, candidate)| {
            let longest = typed.chars().count().max(candidate.chars().count());
            distance <= (longest / 3).max(1)
        })
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// `a`, `b` or `c`: a list of allowed words for a message.
pub(crate) fn one_of<S: AsRef<str>>(words: &[S]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{}`", w.as_ref())).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos_and_ignores_strangers() {
        let keys = ["strategy", "platform", "traffic", "targets"];
        assert_eq!(closest("strsategy", keys), Some("strategy"));
        assert_eq!(closest("Platform", keys), Some("platform"));
        assert_eq!(closest("tragets", keys), Some("targets"));
        assert_eq!(closest("zebra", keys), None);
    }

    #[test]
    fn lists_read_naturally() {
        assert_eq!(one_of(&["a"]), "`a`");
        assert_eq!(one_of(&["a", "b", "c"]), "`a`, `b` or `c`");
    }
}
