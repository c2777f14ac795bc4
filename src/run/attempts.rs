//! One smoke, confirmed (contract section 8): it runs, and a failure runs again on the
//! same commit in the same work tree, up to `--retries` more times, stopping at the first
//! pass. After each attempt the failing tests are read (JUnit reports written during it,
//! else the runner's output) and matched against the quarantine. No attempt runs on a tree
//! the previous one changed.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::cancel::Cancel;
use crate::config::Confirm;
use crate::exec::{self, Echo, Ending};
use crate::facts::{AttemptFact, SmokeFact, SmokeRunFact};
use crate::failures::{self, Found, Quarantine};
use crate::git::Git;
use crate::progress::Progress;
use crate::repo_guard::RepoGuard;
use crate::smoke_command::PlannedSmoke;

/// What every attempt of every smoke in a run shares.
#[derive(Clone)]
pub struct Context<'a> {
    pub confirm: &'a Confirm,
    pub dir: &'a Path,
    /// The smoke's environment.
    pub env: Vec<(OsString, OsString)>,
    pub timeout: Duration,
    pub kill_grace: Duration,
    pub capture_bytes: usize,
    pub launcher: Option<PathBuf>,
    pub quiet: bool,
    /// Inside GitHub Actions: the smoke's output is fenced from the runner.
    pub fence: bool,
    pub quarantine: &'a Quarantine,
    /// The smoke's work tree as it was, to tell whether an attempt changed it.
    pub tree: Option<&'a TreeCheck>,
    pub guard: Option<&'a RepoGuard>,
    pub progress: &'a Progress,
}

/// What a work tree looked like before the smoke: no attempt may run on one that changed.
#[derive(Debug, Clone)]
pub struct TreeCheck {
    pub git: Git,
    /// The commit HEAD must still be at.
    pub head: String,
    /// Index entries `git status` did not look at already (assume-unchanged, skip-worktree).
    pub hidden: Vec<String>,
}

impl TreeCheck {
    /// `retries`: whether any attempt may follow another; without, nothing is asked.
    pub async fn take(git: &Git, head: &str, retries: bool) -> TreeCheck {
        let hidden = if retries { git.hidden_files().await.unwrap_or_default() } else { Vec::new() };
        TreeCheck { git: git.clone(), head: head.to_owned(), hidden }
    }
}

/// One smoke's attempts: the facts the verdict reads, and what the envelope shows.
#[derive(Debug, Clone)]
pub struct SmokeRun {
    pub planned: PlannedSmoke,
    pub fact: SmokeRunFact,
    pub attempts: Vec<AttemptRecord>,
}

#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub outcome: exec::Outcome,
    pub found: Found,
}

impl SmokeRun {
    pub fn cancelled(&self) -> bool {
        self.fact.attempts.iter().any(|a| matches!(a.ending, SmokeFact::Cancelled(_)))
    }

    pub fn duration(&self) -> Duration {
        self.attempts.iter().map(|a| a.outcome.duration).sum()
    }
}

pub async fn run_smoke(ctx: &Context<'_>, planned: &PlannedSmoke, cancel: &mut Cancel) -> SmokeRun {
    let tries = ctx.confirm.retries + 1;
    let mut run = SmokeRun {
        planned: planned.clone(),
        fact: SmokeRunFact { name: planned.name.clone(), attempts: Vec::new(), retries_stopped: None },
        attempts: Vec::new(),
    };
    for number in 1..=tries {
        let started = SystemTime::now();
        let outcome = run_once(ctx, planned, number, tries, cancel).await;
        let ending = smoke_fact(&outcome.ending);
        let failed = !matches!(ending, SmokeFact::Exited(0) | SmokeFact::Cancelled(_));
        let found = if failed {
            failures::find(ctx.dir, &ctx.confirm.junit, started, &outcome.stdout, &outcome.stderr)
        } else {
            Found::default()
        };
        found.warnings.iter().for_each(|w| ctx.progress.warn(w));
        let failing_tests: Vec<String> = found.tests.iter().map(|t| t.id.clone()).collect();
        // Only a run that ended on its own with known failing tests can be excused by them.
        let quarantined = matches!(ending, SmokeFact::Exited(_) | SmokeFact::Signalled(_))
            && failed
            && !failing_tests.is_empty()
            && !ctx.quarantine.is_empty()
            && failing_tests.iter().all(|id| ctx.quarantine.matches(id));
        let fact = AttemptFact { ending, failing_tests, quarantined };
        let stop = fact.passed()
            || matches!(fact.ending, SmokeFact::Cancelled(_))
            || (fact.ending == SmokeFact::TimedOut && !ctx.confirm.retry_timeouts)
            || number == tries
            || cancel.requested().is_some();
        run.fact.attempts.push(fact);
        run.attempts.push(AttemptRecord { outcome, found });
        if stop {
            break;
        }
        if let Some(why) = tree_changed(ctx, number).await {
            run.fact.retries_stopped = Some(why);
            break;
        }
        ctx.progress.info(&format!(
            "`{}` failed on attempt {number}; running it again on the same commit to confirm",
            planned.name
        ));
    }
    run
}

/// Runs the smoke once, fenced from the runner inside Actions.
async fn run_once(
    ctx: &Context<'_>,
    planned: &PlannedSmoke,
    number: u32,
    tries: u32,
    cancel: &mut Cancel,
) -> exec::Outcome {
    let spec = exec::Spec {
        argv: planned.command.argv.clone(),
        workdir: ctx.dir.to_owned(),
        env: ctx.env.clone(),
        timeout: ctx.timeout,
        kill_grace: ctx.kill_grace,
        capture_bytes: ctx.capture_bytes,
        launcher: ctx.launcher.clone(),
    };
    let mut echo = (!ctx.quiet).then(Echo::new);
    // Inside Actions, nothing the smoke prints may be read as a workflow command: the fence
    // opens before anything taken from configuration (the command) is printed, and stands
    // until the smoke's tree is gone.
    let fence = ctx.fence.then(crate::random::token);
    if let Some(token) = &fence {
        ctx.progress.fence(&format!("::stop-commands::{token}"));
    }
    let attempt = if tries > 1 { format!(" (attempt {number} of at most {tries})") } else { String::new() };
    ctx.progress.info(&format!("running `{}` in {}{attempt}", planned.command.display, ctx.dir.display()));
    let outcome = exec::run(&spec, ctx.progress.redactor(), echo.as_mut(), cancel).await;
    if let Some(token) = &fence {
        ctx.progress.fence(&format!("::{token}::"));
    }
    if outcome.leaked {
        ctx.progress.warn("the smoke left processes holding its output open; they were killed");
    }
    outcome
}

/// Why no attempt may follow attempt `number`: it changed tracked files, or that cannot
/// be told.
async fn tree_changed(ctx: &Context<'_>, number: u32) -> Option<String> {
    let tree = ctx.tree?;
    let git = &tree.git;
    // Git runs in the repository again: first put back what the smoke wrote there.
    if let Some(guard) = ctx.guard {
        match guard.restore() {
            Ok(changed) => changed.iter().for_each(|c| ctx.progress.warn(c)),
            Err(e) => return Some(format!("{e}, so git cannot be trusted there")),
        }
    }
    match git.head().await {
        Ok(head) if head == tree.head => {}
        Ok(head) => return Some(format!("attempt {number} moved HEAD to {head}")),
        Err(e) => return Some(format!("cannot tell whether attempt {number} moved HEAD: {e}")),
    }
    match git.hidden_files().await {
        Ok(hidden) => {
            let new: Vec<&String> = hidden.iter().filter(|h| !tree.hidden.contains(h)).collect();
            if let Some(first) = new.first() {
                return Some(format!(
                    "attempt {number} hid changes to tracked files from git (assume-unchanged or skip-worktree: `{first}`)"
                ));
            }
        }
        Err(e) => return Some(format!("cannot tell whether attempt {number} changed tracked files: {e}")),
    }
    match git.modified_files().await {
        Ok(files) if files.is_empty() => None,
        Ok(files) => {
            let named: Vec<String> = files.iter().take(3).map(|f| format!("`{f}`")).collect();
            let more = files.len().saturating_sub(named.len());
            let more = if more > 0 { format!(" and {more} more") } else { String::new() };
            Some(format!("attempt {number} changed tracked files ({}{more})", named.join(", ")))
        }
        Err(e) => Some(format!("cannot tell whether attempt {number} changed tracked files: {e}")),
    }
}

/// What the engine saw, as the fact the verdict reads.
pub fn smoke_fact(ending: &Ending) -> SmokeFact {
    match ending {
        Ending::Exited(code) => SmokeFact::Exited(*code),
        Ending::Signalled(sig) => SmokeFact::Signalled(*sig),
        Ending::SpawnFailed(why) => SmokeFact::SpawnFailed(why.clone()),
        Ending::TimedOut => SmokeFact::TimedOut,
        Ending::Cancelled(how) => SmokeFact::Cancelled(how.clone()),
    }
}
