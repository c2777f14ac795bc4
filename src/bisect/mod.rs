//! The first bad merge (contract section 9). On a confirmed FAIL, the newest merge is not
//! always the culprit: main may have been red already, or several merges landed at once.
//! From a known-good end (a green commit status, else the push's `before`, else the first
//! parent) the smoke runs again on older first-parent commits of main, each in a temporary
//! `git worktree` (the job's work tree is never touched) and each confirmed by the same
//! retries, until the first commit that fails while its parent passes is found.

mod search;

use std::path::{Path, PathBuf};
use std::time::Instant;

pub use search::{Next, Search};

use crate::cancel::Cancel;
use crate::config::BisectConfig;
use crate::envelope::{Bisection, BisectionResult, Confidence, Probe, Status};
use crate::git::Git;
use crate::github_api::Api;
use crate::github_api::commit_status::{self, State};
use crate::merge::Repo;
use crate::run::attempts::{self, Context, TreeCheck};
use crate::smoke_command::PlannedSmoke;
use crate::verdict;

/// How far back main's history is searched for a known-good end.
pub const WINDOW: usize = 50;

pub struct Inputs<'a> {
    pub config: &'a BisectConfig,
    pub repo: &'a Repo,
    pub merge_commit: &'a str,
    pub api: Option<&'a Api>,
    /// The smoke's own commit-status context: a `success` there is a known-good commit.
    pub status_context: &'a str,
    /// The failing smoke, run again on each probe.
    pub smoke: &'a PlannedSmoke,
    /// Where the smoke runs, relative to the top level (`--workdir` below it).
    pub subdir: &'a Path,
    /// Where probe worktrees go.
    pub temp: &'a Path,
    /// How git authenticates to fetch history into a shallow clone ([`crate::git::token_auth`]).
    pub auth: &'a [(String, String)],
}

/// What the search found, for the envelope and the culprit.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub bisection: Bisection,
    /// The commit to blame, and how sure that is; `None` when none is (already red,
    /// skipped).
    pub blame: Option<(String, Confidence)>,
}

impl Outcome {
    pub fn already_red(&self) -> bool {
        self.bisection.result == BisectionResult::AlreadyRed
    }
}

pub async fn bisect(inputs: &Inputs<'_>, ctx: &Context<'_>, cancel: &mut Cancel) -> Outcome {
    let merge = inputs.merge_commit.to_owned();
    let skipped = |reason: String| Outcome {
        bisection: Bisection {
            result: BisectionResult::Skipped,
            good: None,
            bad: merge.clone(),
            first_bad: None,
            reason,
            probes: Vec::new(),
        },
        blame: None,
    };
    if inputs.config.max_probes == 0 {
        return skipped("disabled with --bisect-max-probes 0".to_owned());
    }
    let chain = match history(inputs).await {
        Ok(chain) if chain.len() >= 2 => chain,
        Ok(_) => return skipped("the merge commit has no parent on main: nothing to search".to_owned()),
        Err(why) => return skipped(why),
    };
    let mut run = Probes { inputs, ctx, started: Instant::now(), probes: Vec::new() };
    let (good_end, green) = known_good_end(inputs, &chain).await;
    ctx.progress.info(&format!(
        "looking for the first bad merge between {} and {}",
        short(&chain[good_end]),
        short(&merge)
    ));
    if !green {
        // An end nobody has seen pass is probed first: main may have been red already.
        match run.probe(&chain[good_end], cancel).await {
            Some(true) => {}
            Some(false) => {
                let bad = chain[good_end].clone();
                let reason = format!(
                    "{} fails too: main was red before this merge, which is not the cause",
                    short(&bad)
                );
                let bisection = run.finish(BisectionResult::AlreadyRed, None, bad, None, reason);
                return Outcome { bisection, blame: None };
            }
            None => {
                let reason = run.stopped_reason(cancel);
                return Outcome {
                    bisection: run.finish(BisectionResult::Skipped, None, merge, None, reason),
                    blame: None,
                };
            }
        }
    }
    let oldest_first: Vec<String> = chain[..=good_end].iter().rev().cloned().collect();
    let Some(mut search) = Search::new(oldest_first) else {
        return skipped("nothing between the known-good end and the merge".to_owned());
    };
    loop {
        match search.next() {
            Next::Found { good, first_bad } => {
                let reason = format!("{} fails and its parent {} passes", short(&first_bad), short(&good));
                let bisection = run.finish(
                    BisectionResult::Found,
                    Some(good),
                    first_bad.clone(),
                    Some(first_bad.clone()),
                    reason,
                );
                return Outcome { bisection, blame: Some((first_bad, Confidence::Confirmed)) };
            }
            Next::Probe(commit) => match run.probe(&commit, cancel).await {
                Some(passed) => search.record(&commit, passed),
                None => {
                    let (good, bad) = (search.good().to_owned(), search.bad().to_owned());
                    let reason = format!(
                        "{}; the first bad merge is one of the {} commits after {} up to {}",
                        run.stopped_reason(cancel),
                        search.left() + 1,
                        short(&good),
                        short(&bad)
                    );
                    let bisection = run.finish(BisectionResult::Range, Some(good), bad.clone(), None, reason);
                    return Outcome { bisection, blame: Some((bad, Confidence::Suspect)) };
                }
            },
        }
    }
}

/// `merge` and its first-parent ancestors, newest first, fetching them when the clone is
/// shallow (`actions/checkout` fetches one or two commits by default).
async fn history(inputs: &Inputs<'_>) -> Result<Vec<String>, String> {
    let git = &inputs.repo.git;
    // The window, one parent beyond it, and the merge itself.
    let depth = WINDOW + 2;
    if inputs.repo.shallow {
        let url = inputs.repo.remote_url.as_deref().map_err(|e| format!("the clone is shallow and {e}"))?;
        git.fetch_history(url, inputs.merge_commit, depth, inputs.auth)
            .await
            .map_err(|e| format!("the clone is shallow and fetching main's history failed: {e}"))?;
    }
    git.first_parents(inputs.merge_commit, depth)
        .await
        .map_err(|e| format!("cannot read main's history: {e}"))
}

/// The index in `chain` of the known-good end, and whether a green status says so.
async fn known_good_end(inputs: &Inputs<'_>, chain: &[String]) -> (usize, bool) {
    if let Some(api) = inputs.api {
        for (i, commit) in chain.iter().enumerate().take(WINDOW + 1).skip(1) {
            match commit_status::latest(api, commit, inputs.status_context).await {
                Ok(Some(entry)) if entry.state == State::Success => return (i, true),
                Ok(_) => {}
                // The API is no use here: fall back to what git knows.
                Err(_) => break,
            }
        }
    }
    if let Some(before) = &inputs.repo.push_before
        && let Some(i) = chain.iter().skip(1).position(|c| c == before)
    {
        return (i + 1, false);
    }
    (1, false)
}

/// The probes made so far, within the budget.
struct Probes<'a> {
    inputs: &'a Inputs<'a>,
    ctx: &'a Context<'a>,
    started: Instant,
    probes: Vec<Probe>,
}

impl Probes<'_> {
    /// Whether the smoke passes at `commit` (confirmed); `None` when no probe may run (out
    /// of probes or time, cancelled) or it could not be made.
    async fn probe(&mut self, commit: &str, cancel: &mut Cancel) -> Option<bool> {
        let config = self.inputs.config;
        if self.probes.len() >= config.max_probes as usize
            || self.started.elapsed() >= config.timeout
            || cancel.requested().is_some()
        {
            return None;
        }
        let number = self.probes.len() + 1;
        self.ctx.progress.info(&format!("probe {number}: the smoke at {}", short(commit)));
        let tree = Worktree::add(&self.inputs.repo.git, self.inputs.temp, commit).await;
        let tree = match tree {
            Ok(tree) => tree,
            Err(e) => {
                self.ctx.progress.warn(&format!("probe {number}: {e}"));
                return None;
            }
        };
        let retries = self.ctx.confirm.retries > 0;
        let probe = TreeCheck::take(&self.inputs.repo.git.at(tree.path()), commit, retries).await;
        let dir = tree.path().join(self.inputs.subdir);
        let ctx = Context { dir: &dir, tree: Some(&probe), ..self.ctx.clone() };
        let run = attempts::run_smoke(&ctx, self.inputs.smoke, cancel).await;
        tree.remove().await;
        let judged = verdict::judge_smoke(&run.fact, ctx.timeout.as_secs(), ctx.confirm.flaky_verdict);
        let passed = match judged.status {
            Status::Pass => true,
            Status::Fail | Status::Timeout => false,
            // Cancelled, or the tree changed under it: no judgement, so no probe to list
            // (a probe's status is PASS, FAIL or TIMEOUT); the search stops and says why.
            Status::Blocked | Status::Skipped => {
                let why = judged.failure_reason.as_deref().unwrap_or("no verdict");
                self.ctx
                    .progress
                    .warn(&format!("probe {number} at {} gave no verdict: {why}", short(commit)));
                return None;
            }
        };
        self.probes.push(Probe {
            commit: commit.to_owned(),
            status: judged.status,
            attempts: u32::try_from(run.attempts.len()).unwrap_or(u32::MAX),
            duration_ms: u64::try_from(run.duration().as_millis()).unwrap_or(u64::MAX),
        });
        Some(passed)
    }

    fn stopped_reason(&self, cancel: &Cancel) -> String {
        if cancel.requested().is_some() {
            "the run was cancelled".to_owned()
        } else if self.probes.len() >= self.inputs.config.max_probes as usize {
            format!("the {} probes allowed (--bisect-max-probes) ran out", self.inputs.config.max_probes)
        } else if self.started.elapsed() >= self.inputs.config.timeout {
            format!(
                "the probes took the {} s allowed (--bisect-timeout)",
                self.inputs.config.timeout.as_secs()
            )
        } else {
            "a probe could not be made".to_owned()
        }
    }

    fn finish(
        self,
        result: BisectionResult,
        good: Option<String>,
        bad: String,
        first_bad: Option<String>,
        reason: String,
    ) -> Bisection {
        Bisection { result, good, bad, first_bad, reason, probes: self.probes }
    }
}

/// A temporary worktree, removed when the probe is done (or the tool is cancelled: the
/// folder is a temporary one, and `git worktree prune` forgets it).
struct Worktree {
    git: Git,
    dir: tempfile::TempDir,
}

impl Worktree {
    async fn add(git: &Git, temp: &Path, commit: &str) -> Result<Worktree, String> {
        let dir = tempfile::Builder::new()
            .prefix("post-merge-smoke-probe-")
            .tempdir_in(temp)
            .or_else(|_| tempfile::Builder::new().prefix("post-merge-smoke-probe-").tempdir_in("/tmp"))
            .map_err(|e| format!("no temporary folder for a worktree: {e}"))?;
        git.worktree_add(dir.path(), commit).await.map_err(|e| e.to_string())?;
        Ok(Worktree { git: git.clone(), dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    async fn remove(self) {
        let _ = self.git.worktree_remove(self.dir.path()).await;
    }
}

/// The first 12 digits of a commit id.
pub fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// Where the smoke runs relative to the top level of the work tree.
pub fn subdir(toplevel: &Path, smoke_dir: &Path) -> PathBuf {
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_owned());
    canonical(smoke_dir).strip_prefix(canonical(toplevel)).map(Path::to_owned).unwrap_or_default()
}
