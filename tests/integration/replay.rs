//! Replay fixtures: one task file per case of the missing-smoke policy, replayed against a
//! repository built the same way every time and compared with a golden envelope after times
//! and SHAs are normalised. `UPDATE_GOLDEN=1 cargo test replay` rewrites the goldens.

use serde_json::Value;

use crate::common::{Repo, fixture, run_envelope};

const CASES: [(&str, bool); 4] =
    [("defined", false), ("defined-dry-run", true), ("missing-dry-run", true), ("missing", false)];

/// Replaces what differs from run to run by placeholders.
fn normalise(env: &mut Value) {
    let mut set = |pointer: &str, placeholder: &str| {
        if let Some(v) = env.pointer_mut(pointer).filter(|v| !v.is_null()) {
            *v = Value::String(placeholder.to_owned());
        }
    };
    set("/merge_commit", "<sha>");
    set("/main_head", "<sha>");
    set("/started_at", "<time>");
    set("/finished_at", "<time>");
    set("/tool/version", "<version>");
    set("/escalation/merge_commit", "<sha>");
    set("/escalation/summary", "<summary>");
    for pointer in ["/duration_ms", "/escalation/evidence/duration_ms"] {
        if let Some(v) = env.pointer_mut(pointer) {
            *v = Value::from(0);
        }
    }
}

#[test]
fn replay_fixtures_match_their_golden_envelopes() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for (name, dry_run) in CASES {
        let repo = Repo::new("Replay merge (#7)");
        let task = fixture(&format!("replay/{name}.md"));
        let mut cmd = repo.run();
        cmd.args(["--skip-stale-check", "--quiet", "--task-file"]).arg(&task).env("TASK", name);
        if dry_run {
            cmd.arg("--dry-run");
        }
        let (_, mut env) = run_envelope(&mut cmd);
        assert_eq!(env["merge_commit"], repo.head(), "{name}: the merge commit is propagated");
        if !env["escalation"].is_null() {
            assert_eq!(env["escalation"]["merge_commit"], repo.head(), "{name}: and reaches the packet");
        }
        normalise(&mut env);
        let golden_path = fixture(&format!("replay/{name}.envelope.json"));
        let actual = serde_json::to_string_pretty(&env).unwrap() + "\n";
        if update {
            std::fs::write(&golden_path, &actual).unwrap();
            continue;
        }
        let golden = std::fs::read_to_string(&golden_path)
            .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", golden_path.display()));
        assert_eq!(actual, golden, "{name}: the envelope drifted from {}", golden_path.display());
    }
}
