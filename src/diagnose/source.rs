//! A source action that failed because nothing had been pushed to its branch yet.
//!
//! CodePipeline starts a pipeline as soon as it is created, on AWS as on the emulator, so the
//! first execution of a new CodeCommit pipeline reads a branch nobody has pushed to and fails.
//! That is not a problem to fix, only a step not taken yet: it is said in plain words.

use super::known::{self, Explanation};
use super::state::{ActionView, Status};
use crate::aws::{Clients, commits};

/// AWS's words for a CodeCommit source action whose branch does not exist ("The action failed
/// because no branch named main was found in the selected AWS CodeCommit repository hello-web.
/// Make sure you are using the correct branch name, and then try again.", as quoted in
/// aws/aws-cdk#27710).
const NO_SUCH_BRANCH: &str = "no branch named";

/// What the bundled emulator said for a missing branch before it used AWS's words ("The
/// repository hello-web does not exist or could not be found."); AWS says it of a repository it
/// cannot find. It means a missing branch only when the repository exists, which is checked.
const NO_SUCH_REPOSITORY: &str = "does not exist or could not be found";

/// Why a failed CodeCommit source action failed, when it was for want of a push: asks
/// CodeCommit whether the branch exists now (so "not yet" is said only when it is still true).
pub async fn explain(clients: &Clients, action: &ActionView) -> Option<Explanation> {
    let source = action.source_branch.as_ref()?;
    if action.status != Status::Failed {
        return None;
    }
    let message = action
        .error
        .as_ref()
        .map(|e| e.message.as_str())
        .or(action.summary.as_deref())?;
    let aws_words = says_no_branch(message)?;
    match commits::branch_tip(&clients.codecommit, &source.repository, &source.branch).await {
        Ok(tip) => Some(known::nothing_pushed(&source.branch, tip.is_none())),
        // The repository is gone, or CodeCommit cannot be asked: trust AWS's words alone.
        Err(_) => aws_words.then(|| known::nothing_pushed(&source.branch, true)),
    }
}

/// Whether a source action's message may mean a missing branch: `Some(true)` in AWS's own words
/// for it, `Some(false)` in words that do only if the repository exists.
fn says_no_branch(message: &str) -> Option<bool> {
    if message.contains(NO_SUCH_BRANCH) {
        Some(true)
    } else if message.contains(NO_SUCH_REPOSITORY) {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::says_no_branch;

    #[test]
    fn a_missing_branch_is_recognised_in_aws_words_and_in_the_older_ones() {
        let aws = "The action failed because no branch named main was found in the selected AWS \
                   CodeCommit repository hello-web. Make sure you are using the correct branch \
                   name, and then try again. Error: null";
        assert_eq!(says_no_branch(aws), Some(true));
        let older = "The repository hello-web does not exist or could not be found. Make sure \
                     the repository exists and try again.";
        assert_eq!(says_no_branch(older), Some(false));
        assert_eq!(says_no_branch("Insufficient permissions"), None);
    }
}
