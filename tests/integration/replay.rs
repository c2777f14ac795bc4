//! Replay fixtures: one task file per case of the missing-smoke policy, replayed against a
//! repository built the same way every time and compared with an insta snapshot
//! (`snapshots/`) in which SHAs, times, durations and the version are redacted.
//! `cargo insta review` (or `INSTA_UPDATE=always`) updates them; under `CI=true` or
//! `INSTA_UPDATE=no` a difference fails the test and nothing is written.

use insta::internals::{Content, ContentPath};
use insta::{Settings, assert_json_snapshot, dynamic_redaction};

use crate::common::{Repo, fixture, run_envelope};

const CASES: [(&str, bool); 4] =
    [("defined", false), ("defined-dry-run", true), ("missing-dry-run", true), ("missing", false)];

/// A commit id: `[sha]` where one is given; null stays null.
fn sha(value: Content, _: ContentPath<'_>) -> Content {
    match value.as_str() {
        Some(text) => {
            assert!(text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit()), "not a SHA: {text}");
            Content::from("[sha]")
        }
        None => value,
    }
}

/// An RFC 3339 UTC time.
fn time(value: Content, _: ContentPath<'_>) -> Content {
    let text = value.as_str().unwrap_or_default();
    assert!(text.len() >= 20 && text.ends_with('Z') && text.as_bytes()[10] == b'T', "not a time: {text}");
    Content::from("[time]")
}

#[test]
fn replay_fixtures_match_their_snapshots() {
    let mut settings = Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    let _guard = settings.bind_to_scope();
    for (name, dry_run) in CASES {
        let repo = Repo::new("Replay merge (#7)");
        let head = repo.head();
        let task = fixture(&format!("replay/{name}.md"));
        let mut cmd = repo.run();
        cmd.args(["--skip-stale-check", "--quiet", "--task-file"]).arg(&task).env("TASK", name);
        if dry_run {
            cmd.arg("--dry-run");
        }
        let (_, env) = run_envelope(&mut cmd);
        assert_eq!(env["merge_commit"], head, "{name}: the merge commit is propagated");
        if !env["escalation"].is_null() {
            assert_eq!(env["escalation"]["merge_commit"], head, "{name}: and reaches the packet");
        }
        let short = head[..12].to_owned();
        assert_json_snapshot!(format!("replay-{name}"), env, {
            ".merge_commit" => dynamic_redaction(sha),
            ".main_head" => dynamic_redaction(sha),
            ".escalation.merge_commit" => dynamic_redaction(sha),
            ".bisection.bad" => dynamic_redaction(sha),
            ".bisection.good" => dynamic_redaction(sha),
            ".bisection.first_bad" => dynamic_redaction(sha),
            ".escalation.summary" => dynamic_redaction(move |value, _| {
                Content::from(value.as_str().unwrap_or_default().replace(&short, "[sha]"))
            }),
            ".started_at" => dynamic_redaction(time),
            ".finished_at" => dynamic_redaction(time),
            ".duration_ms" => "[duration]",
            ".escalation.evidence.duration_ms" => "[duration]",
            ".attempts[].duration_ms" => "[duration]",
            ".smokes[].duration_ms" => "[duration]",
            ".smokes[].attempts[].duration_ms" => "[duration]",
            ".tool.version" => "[version]",
        });
    }
}
