//! The token, given by flag or as the runner's `GITHUB_TOKEN`, is sent as a bearer token
//! and masked everywhere, even when GitHub's answer or the smoke repeats it.

use serde_json::json;

use super::answers::pull_list;
use super::fake::{Answer, FakeGitHub};
use super::harness::{TOKEN, assert_token_hidden, github, notification};
use crate::common::{Repo, envelope_file, run_envelope};

#[tokio::test]
async fn a_token_given_by_flag_or_by_github_token_never_shows() {
    let gh = FakeGitHub::start().await;
    let repo = Repo::with_origin("Plain");
    let sha = repo.head();
    gh.get(format!("/repos/o/r/commits/{sha}/pulls"), pull_list(&[])).await;
    // A server that echoes the token back in its error message.
    let echo = Answer::json(422, json!({"message": format!("bad credentials {TOKEN}")}));
    gh.answer("POST", format!("/repos/o/r/statuses/{sha}"), echo).with_token(TOKEN).expect(2).await;
    let output = repo.tmp.path().join("envelope.json");
    let mut cmd = repo.run();
    github(&mut cmd, &gh).env_remove("POST_MERGE_SMOKE_GITHUB_TOKEN").args(["--github-token", TOKEN]);
    let (out, env) =
        run_envelope(cmd.args(["--commit-status", "--command", "true", "--output"]).arg(&output));
    assert_eq!(out.status.code(), Some(0));
    let error = notification(&env, "commit_status")["error"].as_str().unwrap();
    assert!(error.contains("bad credentials ***"), "{error}");
    assert_eq!(envelope_file(&output), env);
    assert_token_hidden(&out, &[&output]);

    // The runner's GITHUB_TOKEN works as the fallback, and the smoke does not get it.
    let mut cmd = repo.run();
    github(&mut cmd, &gh).env_remove("POST_MERGE_SMOKE_GITHUB_TOKEN").env("GITHUB_TOKEN", TOKEN);
    let (out, env) = run_envelope(
        cmd.args(["--commit-status", "--command", "echo \"$GITHUB_TOKEN\"", "--output"]).arg(&output),
    );
    assert_eq!(env["smoke_result"]["stdout_tail"], "\n");
    assert_eq!(envelope_file(&output), env);
    assert_token_hidden(&out, &[&output]);
    gh.verify().await;
}
