//! Who is to blame for a confirmed failure: the search for the first bad merge runs when
//! the verdict calls for it (a confirmed FAIL, not flaky, not stale, on a push to main),
//! and names the pull request of the commit it found, from the API or the commit message.

use super::attempts::{Context, SmokeRun};
use crate::bisect::{self, Outcome};
use crate::cancel::Cancel;
use crate::config::RunConfig;
use crate::culprit;
use crate::env::Environment;
use crate::envelope::{Culprit, Status};
use crate::github_api::{self, Api};
use crate::merge::Merge;
use crate::verdict::Verdict;

/// Whether [`search`] runs: for a confirmed failure (not flaky, not stale) of a merge on
/// main whose repository was inspected.
pub fn will_search(verdict: &Verdict, env: &Environment, merge: &Merge) -> bool {
    let Some(deciding) = verdict.deciding_smoke else { return false };
    let confirmed = verdict.status == Status::Fail && !verdict.smokes[deciding].flaky && !verdict.stale;
    // A merge queue's commit is not on main yet: there is no history of main to search.
    let on_main = env.ci.event_name.as_deref() != Some("merge_group");
    confirmed && on_main && merge.repo.is_some()
}

/// Runs the search when `verdict` is a confirmed failure of a merge on main.
#[allow(clippy::too_many_arguments)]
pub async fn search(
    config: &RunConfig,
    env: &Environment,
    verdict: &Verdict,
    runs: &[SmokeRun],
    merge: &Merge,
    api: Option<&Api>,
    ctx: &Context<'_>,
    cancel: &mut Cancel,
) -> Option<Outcome> {
    if !will_search(verdict, env, merge) {
        return None;
    }
    let (deciding, repo) = (verdict.deciding_smoke?, merge.repo.as_ref()?);
    let temp = env.temp_dir();
    // A shallow clone of a private repository, checked out without persisted credentials,
    // fetches its history with the token.
    let token = config.api.token.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let auth = token.map(|token| crate::git::token_auth(env.ci.server(), token)).unwrap_or_default();
    let subdir = bisect::subdir(&repo.dirs.toplevel, ctx.dir);
    let inputs = bisect::Inputs {
        config: &config.bisect,
        repo,
        merge_commit: &merge.merge_commit,
        api,
        status_context: &config.publish.status_context,
        smoke: &runs[deciding].planned,
        subdir: &subdir,
        temp: &temp,
        auth: &auth,
    };
    Some(bisect::bisect(&inputs, ctx, cancel).await)
}

/// The culprit after a search: the pull request of the commit it blames (with its
/// confidence), none when main was already red, this merge's when the search did not
/// blame anything else.
pub async fn culprit(outcome: &Outcome, merge: &Merge, api: Option<&Api>, branch: &str) -> Option<Culprit> {
    if outcome.already_red() {
        return None;
    }
    let Some((commit, confidence)) = &outcome.blame else { return merge.culprit.clone() };
    if *commit == merge.merge_commit {
        let number = merge.culprit.as_ref().map(|c| c.number).or_else(|| task_number(merge));
        let found = merge.culprit.clone().or_else(|| number.map(bare));
        return found.map(|c| Culprit { confidence: Some(*confidence), ..c });
    }
    let git = &merge.repo.as_ref()?.git;
    let message_pr =
        git.commit_message(commit).await.ok().as_deref().and_then(culprit::pr_number_from_message);
    let from_api = match api {
        Some(api) => github_api::culprit(api, commit, branch, message_pr).await.ok().flatten(),
        None => None,
    };
    from_api.or_else(|| message_pr.map(bare)).map(|c| Culprit { confidence: Some(*confidence), ..c })
}

fn task_number(merge: &Merge) -> Option<u64> {
    merge.task_id.as_deref()?.strip_prefix('#')?.parse().ok()
}

/// A pull request known by its number only (from a commit message).
fn bare(number: u64) -> Culprit {
    Culprit { number, confidence: None, author: None, url: None, title: None }
}
