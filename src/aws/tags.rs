//! Tag reconciliation shared by every adapter.
//!
//! pipewright sets its own tags and leaves any other tag alone: a user's cost-allocation tag on a
//! pipewright bucket survives every `up`.

use std::future::Future;

use super::AwsError;
use crate::model::Tags;

/// The tags to (re)write so that every desired tag is present with its desired value.
#[must_use]
pub(crate) fn to_set(desired: &Tags, live: &Tags) -> Tags {
    desired
        .iter()
        .filter(|(key, value)| live.get(*key) != Some(*value))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Write the desired tags that are missing or differ, leaving every other tag alone: `tag` is
/// called with just those, and not at all when there are none.
pub(crate) async fn add_missing<F, Fut>(desired: &Tags, live: &Tags, tag: F) -> Result<(), AwsError>
where
    F: FnOnce(Tags) -> Fut,
    Fut: Future<Output = Result<(), AwsError>>,
{
    let missing = to_set(desired, live);
    if missing.is_empty() {
        return Ok(());
    }
    tag(missing).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_missing_or_changed_tags_are_written() {
        let desired: Tags = [("a", "1"), ("b", "2")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let live: Tags = [("a", "1"), ("b", "old"), ("user", "x")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let set = to_set(&desired, &live);
        assert_eq!(set.len(), 1);
        assert_eq!(set["b"], "2");
    }
}
