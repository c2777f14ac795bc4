//! `post-merge-smoke run`: gathers the facts (work tree, merge commit, the smokes and
//! their confirmed outcomes, the stale check), hands them to [`verdict::decide`] and
//! assembles the envelope. Writing it anywhere is the caller's business.

pub mod attempts;
mod blame;
mod report;

use std::path::Path;
use std::time::{Duration, SystemTime};

pub use attempts::{AttemptRecord, SmokeRun, smoke_fact};

use crate::cancel::Cancel;
use crate::config::{DEFAULT_TIMEOUT_SEC, RunConfig};
use crate::env::Environment;
use crate::envelope::{CommandSource, Envelope, ReasonCode};
use crate::facts::{Facts, Preflight, StaleFact};
use crate::failures::Quarantine;
use crate::git::Git;
use crate::github_api::Api;
use crate::merge::{self, Merge};
use crate::progress::Progress;
use crate::repo_guard::RepoGuard;
use crate::smoke_command::{self, DEFAULT_REGISTRY, Resolution};
use crate::{github_actions, stale, verdict};

/// The envelope and the exit code it calls for.
#[derive(Debug, Clone)]
pub struct Report {
    pub envelope: Envelope,
    pub exit_code: i32,
    /// One line explaining the verdict, for the log and the step summary.
    pub summary: String,
    /// The branch the merge landed on, as the run resolved it.
    pub main_branch: String,
    /// The repository as recorded before the smoke ran, for a revert.
    pub repo: Option<crate::merge::Repo>,
}

/// `api`: the GitHub client, when there is one, for the culprit and the fallbacks.
/// `before_search`: told the verdict (and the main branch) when a search for the first bad
/// merge is about to start, so GitHub hears that main is red without waiting for it.
pub async fn run(
    config: &RunConfig,
    env: &Environment,
    api: Option<&Api>,
    cancel: &mut Cancel,
    progress: &Progress,
    before_search: impl AsyncFnOnce(&Envelope, &str),
) -> Report {
    let started_at = SystemTime::now();
    let ci = &env.ci;
    let workdir = config.workdir.clone().unwrap_or_else(|| env.cwd().to_owned());
    let git = Git::new(&workdir, env);
    // A merge queue's run judges the queue's commit, bound for the queue's base branch.
    let queue = (ci.event_name.as_deref() == Some("merge_group"))
        .then(|| github_actions::read_merge_group_event(ci.event_path.as_deref()));
    let queued = queue.as_ref().and_then(|q| q.as_ref().ok());
    let main_branch = config
        .main_branch
        .clone()
        .or_else(|| queued.map(|q| q.base_branch().to_owned()))
        .or_else(|| ci.branch().map(str::to_owned))
        .unwrap_or_else(|| "main".to_owned());

    let wanted = config.merge_commit.as_deref().or(queued.map(|q| q.head_sha.as_str())).or(ci.sha.as_deref());
    // Git and the API may hang on a network; a cancelled run must still write its verdict.
    // The tree's hidden entries are asked at once with the merge's questions, and only when
    // a retry may follow: a retry must not run on a tree an attempt changed.
    let retries = config.confirm.retries > 0;
    let hidden = async { if retries { git.hidden_files().await.unwrap_or_default() } else { Vec::new() } };
    let (mut merge, hidden) = tokio::select! {
        found = async {
            tokio::join!(merge::inspect(&git, api, ci, wanted, &main_branch, &config.remote, progress), hidden)
        } => found,
        request = cancel.changed() => (merge::cancelled(wanted, request.signal), Vec::new()),
    };
    if let Some(problem) = queue_problem(queue.as_ref(), ci.sha.as_deref()) {
        merge.preflight.get_or_insert(Preflight::block(ReasonCode::EventPayloadInvalid, problem));
    }
    let smoke_dir = config.workdir.clone().or_else(|| merge.toplevel.clone()).unwrap_or(workdir);
    let (resolution, preflight) = choose_command(config, env, &merge, &smoke_dir);
    let timeout_sec = config.timeout_sec.or(resolution.timeout_sec).unwrap_or(DEFAULT_TIMEOUT_SEC);
    let quarantine = Quarantine::new(&resolution.quarantine);

    let (guard, tree) = match &merge.repo {
        Some(repo) => {
            let guard = RepoGuard::take_with_includes(&repo.dirs, &repo.git, env).await;
            let tree =
                attempts::TreeCheck { git: repo.git.clone(), head: merge.merge_commit.clone(), hidden };
            (Some(guard), Some(tree))
        }
        None => (None, None),
    };
    let ctx = attempts::Context {
        confirm: &config.confirm,
        dir: &smoke_dir,
        env: env.for_smoke(config.api.token.as_deref()),
        timeout: Duration::from_secs(timeout_sec),
        kill_grace: config.kill_grace,
        capture_bytes: config.capture_bytes,
        launcher: env.exe().map(Path::to_owned),
        quiet: config.quiet,
        fence: ci.github_actions,
        quarantine: &quarantine,
        tree: tree.as_ref(),
        guard: guard.as_ref(),
        progress,
    };
    let dealt = smoke_command::deal(&resolution.smokes, config.shard);
    let shard_empty = config.shard.is_some() && dealt.is_empty() && !resolution.smokes.is_empty();
    let mut runs = Vec::new();
    if preflight.is_none() {
        for planned in &dealt {
            // A sharded smoke splits its own tests: it is told which shard it is.
            let mut env = ctx.env.clone();
            if let Some(shard) = config.shard.filter(|_| planned.sharded) {
                env.push(("SMOKE_SHARD_INDEX".into(), shard.index.to_string().into()));
                env.push(("SMOKE_SHARD_TOTAL".into(), shard.total.to_string().into()));
            }
            let ctx = attempts::Context { env, ..ctx.clone() };
            let run = attempts::run_smoke(&ctx, planned, cancel).await;
            let cancelled = run.cancelled();
            runs.push(run);
            if cancelled || cancel.requested().is_some() {
                break; // The rest could not finish before the runner kills the step.
            }
        }
    }
    // Before git runs again: nothing the smoke wrote into the repository's configuration.
    match guard.as_ref().map(RepoGuard::restore) {
        Some(Ok(changed)) => changed.iter().for_each(|c| progress.warn(c)),
        Some(Err(e)) => progress.warn(&e),
        None => {}
    }
    let cancelled = runs.iter().any(attempts::SmokeRun::cancelled);
    let (stale, main_head) = if config.skip_stale_check
        || cancelled
        || merge.preflight.is_some()
        || queue.is_some()
    {
        // A cancelled run has seconds left to write its envelope: no network round trip. A run
        // judged before any smoke (no merge, or not this work tree) has nothing to be stale,
        // and neither has a merge queue's commit, which is not on main yet.
        (StaleFact::Skipped, None)
    } else if let Some(request) = cancel.requested() {
        // Asked to stop just as the smoke ended: its verdict stands, but no green one.
        (StaleFact::Cancelled(format!("{} received", request.signal)), None)
    } else {
        let remote_url = match merge.repo.as_ref().map(|r| r.remote_url.as_deref().map_err(String::as_str)) {
            Some(url) => url,
            None => Err("the repository was not inspected"),
        };
        tokio::select! {
            checked = stale::check(api, remote_url, &main_branch, &merge.merge_commit, env) => checked,
            request = cancel.changed() => (StaleFact::Cancelled(format!("{} received", request.signal)), None),
        }
    };

    let mut facts = Facts {
        preflight,
        smokes: runs.iter().map(|r| r.fact.clone()).collect(),
        shard_empty,
        dry_run: config.dry_run,
        stale,
        timeout_sec,
        flaky_verdict: config.confirm.flaky_verdict,
        main_already_red: false,
    };
    let mut verdict = verdict::decide(&facts);
    // A confirmed failure: which merge broke main? Not in a cancelled run: the runner
    // kills the step seconds after cancelling it, and the envelope must be written first.
    let stopping = cancel.requested().is_some() || verdict.reason_codes.contains(&ReasonCode::RunCancelled);
    let searching = !stopping && blame::will_search(&verdict, env, &merge);
    if searching {
        let provisional = report::envelope(report::Parts {
            started_at,
            merge: merge.clone(),
            bisection: None,
            resolution: &resolution,
            runs: &runs,
            facts: &facts,
            verdict: &verdict,
            main_head: main_head.clone(),
            quarantine: &quarantine,
            main_branch: &main_branch,
            ci,
            shard: config.shard,
        });
        tokio::select! {
            () = before_search(&provisional, &main_branch) => {}
            _ = cancel.changed() => {}
        }
    }
    // A cancel that arrived while GitHub was told ends it here too.
    let search = match searching && cancel.requested().is_none() {
        true => blame::search(config, env, &verdict, &runs, &merge, api, &ctx, cancel).await,
        false => None,
    };
    if let Some(outcome) = &search {
        merge.culprit = blame::culprit(outcome, &merge, api, &main_branch).await;
        if outcome.already_red() {
            facts.main_already_red = true;
            verdict = verdict::decide(&facts);
        }
    }
    let repo = merge.repo.clone();
    let envelope = report::envelope(report::Parts {
        started_at,
        merge,
        bisection: search.map(|s| s.bisection),
        resolution: &resolution,
        runs: &runs,
        facts: &facts,
        verdict: &verdict,
        main_head,
        quarantine: &quarantine,
        main_branch: &main_branch,
        ci,
        shard: config.shard,
    });
    Report { envelope, exit_code: verdict.exit_code, summary: verdict.summary, main_branch, repo }
}

/// Why a `merge_group` run cannot be judged: its payload is unreadable, or names another
/// commit than `GITHUB_SHA`.
fn queue_problem(
    queue: Option<&Result<github_actions::MergeGroupEvent, github_actions::PayloadError>>,
    sha: Option<&str>,
) -> Option<String> {
    match queue? {
        Err(e) => Some(e.to_string()),
        Ok(q) if sha.is_some_and(|sha| sha != q.head_sha) => Some(format!(
            "the merge_group payload is for {} but `GITHUB_SHA` is {}; it is not this run's payload",
            q.head_sha,
            sha.unwrap_or_default()
        )),
        Ok(_) => None,
    }
}

/// The smokes for this merge, and the merge's preflight, which a broken task file or
/// registry sets when nothing else did.
fn choose_command(
    config: &RunConfig,
    env: &Environment,
    merge: &Merge,
    smoke_dir: &Path,
) -> (Resolution, Option<Preflight>) {
    let mut preflight = merge.preflight.clone();
    let bash = env.find_program("bash");
    let request = smoke_command::Request {
        command: config.smoke.command.as_deref(),
        argv: &config.smoke.argv,
        task_file: config.smoke.task_file.as_deref(),
        registry: config.smoke.registry.as_deref(),
        // The repository's registry, even when the smoke runs in a subfolder (`--workdir`).
        default_registry: Some(merge.toplevel.as_deref().unwrap_or(smoke_dir).join(DEFAULT_REGISTRY)),
        task_id: config.smoke.task_id.as_deref(),
        commit_task_id: merge.task_id.clone(),
        changed_paths: merge.changed_paths.as_deref(),
        bash: bash.as_deref(),
    };
    let resolution = smoke_command::resolve(&request).unwrap_or_else(|err| {
        preflight.get_or_insert(Preflight::block(ReasonCode::SmokeConfigInvalid, err.to_string()));
        Resolution {
            source: CommandSource::None,
            smokes: Vec::new(),
            task_id: config.smoke.task_id.clone().or_else(|| merge.task_id.clone()),
            timeout_sec: None,
            quarantine: Vec::new(),
        }
    });
    (resolution, preflight)
}
