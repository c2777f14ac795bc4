//! The first bad merge (contract section 9), on histories of real merges: `--no-ff` merge
//! commits and squash commits with `(#N)`, one of which breaks the smoke among harmless
//! ones. The right pull request is blamed, never one merged after the breakage; the job's
//! work tree is untouched and no worktree is left behind.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::{Repo, git, run_envelope};

/// The smoke: fails once a merge has written `BROKEN` into `state.txt`.
pub(crate) const SMOKE: &str = "! grep -q BROKEN state.txt";

/// A main with `prs` merged one after another (merge commits for odd numbers, squash
/// commits for even ones); pull request `broken` breaks the smoke. Returns the repository
/// and each pull request's commit on main, oldest first.
pub(crate) fn history(prs: std::ops::RangeInclusive<u64>, broken: u64) -> (Repo, Vec<(u64, String)>) {
    let repo = Repo::with_origin("Initial commit");
    std::fs::write(repo.dir.join("state.txt"), "fine\n").expect("write");
    git(&repo.dir, &["add", "-A"]);
    git(&repo.dir, &["commit", "-q", "-m", "Add state"]);
    let mut merged = Vec::new();
    for number in prs {
        let (file, text) = if number == broken {
            ("state.txt", "BROKEN\n".to_owned())
        } else {
            ("notes.yml", format!("n: {number}\n"))
        };
        if number % 2 == 1 {
            git(&repo.dir, &["checkout", "-q", "-b", &format!("topic-{number}")]);
            std::fs::write(repo.dir.join(file), text).expect("write");
            git(&repo.dir, &["add", "-A"]);
            git(&repo.dir, &["commit", "-q", "-m", &format!("Change {number}")]);
            git(&repo.dir, &["checkout", "-q", "main"]);
            let message = format!("Merge pull request #{number} from octo/topic-{number}");
            git(&repo.dir, &["merge", "-q", "--no-ff", "-m", &message, &format!("topic-{number}")]);
        } else {
            std::fs::write(repo.dir.join(file), text).expect("write");
            git(&repo.dir, &["add", "-A"]);
            git(
                &repo.dir,
                &["commit", "-q", "-m", &format!("Squashed change ({})", format_args!("#{number}"))],
            );
        }
        merged.push((number, repo.head()));
    }
    git(&repo.dir, &["push", "-q", "origin", "main"]);
    (repo, merged)
}

pub(crate) fn sha(merged: &[(u64, String)], number: u64) -> String {
    merged.iter().find(|(n, _)| *n == number).map(|(_, s)| s.clone()).expect("merged")
}

/// A push event payload whose `before` is `before`, for the work tree's HEAD.
pub(crate) fn push_event(repo: &Repo, before: &str) -> std::path::PathBuf {
    let path = repo.tmp.path().join("event.json");
    let payload = json!({"ref": "refs/heads/main", "before": before, "after": repo.head(), "created": false,
                         "deleted": false, "forced": false, "head_commit": null});
    std::fs::write(&path, payload.to_string()).expect("write");
    path
}

/// `run` in `dir` as a push to main of the repository's HEAD whose `before` is `before`.
pub(crate) fn push_run(repo: &Repo, dir: &Path, before: &str) -> assert_cmd::Command {
    let event = push_event(repo, before);
    let mut cmd = crate::common::bin();
    cmd.current_dir(dir)
        .arg("run")
        .env("GITHUB_EVENT_NAME", "push")
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_SHA", repo.head());
    cmd
}

/// A clone of `repo`'s origin one commit deep, as actions/checkout makes by default.
fn shallow_clone(repo: &Repo) -> PathBuf {
    let origin = repo.origin.as_ref().expect("origin");
    let shallow = repo.tmp.path().join("shallow");
    let url = format!("file://{}", origin.display());
    git(repo.tmp.path(), &["clone", "-q", "--depth", "1", &url, shallow.to_str().expect("utf-8")]);
    assert_eq!(git(&shallow, &["rev-parse", "--is-shallow-repository"]), "true");
    shallow
}

/// `run` as a push to main whose `before` is `before`.
fn run_push(repo: &Repo, before: &str, extra: &[&str]) -> Value {
    let mut cmd = push_run(repo, &repo.dir, before);
    cmd.args(["--quiet", "--retries", "1", "--command", SMOKE]).args(extra);
    let (out, env) = run_envelope(&mut cmd);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    env
}

/// The job's work tree is where it was, clean, and no worktree or probe folder is left.
fn assert_untouched(repo: &Repo, head: &str) {
    assert_eq!(repo.head(), head, "HEAD moved");
    assert_eq!(git(&repo.dir, &["status", "--porcelain"]), "", "the work tree changed");
    let trees = git(&repo.dir, &["worktree", "list", "--porcelain"]);
    assert_eq!(trees.lines().filter(|l| l.starts_with("worktree ")).count(), 1, "worktrees left:\n{trees}");
}

pub(crate) fn probes(env: &Value) -> Vec<String> {
    let probes = env["bisection"]["probes"].as_array().expect("probes");
    probes.iter().map(|p| p["commit"].as_str().unwrap_or_default().to_owned()).collect()
}

#[test]
fn several_merges_in_one_push_blame_the_one_that_broke_main() {
    let (repo, merged) = history(41..=45, 43);
    let head = repo.head();
    let env = run_push(&repo, &sha(&merged, 41), &[]);
    let b = &env["bisection"];
    assert_eq!(b["result"], "found", "{b}");
    assert_eq!(b["first_bad"], sha(&merged, 43));
    assert_eq!(b["good"], sha(&merged, 42));
    assert_eq!(b["bad"], sha(&merged, 43));
    assert!(probes(&env).contains(&sha(&merged, 41)), "the `before` end carries no green status: probed");
    assert!(probes(&env).len() <= 6);
    assert_eq!(env["culprit"]["number"], 43);
    assert_eq!(env["culprit"]["confidence"], "confirmed");
    assert_eq!(env["task_id"], "#45", "the envelope's own task id stays this merge's");
    assert_eq!(env["escalation"]["task_id"], "#43");
    let summary = env["escalation"]["summary"].as_str().unwrap_or_default();
    assert!(summary.contains(&format!("first bad merge {} (#43)", &sha(&merged, 43)[..12])), "{summary}");
    assert_untouched(&repo, &head);
}

#[test]
fn a_main_that_was_red_before_the_push_blames_nobody_new() {
    let (repo, merged) = history(43..=44, 43);
    let head = repo.head();
    let env = run_push(&repo, &sha(&merged, 43), &[]);
    assert_eq!(env["bisection"]["result"], "already_red", "{}", env["bisection"]);
    assert_eq!(env["bisection"]["bad"], sha(&merged, 43));
    assert_eq!(env["decision"]["reason_codes"], json!(["POST_MERGE_SMOKE_FAIL", "MAIN_ALREADY_RED"]));
    assert_eq!(env["culprit"], Value::Null, "#44 is not blamed");
    assert_eq!(env["escalation"]["task_id"], Value::Null);
    let summary = env["escalation"]["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("main was red before this merge"), "{summary}");
    assert_untouched(&repo, &head);
}

#[test]
fn without_a_push_range_the_first_parent_is_the_known_good_end() {
    let (repo, merged) = history(41..=42, 42);
    let mut cmd = repo.run();
    cmd.args(["--quiet", "--retries", "0", "--command", SMOKE]);
    let (_, env) = run_envelope(&mut cmd);
    assert_eq!(env["bisection"]["result"], "found", "{}", env["bisection"]);
    assert_eq!(env["bisection"]["first_bad"], sha(&merged, 42));
    assert_eq!(probes(&env), [sha(&merged, 41)], "one probe: the first parent passes");
    assert_eq!(env["culprit"]["number"], 42);
}

#[test]
fn the_probe_budget_running_out_leaves_a_range_and_a_suspect() {
    let (repo, merged) = history(41..=48, 45);
    let env = run_push(&repo, &sha(&merged, 41), &["--bisect-max-probes", "2"]);
    let b = &env["bisection"];
    assert_eq!(b["result"], "range", "{b}");
    assert_eq!(probes(&env).len(), 2);
    assert_eq!(b["first_bad"], Value::Null);
    assert!(b["reason"].as_str().unwrap_or_default().contains("--bisect-max-probes"), "{b}");
    let bad = b["bad"].as_str().unwrap_or_default();
    let culprit = merged.iter().find(|(_, s)| s == bad).map(|(n, _)| *n).expect("bad is a merge");
    assert!(culprit >= 45, "never a merge from before the breakage: #{culprit}");
    assert_eq!(env["culprit"]["number"], culprit);
    assert_eq!(env["culprit"]["confidence"], "suspect");
}

#[test]
fn probes_disabled_skip_the_search() {
    let (repo, merged) = history(41..=43, 42);
    let env = run_push(&repo, &sha(&merged, 41), &["--bisect-max-probes", "0"]);
    assert_eq!(env["bisection"]["result"], "skipped");
    assert!(env["bisection"]["reason"].as_str().unwrap_or_default().contains("--bisect-max-probes 0"));
    assert_eq!(env["culprit"], Value::Null, "no API, no search: the message names no culprit here");
    assert_eq!(env["escalation"]["task_id"], "#43");
}

#[test]
fn a_shallow_clone_fetches_the_history_it_needs() {
    let (repo, merged) = history(41..=45, 43);
    let shallow = shallow_clone(&repo);
    let mut cmd = push_run(&repo, &shallow, &sha(&merged, 41));
    cmd.args(["--quiet", "--retries", "0", "--command", SMOKE]);
    let (_, env) = run_envelope(&mut cmd);
    assert_eq!(env["bisection"]["result"], "found", "{}", env["bisection"]);
    assert_eq!(env["bisection"]["first_bad"], sha(&merged, 43));
    assert_eq!(env["culprit"]["number"], 43);
    let trees = git(&shallow, &["worktree", "list"]);
    assert_eq!(trees.lines().count(), 1, "{trees}");
}

/// SIGINT while a probe runs: the probe is ended and not listed (it has no verdict), the
/// search says it was cancelled, the merge's own confirmed FAIL stands, and no worktree is
/// left behind.
#[test]
fn a_cancelled_probe_is_not_listed_and_leaves_no_worktree() {
    let (repo, merged) = history(41..=45, 43);
    let head = repo.head();
    let mark = repo.tmp.path().join("probing");
    let main_dir = repo.dir.canonicalize().expect("canonical");
    // Fails at once in the job's own tree; in a probe's worktree it waits to be cancelled.
    let smoke = "if [ \"$(pwd -P)\" = \"$MAIN\" ]; then exit 1; fi; touch \"$MARK\"; sleep 30";
    let event = push_event(&repo, &sha(&merged, 41));
    let child = crate::common::bin_std()
        .current_dir(&repo.dir)
        .arg("run")
        .env("GITHUB_EVENT_NAME", "push")
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_SHA", &head)
        .env("MAIN", &main_dir)
        .env("MARK", &mark)
        .args(["--quiet", "--retries", "0", "--kill-grace", "1", "--command", smoke])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    crate::common::wait_for("a probe to start", || mark.exists());
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("SIGINT");
    let out = child.wait_with_output().expect("wait");
    let env = crate::common::envelope(&out);
    assert_eq!((env["status"].as_str(), out.status.code()), (Some("FAIL"), Some(1)), "{env}");
    let b = &env["bisection"];
    assert!(b["reason"].as_str().unwrap_or_default().contains("cancelled"), "{b}");
    assert!(
        b["probes"]
            .as_array()
            .expect("probes")
            .iter()
            .all(|p| ["PASS", "FAIL", "TIMEOUT"].contains(&p["status"].as_str().unwrap_or_default())),
        "a probe without a verdict is listed: {b}"
    );
    assert_untouched(&repo, &head);
}

/// A request head seen by [`HttpRecorder`]: its request line and headers, lowercased.
type Head = String;

/// An HTTP server on 127.0.0.1 that answers every request 404 and keeps each request's
/// head: where a shallow clone's history fetch goes, to see what git sent.
struct HttpRecorder {
    url: String,
    heads: std::sync::Arc<std::sync::Mutex<Vec<Head>>>,
}

impl HttpRecorder {
    fn start() -> HttpRecorder {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let heads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = std::sync::Arc::clone(&heads);
        // Detached: it serves until the test binary exits, one connection at a time.
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(&stream);
                let mut head = String::new();
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    head.push_str(&line.to_ascii_lowercase());
                    line.clear();
                }
                kept.lock().expect("not poisoned").push(head);
                let _ = (&stream)
                    .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            }
        });
        HttpRecorder { url, heads }
    }

    /// The heads of git's requests (the smart HTTP protocol's `info/refs`).
    fn git_requests(&self) -> Vec<Head> {
        self.heads
            .lock()
            .expect("not poisoned")
            .iter()
            .filter(|h| h.contains("/info/refs"))
            .cloned()
            .collect()
    }
}

/// A shallow clone checked out without persisted credentials (`persist-credentials:
/// false`) fetches its history with the token, sent only to `GITHUB_SERVER_URL`'s host.
#[test]
fn a_shallow_clone_fetches_history_with_the_token_and_only_from_the_server() {
    use base64::Engine;
    let (repo, merged) = history(41..=45, 43);
    let shallow = shallow_clone(&repo);
    let server = HttpRecorder::start();
    git(&shallow, &["remote", "set-url", "origin", &format!("{}/o/r.git", server.url)]);
    let token = "ghs_shallowFetchToken0123456789abcdef";
    let run = |server_url: &str| {
        let mut cmd = push_run(&repo, &shallow, &sha(&merged, 41));
        cmd.env("GITHUB_REPOSITORY", "o/r")
            .env("GITHUB_SERVER_URL", server_url)
            // The API answers 404 to everything: no green status, no culprit details.
            .env("GITHUB_API_URL", &server.url)
            .env("POST_MERGE_SMOKE_GITHUB_TOKEN", token)
            .env("POST_MERGE_SMOKE_API_RETRY_BASE_MS", "20")
            .args(["--quiet", "--retries", "0", "--skip-stale-check", "--command", SMOKE]);
        run_envelope(&mut cmd).1
    };
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{token}"));
    let header = format!("authorization: basic {}", basic.to_ascii_lowercase());

    let env = run("https://github.example");
    assert_eq!(env["bisection"]["result"], "skipped", "{}", env["bisection"]);
    let sent = server.git_requests();
    assert!(!sent.is_empty(), "git never asked the remote for history");
    assert!(sent.iter().all(|h| !h.contains("authorization")), "the token went to another host: {sent:?}");

    let env = run(&server.url);
    assert_eq!(env["bisection"]["result"], "skipped", "the recorder has no history to give");
    let sent = server.git_requests();
    assert!(sent.iter().any(|h| h.contains(&header)), "git did not send the token: {sent:?}");
}

#[test]
fn a_passing_or_flaky_run_searches_nothing() {
    let (repo, _) = history(41..=42, 99);
    let (_, env) = run_envelope(repo.run().args(["--quiet", "--command", SMOKE]));
    assert_eq!((env["status"].as_str(), &env["bisection"]), (Some("PASS"), &Value::Null));
    let counter = repo.tmp.path().join("counter");
    let flaky = format!("test -f '{c}' || {{ touch '{c}'; exit 1; }}", c = counter.display());
    let (_, env) = run_envelope(repo.run().args(["--quiet", "--command", &flaky]));
    assert_eq!((env["flaky"].as_bool(), &env["bisection"]), (Some(true), &Value::Null));
    let (_, env) = run_envelope(repo.run().args([
        "--quiet",
        "--flaky-verdict",
        "fail",
        "--command",
        &flaky.replace("counter", "counter2"),
    ]));
    assert_eq!(env["status"], "FAIL");
    assert_eq!(env["bisection"], Value::Null, "a flake is never bisected, so never blamed");
}
