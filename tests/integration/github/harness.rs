//! What every GitHub API test shares: the variables of a workflow step pointed at the fake,
//! the token that must never show, and readers for notifications and gate reports.

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

use super::fake::FakeGitHub;

pub const TOKEN: &str = "ghp_pmsTestToken0123456789abcdefXYZ";
pub const RUN_URL: &str = "https://github.example/o/r/actions/runs/4242";

/// The variables a workflow step would have, pointed at the fake, with short internal
/// back-off and pacing so the tests stay fast.
pub fn github<'a>(cmd: &'a mut Command, fake: &FakeGitHub) -> &'a mut Command {
    cmd.env("GITHUB_API_URL", fake.uri())
        .env("GITHUB_REPOSITORY", "o/r")
        .env("GITHUB_SERVER_URL", "https://github.example")
        .env("GITHUB_RUN_ID", "4242")
        .env("POST_MERGE_SMOKE_GITHUB_TOKEN", TOKEN)
        .env("POST_MERGE_SMOKE_API_RETRY_BASE_MS", "20")
        .env("POST_MERGE_SMOKE_GATE_WRITE_INTERVAL_MS", "5")
}

pub fn assert_token_hidden(out: &Output, files: &[&Path]) {
    for (name, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(!String::from_utf8_lossy(text).contains(TOKEN), "the token is in {name}");
    }
    for file in files {
        let text = std::fs::read_to_string(file).expect("output file");
        assert!(!text.contains(TOKEN), "the token is in {}", file.display());
    }
}

/// The notification of `kind` in an envelope.
pub fn notification<'a>(env: &'a Value, kind: &str) -> &'a Value {
    let all = env["notifications"].as_array().expect("notifications");
    all.iter().find(|n| n["kind"] == kind).unwrap_or_else(|| panic!("no `{kind}` notification in {all:?}"))
}

/// The report `post-merge-smoke gate` prints on stdout (not an envelope).
pub fn gate_report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON report ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
