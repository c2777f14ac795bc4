//! Several smokes, shards and one verdict (contract section 10): every matching registry
//! smoke runs; shards run the sharded smokes with their shard in the environment and are
//! dealt the rest round robin; `aggregate` over real shard envelopes written by the binary
//! is green only when every shard is present and green; a merge queue's run judges the
//! queue's commit.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::{Repo, bin, fixture, git, parse_envelope, run_envelope};

/// A repository whose registry has `default`, three areas, and a sharded entry, and a merge
/// that touched `api/` and `web/` (not `db/`).
pub(crate) fn areas() -> Repo {
    let repo = Repo::new("init");
    let registry = r#"
default: "echo default"
paths:
  - glob: "api/**"
    command: {command: "echo api-smoke", name: api}
  - glob: "web/**"
    command: {command: "echo web-smoke", name: web}
  - glob: "db/**"
    command: {command: "echo db-smoke", name: db}
  - glob: "**"
    command: {command: "echo shard=$SMOKE_SHARD_INDEX/$SMOKE_SHARD_TOTAL", name: all, sharded: true}
"#;
    repo.commit_file(".github/post-merge-smoke.yml", registry, "Add the registry");
    for file in ["api/a.rs", "web/w.ts"] {
        std::fs::create_dir_all(repo.dir.join(file).parent().expect("parent")).expect("mkdir");
        std::fs::write(repo.dir.join(file), "x\n").expect("write");
    }
    git(&repo.dir, &["add", "-A"]);
    git(&repo.dir, &["commit", "-q", "-m", "Touch two areas (#12)"]);
    repo
}

fn names(env: &Value) -> Vec<String> {
    env["smokes"]
        .as_array()
        .expect("smokes")
        .iter()
        .map(|s| s["name"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn a_merge_touching_several_areas_runs_every_matching_smoke_once() {
    let repo = areas();
    let (out, env) = run_envelope(repo.run().args(["--skip-stale-check", "--quiet"]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(names(&env), ["api", "web", "all"], "file order; no `db`, no `default`");
    assert_eq!(env["smokes"][0]["stdout_tail"], "api-smoke\n");
    assert_eq!(env["smokes"][1]["stdout_tail"], "web-smoke\n");
    assert_eq!(env["smokes"][2]["stdout_tail"], "shard=/\n", "no shard outside a sharded run");
    let total: u64 = env["smokes"]
        .as_array()
        .expect("smokes")
        .iter()
        .map(|s| s["duration_ms"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(env["duration_ms"], total);
    assert_eq!(env["smoke_command_source"], "registry");
}

#[test]
fn one_failing_area_fails_the_run_and_decides_the_result() {
    let repo = areas();
    let registry = std::fs::read_to_string(repo.dir.join(".github/post-merge-smoke.yml")).expect("read");
    repo.commit_file(
        ".github/post-merge-smoke.yml",
        &registry.replace("echo web-smoke", "echo web broke; exit 3"),
        "Break web (#13)",
    );
    std::fs::write(repo.dir.join("web/w.ts"), "y\n").expect("write");
    git(&repo.dir, &["commit", "-q", "-am", "Touch web (#14)"]);
    let (out, env) = run_envelope(repo.run().args([
        "--skip-stale-check",
        "--quiet",
        "--retries",
        "0",
        "--bisect-max-probes",
        "0",
    ]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(names(&env), ["web", "all"]);
    assert_eq!(env["smoke_result"]["command"], "echo web broke; exit 3", "the failing smoke decides");
    assert_eq!(env["smoke_result"]["failure_reason"], "smoke `web`: the smoke exited with code 3");
    assert_eq!(env["smokes"][1]["status"], "PASS");
}

/// Runs shard `index` of `total` and writes its envelope under `dir/shard-<index>/`.
fn shard(repo: &Repo, index: u32, total: u32, dir: &Path, extra: &[&str]) -> Value {
    let out = dir.join(format!("shard-{index}")).join("envelope.json");
    let shard = format!("{index}/{total}");
    let (_, env) = run_envelope(
        repo.run()
            .args(["--skip-stale-check", "--quiet", "--shard", &shard, "--output"])
            .arg(&out)
            .args(extra),
    );
    env
}

#[test]
fn shards_run_sharded_smokes_everywhere_and_deal_the_rest() {
    let repo = areas();
    let dir = repo.tmp.path().join("envelopes");
    let one = shard(&repo, 1, 2, &dir, &[]);
    let two = shard(&repo, 2, 2, &dir, &[]);
    assert_eq!(names(&one), ["api", "all"]);
    assert_eq!(names(&two), ["web", "all"]);
    assert_eq!(one["smokes"][1]["stdout_tail"], "shard=1/2\n");
    assert_eq!(two["smokes"][1]["stdout_tail"], "shard=2/2\n");
    assert_eq!(one["shard"], json!({"index": 1, "total": 2}));
    assert_eq!(one["smokes"][0]["shard"], 1);
    // Shard 3 of 3 is dealt only the sharded smoke; with no sharded smoke it would be empty.
    let three = shard(&repo, 3, 3, &dir, &[]);
    assert_eq!(names(&three), ["all"]);
}

#[test]
fn a_shard_dealt_nothing_is_skipped_and_lets_merges_continue() {
    let repo = Repo::new("init");
    repo.commit_file(".github/post-merge-smoke.yml", "default: \"echo only-one\"\n", "Add the registry (#3)");
    let dir = repo.tmp.path().join("envelopes");
    let empty = shard(&repo, 2, 2, &dir, &[]);
    assert_eq!(
        (empty["status"].as_str(), empty["allow_continuation"].as_bool()),
        (Some("SKIPPED"), Some(true))
    );
    assert_eq!(empty["decision"]["reason_codes"], json!(["SHARD_EMPTY"]));
    // Nothing defined at all: the missing-smoke policy on every shard.
    let bare = Repo::new("init");
    let env = shard(&bare, 1, 2, &dir, &[]);
    assert_eq!(env["decision"]["reason_codes"], json!(["SMOKE_COMMAND_MISSING"]));
}

fn aggregate(dir: &Path, shards: u32) -> (std::process::Output, Value) {
    let mut cmd = bin();
    cmd.current_dir(dir).args(["aggregate", "--shards", &shards.to_string(), "--envelopes"]).arg(dir);
    run_envelope(&mut cmd)
}

fn three_green_shards() -> (Repo, PathBuf) {
    let repo = areas();
    let dir = repo.tmp.path().join("envelopes");
    for index in 1..=3 {
        shard(&repo, index, 3, &dir, &[]);
    }
    (repo, dir)
}

#[test]
fn the_aggregate_of_green_shards_is_green() {
    let (repo, dir) = three_green_shards();
    let (out, env) = aggregate(&dir, 3);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(env["status"], "PASS");
    assert_eq!(env["merge_commit"], repo.head());
    assert_eq!(env["shard"], Value::Null);
    let shards: Vec<&Value> =
        env["shards"].as_array().expect("shards").iter().map(|s| &s["status"]).collect();
    assert_eq!(shards, [&json!("PASS"), &json!("PASS"), &json!("PASS")]);
    assert_eq!(names(&env), ["api", "all", "web", "all", "all"], "concatenated in shard order");
    let slowest = env["shards"]
        .as_array()
        .expect("shards")
        .iter()
        .map(|s| s["duration_ms"].as_u64().unwrap_or(0))
        .max();
    assert_eq!(env["duration_ms"].as_u64(), slowest);
    // Identical copies of one shard are one.
    let copy = dir.join("copy");
    std::fs::create_dir_all(&copy).expect("mkdir");
    std::fs::copy(dir.join("shard-2/envelope.json"), copy.join("again.json")).expect("copy");
    assert_eq!(aggregate(&dir, 3).0.status.code(), Some(0));
}

#[test]
fn one_red_shard_makes_the_aggregate_red() {
    let (repo, dir) = three_green_shards();
    shard(
        &repo,
        2,
        3,
        &dir,
        &["--retries", "0", "--bisect-max-probes", "0", "--", "sh", "-c", "echo red; exit 1"],
    );
    let (out, env) = aggregate(&dir, 3);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(env["status"], "FAIL");
    assert_eq!(env["smoke_result"]["stdout_tail"], "red\n", "the failing shard decides");
    assert_eq!(env["escalation"]["type"], "POST_MERGE_SMOKE_FAILED");
    assert_eq!(env["shards"][1]["status"], "FAIL");
}

#[test]
fn a_missing_shard_blocks_the_aggregate_and_is_named() {
    let (_repo, dir) = three_green_shards();
    std::fs::remove_dir_all(dir.join("shard-3")).expect("rm");
    let (out, env) = aggregate(&dir, 3);
    assert_eq!(out.status.code(), Some(4), "a cancelled shard can never make it green");
    assert_eq!(env["status"], "BLOCKED");
    assert_eq!(env["decision"]["reason_codes"][0], "SHARD_MISSING");
    assert_eq!(env["smoke_result"]["failure_reason"], "no envelope for shard 3 of 3");
    assert_eq!(env["shards"][2]["status"], "BLOCKED");
}

/// Rewrites one field of shard `index`'s envelope.
fn tamper(dir: &Path, index: u32, pointer: &str, value: Value) {
    let path = dir.join(format!("shard-{index}/envelope.json"));
    let mut env = parse_envelope(&std::fs::read(&path).expect("read"), "a shard envelope");
    *env.pointer_mut(pointer).expect("field") = value;
    std::fs::write(&path, serde_json::to_vec(&env).expect("json")).expect("write");
}

#[test]
fn foreign_commits_wrong_totals_and_junk_are_mismatches() {
    let (_repo, dir) = three_green_shards();
    tamper(&dir, 2, "/merge_commit", json!("0123456789abcdef0123456789abcdef01234567"));
    let (out, env) = aggregate(&dir, 3);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(env["decision"]["reason_codes"][0], "SHARD_MISMATCH");
    assert!(
        env["smoke_result"]["failure_reason"].as_str().unwrap_or("").contains("is for commit 0123456789ab")
    );

    // Outside Actions (no `GITHUB_SHA`) the commit most shards are for is the run's, so a
    // foreign first file (by path) is the one named, not the two genuine shards.
    let (repo, dir) = three_green_shards();
    tamper(&dir, 1, "/merge_commit", json!("0123456789abcdef0123456789abcdef01234567"));
    let (_, env) = aggregate(&dir, 3);
    assert_eq!(env["merge_commit"], repo.head());
    let statuses: Vec<(u64, String)> = env["shards"]
        .as_array()
        .expect("shards")
        .iter()
        .map(|s| (s["index"].as_u64().unwrap_or(0), s["status"].as_str().unwrap_or("").to_owned()))
        .collect();
    assert_eq!(statuses, [(1, "BLOCKED".into()), (2, "PASS".into()), (3, "PASS".into())]);

    let (_repo, dir) = three_green_shards();
    tamper(&dir, 3, "/shard/total", json!(4));
    let (_, env) = aggregate(&dir, 3);
    assert_eq!(env["status"], "BLOCKED");
    let codes = env["decision"]["reason_codes"].as_array().expect("codes").clone();
    assert!(codes.contains(&json!("SHARD_MISMATCH")) && codes.contains(&json!("SHARD_MISSING")), "{codes:?}");

    let (_repo, dir) = three_green_shards();
    std::fs::write(dir.join("junk.json"), b"\xff\x00 not json").expect("write");
    nix::unistd::mkfifo(&dir.join("fifo.json"), nix::sys::stat::Mode::S_IRWXU).expect("fifo");
    std::os::unix::fs::symlink("/etc/hostname", dir.join("link.json")).expect("symlink");
    let (out, env) = aggregate(&dir, 3);
    assert_eq!(out.status.code(), Some(4));
    let why = env["smoke_result"]["failure_reason"].as_str().unwrap_or("").to_owned();
    assert!(why.contains("junk.json` is not a post-merge-smoke envelope"), "{why}");
    assert!(why.contains("fifo.json` is a FIFO"), "{why}");
    assert!(why.contains("link.json` is a symbolic link"), "{why}");
}

#[test]
fn a_stale_shard_makes_the_aggregate_stale() {
    let (_repo, dir) = three_green_shards();
    tamper(&dir, 1, "/stale", json!(true));
    let (out, env) = aggregate(&dir, 3);
    assert_eq!(out.status.code(), Some(5));
    assert_eq!((env["status"].as_str(), env["stale"].as_bool()), (Some("PASS"), Some(true)));
    assert_eq!(env["allow_continuation"], false);
}

#[test]
fn a_merge_queue_run_judges_the_queue_commit_without_a_stale_check() {
    let repo = Repo::with_origin("Queue entry (#2048)");
    let text = std::fs::read_to_string(fixture("events/merge-group-checks-requested.json")).expect("fixture");
    let mut payload: Value = serde_json::from_str(&text).expect("json");
    payload["merge_group"]["head_sha"] = json!(repo.head());
    let event = repo.tmp.path().join("merge_group.json");
    std::fs::write(&event, payload.to_string()).expect("write");
    let (out, env) = run_envelope(
        repo.run()
            .env("GITHUB_EVENT_NAME", "merge_group")
            .env("GITHUB_EVENT_PATH", &event)
            .env("GITHUB_SHA", repo.head())
            .env(
                "GITHUB_REF",
                "refs/heads/gh-readonly-queue/main/pr-104-929f8209d40f77f4abc622a499c93a83babdbe64",
            )
            .args(["--quiet", "--escalation-issue", "--command", "true"]),
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(env["merge_commit"], repo.head());
    assert_eq!(env["stale_check"], "skipped");
    assert_eq!(
        env["ci"]["ref"],
        "refs/heads/gh-readonly-queue/main/pr-104-929f8209d40f77f4abc622a499c93a83babdbe64"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--escalation-issue is ignored on a merge_group event"), "{stderr}");
    // A payload for another commit is not this run's.
    let (out, env) = run_envelope(
        repo.run()
            .env("GITHUB_EVENT_NAME", "merge_group")
            .env("GITHUB_EVENT_PATH", &event)
            .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
            .args(["--quiet", "--command", "true"]),
    );
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(env["decision"]["reason_codes"][0], "EVENT_PAYLOAD_INVALID");
}

#[test]
fn an_aggregate_on_a_merge_queue_commit_publishes_only_its_status() {
    let (repo, dir) = three_green_shards();
    let mut cmd = bin();
    cmd.current_dir(&dir)
        .env("GITHUB_EVENT_NAME", "merge_group")
        .env("GITHUB_SHA", repo.head())
        .args(["aggregate", "--shards", "3", "--escalation-issue", "--gate", "--revert-pr", "--envelopes"])
        .arg(&dir);
    let (out, env) = run_envelope(&mut cmd);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for flag in ["--escalation-issue", "--gate", "--revert-pr"] {
        assert!(stderr.contains(&format!("{flag} is ignored on a merge_group event")), "{stderr}");
    }
    assert_eq!(env["notifications"], json!([]), "nothing asked of GitHub");
}
