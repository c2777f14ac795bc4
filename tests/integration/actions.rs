//! The binary inside GitHub Actions (`GITHUB_ACTIONS=true`): step outputs read back with a
//! parser that follows the runner's own, the step summary, the annotation, the envelope
//! file, push payloads of every kind (real shapes from `@octokit/webhooks-examples`, in
//! `tests/fixtures/events/`), a smoke that tries to forge workflow commands, and secrets.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use serde_json::Value;
use tempfile::TempDir;

use crate::common::{
    Repo, bin_std, command_lines, envelope, envelope_file, fixture, git, parse_envelope, wait_for,
};

const ZERO: &str = "0000000000000000000000000000000000000000";

/// The runner-side files of one step, in a temp dir.
struct Step {
    _tmp: TempDir,
    output: PathBuf,
    summary: PathBuf,
    event: PathBuf,
    runner_temp: PathBuf,
}

impl Step {
    fn new() -> Step {
        let tmp = TempDir::new().expect("temp dir");
        let runner_temp = tmp.path().join("runner-temp");
        std::fs::create_dir_all(&runner_temp).expect("mkdir");
        let output = tmp.path().join("set_output_1");
        let summary = tmp.path().join("step_summary_1");
        std::fs::write(&output, "").expect("write");
        std::fs::write(&summary, "").expect("write");
        let event = tmp.path().join("event.json");
        Step { output, summary, event, runner_temp, _tmp: tmp }
    }

    /// Writes a real push payload (`fixture`) with its ref and commits replaced.
    fn push(&self, fixture_name: &str, git_ref: &str, before: &str, after: &str) -> &Step {
        let text = std::fs::read_to_string(fixture(&format!("events/{fixture_name}"))).expect("fixture");
        let mut payload: Value = serde_json::from_str(&text).expect("fixture is JSON");
        payload["ref"] = git_ref.into();
        payload["before"] = before.into();
        payload["after"] = after.into();
        payload["deleted"] = (after == ZERO).into();
        payload["created"] = (before == ZERO).into();
        std::fs::write(&self.event, serde_json::to_vec_pretty(&payload).expect("json")).expect("write");
        self
    }

    /// `post-merge-smoke run` in `repo` as an Actions step would start it on `push`.
    fn command(&self, repo: &Repo, git_ref: &str) -> std::process::Command {
        let mut cmd = bin_std();
        cmd.current_dir(&repo.dir)
            .arg("run")
            .env("GITHUB_ACTIONS", "true")
            .env("CI", "true")
            .env("GITHUB_EVENT_NAME", "push")
            .env("GITHUB_EVENT_PATH", &self.event)
            .env("GITHUB_REF", git_ref)
            .env("GITHUB_SHA", repo.head())
            .env("GITHUB_REPOSITORY", "octo/widgets")
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env("GITHUB_RUN_ID", "4242")
            .env("GITHUB_RUN_ATTEMPT", "1")
            .env("GITHUB_OUTPUT", &self.output)
            .env("GITHUB_STEP_SUMMARY", &self.summary)
            .env("RUNNER_TEMP", &self.runner_temp)
            .stdin(Stdio::null());
        cmd
    }

    fn outputs_text(&self) -> String {
        std::fs::read_to_string(&self.output).expect("GITHUB_OUTPUT readable")
    }

    /// The step's outputs as the runner would set them (a later value replaces an earlier).
    fn outputs(&self) -> std::collections::BTreeMap<String, String> {
        runner_parse(&self.outputs_text()).expect("the runner accepts GITHUB_OUTPUT").into_iter().collect()
    }

    fn summary_text(&self) -> String {
        std::fs::read_to_string(&self.summary).expect("summary readable")
    }
}

/// `EnvFileKeyValuePairs` of actions/runner (`FileCommandManager.cs`) on Linux, step for
/// step: lines end at `\n`; empty lines are skipped; `name=value` when `=` comes before any
/// `<<`; else `name<<DELIM`, and the value is every byte up to the newline before the
/// first line equal to `DELIM`; a missing delimiter is an error.
fn runner_parse(text: &str) -> Result<Vec<(String, String)>, String> {
    fn read_line<'a>(text: &'a str, index: &mut usize) -> Option<(&'a str, usize)> {
        if *index >= text.len() {
            return None;
        }
        let start = *index;
        match text[start..].find('\n') {
            None => {
                *index = text.len();
                Some((&text[start..], 0))
            }
            Some(at) => {
                *index = start + at + 1;
                Some((&text[start..start + at], 1))
            }
        }
    }
    let mut pairs = Vec::new();
    let mut index = 0;
    while let Some((line, _)) = read_line(text, &mut index) {
        if line.is_empty() {
            continue;
        }
        let equals = line.find('=');
        let heredoc = line.find("<<");
        match (equals, heredoc) {
            (Some(e), h) if h.is_none_or(|h| e < h) => {
                pairs.push((line[..e].to_owned(), line[e + 1..].to_owned()))
            }
            (_, Some(h)) => {
                let (name, delimiter) = (&line[..h], &line[h + 2..]);
                if name.is_empty() || delimiter.is_empty() {
                    return Err(format!("Invalid format '{line}'"));
                }
                let (start, mut end) = (index, index);
                loop {
                    match read_line(text, &mut index) {
                        None => return Err(format!("Matching delimiter not found '{delimiter}'")),
                        Some((l, _)) if l == delimiter => break,
                        Some((_, newline)) => end = index - newline,
                    }
                }
                pairs.push((
                    name.to_owned(),
                    if end > start { text[start..end].to_owned() } else { String::new() },
                ));
            }
            _ => return Err(format!("Invalid format '{line}'")),
        }
    }
    Ok(pairs)
}

fn run(cmd: &mut std::process::Command) -> (Output, Value) {
    let out = cmd.output().expect("binary runs");
    let env = envelope(&out);
    (out, env)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn repo_at_main() -> (Repo, Step) {
    let repo = Repo::with_origin("Add widgets (#41)");
    let step = Step::new();
    let head = repo.head();
    step.push("push-branch-created.json", "refs/heads/main", ZERO, &head);
    (repo, step)
}

#[test]
fn pass_writes_every_output_in_the_runners_format() {
    let (repo, step) = repo_at_main();
    let (out, env) = run(step.command(&repo, "refs/heads/main").args(["--command", "echo smoke-ok"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env["status"], "PASS");
    assert_eq!(env["ci"]["provider"], "github-actions");
    assert_eq!(env["ci"]["run_url"], "https://github.com/octo/widgets/actions/runs/4242");

    let text = step.outputs_text();
    let pairs = runner_parse(&text).expect("parses");
    let names: Vec<&str> = pairs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "status",
            "allow-continuation",
            "stale",
            "exit-code",
            "merge-commit",
            "task-id",
            "envelope-path",
            "envelope"
        ]
    );
    let outputs = step.outputs();
    assert_eq!(outputs["status"], "PASS");
    assert_eq!(outputs["allow-continuation"], "true");
    assert_eq!(outputs["stale"], "false");
    assert_eq!(outputs["exit-code"], "0");
    assert_eq!(outputs["merge-commit"], repo.head());
    assert_eq!(outputs["task-id"], "#41");
    // Small tails are not cut: the envelope output is the envelope, compact.
    let compact = parse_envelope(outputs["envelope"].as_bytes(), "the `envelope` output");
    assert_eq!(compact, env);
    assert!(!outputs["envelope"].contains('\n'));
    // The full envelope file is under RUNNER_TEMP and is exactly what stdout printed.
    let path = PathBuf::from(&outputs["envelope-path"]);
    assert!(path.starts_with(&step.runner_temp), "{}", path.display());
    assert_eq!(std::fs::read(&path).expect("envelope file"), out.stdout);
    assert_eq!(envelope_file(&path), env);

    // Every delimiter is distinct and occurs nowhere but on its own two lines.
    let delimiters: Vec<&str> = text.lines().filter_map(|l| l.split_once("<<").map(|(_, d)| d)).collect();
    assert_eq!(delimiters.len(), 8);
    for d in &delimiters {
        assert_eq!(text.matches(d).count(), 2, "{d}");
    }
    let unique: std::collections::BTreeSet<_> = delimiters.iter().collect();
    assert_eq!(unique.len(), delimiters.len());

    let summary = step.summary_text();
    assert!(summary.contains("post-merge smoke: PASS"), "{summary}");
    assert!(summary.contains(&repo.head()));
    assert!(summary.contains("Follow-on merges may continue."));
    // The run URL is a link; its label is escaped text.
    assert!(
        summary.contains("](https://github.com/octo/widgets/actions/runs/4242) |"),
        "the run URL is a link:\n{summary}"
    );
    assert!(!stderr(&out).contains("::error"), "no annotation on PASS:\n{}", stderr(&out));
}

#[test]
fn output_flag_is_the_envelope_path() {
    let (repo, step) = repo_at_main();
    let file = step.runner_temp.join("mine/envelope.json");
    let (out, env) =
        run(step.command(&repo, "refs/heads/main").args(["--command", "true", "--output"]).arg(&file));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(step.outputs()["envelope-path"], file.display().to_string());
    assert_eq!(std::fs::read(&file).expect("file"), out.stdout);
    assert_eq!(envelope_file(&file), env);
}

#[test]
fn huge_output_is_cut_in_the_envelope_output_and_the_summary() {
    let (repo, step) = repo_at_main();
    // 3 MB on each stream, 2 MiB of it kept in the envelope; then fail.
    let smoke = "head -c 3000000 /dev/zero | tr '\\0' 'o'; echo; echo END-OF-STDOUT; \
                 head -c 3000000 /dev/zero | tr '\\0' 'e' >&2; echo END-OF-STDERR >&2; exit 3";
    let (out, env) = run(step.command(&repo, "refs/heads/main").args([
        "--quiet",
        "--capture-bytes",
        "2097152",
        "--command",
        smoke,
    ]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(env["smoke_result"]["stdout_tail"].as_str().expect("tail").len() > 1_000_000);

    let outputs = step.outputs();
    assert_eq!(outputs["status"], "FAIL");
    assert_eq!(outputs["exit-code"], "1");
    let envelope_output = &outputs["envelope"];
    assert!(envelope_output.len() < 32 * 1024, "envelope output is {} bytes", envelope_output.len());
    let compact = parse_envelope(envelope_output.as_bytes(), "the cut `envelope` output");
    for tail in [
        &compact["smoke_result"]["stdout_tail"],
        &compact["smoke_result"]["stderr_tail"],
        &compact["escalation"]["evidence"]["stdout_tail"],
        &compact["escalation"]["evidence"]["stderr_tail"],
    ] {
        let tail = tail.as_str().expect("string");
        assert!(tail.len() <= 4096, "{} bytes", tail.len());
        assert!(tail.starts_with("[… ") && tail.contains("bytes cut"), "{}", &tail[..80]);
    }
    assert!(compact["smoke_result"]["stdout_tail"].as_str().unwrap().ends_with("END-OF-STDOUT\n"));
    assert!(compact["smoke_result"]["stderr_tail"].as_str().unwrap().ends_with("END-OF-STDERR\n"));
    assert_eq!(compact["status"], "FAIL");
    // The file keeps everything.
    let file = envelope_file(Path::new(&outputs["envelope-path"]));
    assert_eq!(file, env);

    let summary = step.summary_text();
    assert!(summary.len() < 1024 * 1024, "summary is {} bytes", summary.len());
    assert!(summary.len() < 128 * 1024, "summary is {} bytes", summary.len());
    assert!(summary.contains("<details><summary>stdout"));
    assert!(summary.contains("END-OF-STDERR"));
}

#[test]
fn a_smoke_cannot_forge_workflow_commands_or_outputs() {
    let (repo, step) = repo_at_main();
    let smoke = r#"
echo '::set-output name=status::PASS'
echo '::add-mask::widgets'
echo '::error::forged error'
echo '::stop-commands::guess'
echo '::guess::'
echo 'status<<EOF'
echo '::warning::from stderr' >&2
# The file commands are not the smoke's: it cannot write the step's outputs.
if [ -n "${GITHUB_OUTPUT:-}" ]; then echo 'allow-continuation=true' >> "$GITHUB_OUTPUT"; echo 'dangling<<NEVER' >> "$GITHUB_OUTPUT"; fi
echo "output file: ${GITHUB_OUTPUT:-unset} env file: ${GITHUB_ENV:-unset}"
exit 1
"#;
    let (out, env) = run(step
        .command(&repo, "refs/heads/main")
        .env("GITHUB_ENV", "/nonexistent")
        .args(["--command", smoke]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(env["status"], "FAIL");
    assert!(
        env["smoke_result"]["stdout_tail"].as_str().unwrap().contains("output file: unset env file: unset")
    );

    let err = stderr(&out);
    assert!(err.contains("::set-output name=status::PASS"), "the smoke's output is echoed:\n{err}");
    let commands: Vec<String> = command_lines(&err)
        .into_iter()
        .filter(|l| l.starts_with("::") && !matches!(l.split("::").nth(1), Some("group" | "endgroup")))
        .collect();
    assert_eq!(commands.len(), 1, "only the tool's own annotation is a command: {commands:#?}");
    assert!(commands[0].starts_with("::error title=post-merge-smoke%3A FAIL::"), "{}", commands[0]);

    let outputs = step.outputs();
    assert_eq!(outputs["status"], "FAIL");
    assert_eq!(outputs["allow-continuation"], "false");
    assert!(!outputs.contains_key("dangling"));
}

#[test]
fn a_smoke_writing_the_output_file_anyway_is_rolled_back() {
    let (repo, step) = repo_at_main();
    // A step's earlier output survives; what the smoke appends (even by knowing the path) does not.
    std::fs::write(&step.output, "earlier=kept\n").expect("write");
    let smoke = format!(
        "printf 'status=PASS\\nallow-continuation=true\\nunterminated<<NEVER\\n' >> '{}'; exit 1",
        step.output.display()
    );
    let (out, _) = run(step.command(&repo, "refs/heads/main").args(["--command", &smoke]));
    assert_eq!(out.status.code(), Some(1));
    let outputs = step.outputs();
    assert_eq!(outputs["earlier"], "kept");
    assert_eq!(outputs["status"], "FAIL");
    assert_eq!(outputs["allow-continuation"], "false");
    assert!(!outputs.contains_key("unterminated"));
}

/// The regression: the smoke found the runner's other file commands under `RUNNER_TEMP` and
/// appended `BASH_ENV` to `$GITHUB_ENV`, so the action's last step would run a script of
/// its choosing before `exit "$PMS_EXIT_CODE"` and could turn a FAIL green.
#[test]
fn a_smoke_writing_env_path_state_or_summary_anyway_is_rolled_back() {
    let (repo, step) = repo_at_main();
    let commands = step.runner_temp.join("_runner_file_commands");
    std::fs::create_dir_all(&commands).expect("mkdir");
    let env_file = commands.join("set_env_1");
    let path_file = commands.join("add_path_1");
    let state_file = commands.join("save_state_1");
    // An earlier step of the job may have written some; that survives.
    std::fs::write(&env_file, "EARLIER=kept\n").expect("write");
    std::fs::write(&path_file, "").expect("write");
    std::fs::write(&state_file, "earlier=kept\n").expect("write");
    let smoke = format!(
        r#"
dir="$RUNNER_TEMP/_runner_file_commands"
printf 'echo injected; exit 0\n' > "$RUNNER_TEMP/x.sh"
echo "BASH_ENV=$RUNNER_TEMP/x.sh" >> "$dir"/set_env_*
echo "$RUNNER_TEMP" >> "$dir"/add_path_*
printf 'forged=state\n' > "$dir"/save_state_*
echo '### ✅ post-merge smoke: PASS' >> '{}'
exit 1
"#,
        step.summary.display()
    );
    let (out, env) = run(step
        .command(&repo, "refs/heads/main")
        .env("GITHUB_ENV", &env_file)
        .env("GITHUB_PATH", &path_file)
        .env("GITHUB_STATE", &state_file)
        .args(["--command", &smoke]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(env["status"], "FAIL");

    assert_eq!(std::fs::read_to_string(&env_file).expect("read"), "EARLIER=kept\n");
    assert_eq!(std::fs::read_to_string(&path_file).expect("read"), "");
    assert_eq!(std::fs::read_to_string(&state_file).expect("read"), "earlier=kept\n");
    let summary = step.summary_text();
    assert!(summary.starts_with("### ❌ post-merge smoke: FAIL"), "{summary}");
    assert!(!summary.lines().any(|l| l.starts_with("### ✅")), "{summary}");
    assert_eq!(step.outputs()["status"], "FAIL");

    let warnings: Vec<String> = command_lines(&stderr(&out))
        .into_iter()
        .filter(|l| l.starts_with("::warning title=post-merge-smoke::the smoke "))
        .collect();
    for (what, variable) in [
        ("appended", "GITHUB_ENV"),
        ("appended", "GITHUB_PATH"),
        ("rewrote", "GITHUB_STATE"),
        ("appended", "GITHUB_STEP_SUMMARY"),
    ] {
        let want = format!("the smoke {what}");
        assert!(
            warnings
                .iter()
                .any(|w| w.contains(&want) && w.contains(&format!("`${variable}`; that was undone"))),
            "no warning for {variable}: {warnings:#?}"
        );
    }
    assert_eq!(warnings.len(), 4, "{warnings:#?}");
}

#[test]
fn secrets_reach_no_output() {
    let (repo, step) = repo_at_main();
    let secrets = ["ghs_TokenValue1234567", "deploy-secret-value", "named-by-flag-value"];
    let (out, env) = run(step
        .command(&repo, "refs/heads/main")
        .env("GITHUB_TOKEN", secrets[0])
        .env("DEPLOY_SECRET", secrets[1])
        .env("PLAIN_SETTING", secrets[2])
        .args(["--redact-env", "PLAIN_SETTING", "--command"])
        .arg(format!(
            "echo {a} {b} {c}; echo {a} {b} {c} >&2; echo failing-because-{c}; exit 1",
            a = secrets[0],
            b = secrets[1],
            c = secrets[2]
        )));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(env["status"], "FAIL");
    let outputs = step.outputs_text();
    let summary = step.summary_text();
    let file = std::fs::read_to_string(&step.outputs()["envelope-path"]).expect("file");
    assert_eq!(envelope_file(Path::new(&step.outputs()["envelope-path"])), env);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = stderr(&out);
    for (place, text) in
        [("stdout", &stdout), ("stderr", &err), ("outputs", &outputs), ("summary", &summary), ("file", &file)]
    {
        for secret in secrets {
            assert!(!text.contains(secret), "`{secret}` leaked into {place}:\n{text}");
        }
        assert!(text.contains("***"), "{place} shows the mask");
    }
}

#[test]
fn a_tag_push_is_skipped_without_running_the_smoke() {
    let repo = Repo::with_origin("Release");
    let step = Step::new();
    // The real tag-creation payload, as is: `refs/tags/simple-tag`.
    std::fs::copy(fixture("events/push-tag-created.json"), &step.event).expect("copy");
    let marker = repo.tmp.path().join("ran");
    let (out, env) = run(step
        .command(&repo, "refs/tags/simple-tag")
        .args(["--command", &format!("touch '{}'", marker.display())]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env["status"], "SKIPPED");
    assert_eq!(env["allow_continuation"], true);
    assert_eq!(env["decision"]["reason_codes"], serde_json::json!(["NOT_A_MERGE_PUSH"]));
    assert_eq!(env["stale_check"], "skipped");
    assert!(
        env["smoke_result"]["failure_reason"].as_str().unwrap().contains("tag push (`refs/tags/simple-tag`)")
    );
    assert!(!marker.exists(), "the smoke must not run on a tag push");
    assert_eq!(step.outputs()["status"], "SKIPPED");
    assert!(!stderr(&out).contains("::error"));
}

#[test]
fn deleting_a_branch_is_skipped_but_deleting_main_is_blocked() {
    let repo = Repo::with_origin("Work");
    let head = repo.head();
    // The real tag-deletion payload, pointed at a branch.
    let step = Step::new();
    step.push("push-tag-deleted.json", "refs/heads/feature", &head, ZERO);
    let (out, env) =
        run(step.command(&repo, "refs/heads/feature").args(["--main-branch", "main", "--command", "true"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env["status"], "SKIPPED");
    assert_eq!(env["decision"]["reason_codes"][0], "NOT_A_MERGE_PUSH");
    assert!(env["smoke_result"]["failure_reason"].as_str().unwrap().contains("deleted branch `feature`"));

    let step = Step::new();
    step.push("push-tag-deleted.json", "refs/heads/main", &head, ZERO);
    let (out, env) = run(step.command(&repo, "refs/heads/main").args(["--command", "true"]));
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(env["status"], "BLOCKED");
    assert_eq!(env["allow_continuation"], false);
    assert_eq!(env["decision"]["reason_codes"][0], "NOT_A_MERGE_PUSH");
    assert_eq!(step.outputs()["allow-continuation"], "false");
    let annotations: Vec<String> =
        command_lines(&stderr(&out)).into_iter().filter(|l| l.starts_with("::error")).collect();
    assert_eq!(annotations.len(), 1, "{annotations:?}");
    assert!(annotations[0].contains("deleted the main branch `main`"), "{}", annotations[0]);
}

#[test]
fn a_push_to_another_branch_is_skipped() {
    let repo = Repo::with_origin("Work");
    let step = Step::new();
    let head = repo.head();
    step.push("push-branch-created.json", "refs/heads/feature", ZERO, &head);
    let (out, env) =
        run(step.command(&repo, "refs/heads/feature").args(["--main-branch", "main", "--command", "true"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env["status"], "SKIPPED");
    assert_eq!(
        env["smoke_result"]["failure_reason"],
        "a push to `feature` is not a merge into the main branch `main`"
    );
}

#[test]
fn a_malformed_payload_is_blocked_with_an_escaped_annotation() {
    let (repo, step) = repo_at_main();
    // A name with `%` and a newline: the annotation must escape both to stay one command.
    let event = step.runner_temp.join("bad%event\n.json");
    std::fs::write(&event, "{\"ref\": \"refs/heads/main\", \"before\": ").expect("write");
    let (out, env) = run(step
        .command(&repo, "refs/heads/main")
        .env("GITHUB_EVENT_PATH", &event)
        .args(["--command", "true"]));
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(env["status"], "BLOCKED");
    assert_eq!(env["decision"]["reason_codes"][0], "EVENT_PAYLOAD_INVALID");
    let reason = env["smoke_result"]["failure_reason"].as_str().unwrap();
    assert!(reason.contains("bad%event\n.json` is not a push event: EOF while parsing"), "{reason}");

    let annotations: Vec<String> =
        command_lines(&stderr(&out)).into_iter().filter(|l| l.starts_with("::error")).collect();
    assert_eq!(annotations.len(), 1, "{annotations:?}");
    let line = &annotations[0];
    assert!(
        line.starts_with("::error title=post-merge-smoke%3A BLOCKED::post-merge smoke BLOCKED at "),
        "{line}"
    );
    assert!(line.contains("bad%25event%0A.json"), "{line}");
    assert_eq!(step.outputs()["status"], "BLOCKED");
}

#[test]
fn a_missing_payload_is_blocked() {
    let (repo, step) = repo_at_main();
    let missing = step.runner_temp.join("no-such-event.json");
    let (out, env) = run(step
        .command(&repo, "refs/heads/main")
        .env("GITHUB_EVENT_PATH", &missing)
        .args(["--command", "true"]));
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(env["decision"]["reason_codes"][0], "EVENT_PAYLOAD_INVALID");
    assert!(
        env["smoke_result"]["failure_reason"].as_str().unwrap().contains("cannot be read: `")
            && env["smoke_result"]["failure_reason"]
                .as_str()
                .unwrap()
                .contains("no-such-event.json` does not exist")
    );

    let (out, env) = run(step
        .command(&repo, "refs/heads/main")
        .env_remove("GITHUB_EVENT_PATH")
        .args(["--command", "true"]));
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(
        env["smoke_result"]["failure_reason"],
        "`GITHUB_EVENT_PATH` is not set, so the event payload cannot be read"
    );
}

#[test]
fn other_events_run_the_smoke_without_a_payload() {
    let (repo, step) = repo_at_main();
    let (out, env) = run(step
        .command(&repo, "refs/heads/main")
        .env("GITHUB_EVENT_NAME", "workflow_dispatch")
        .env_remove("GITHUB_EVENT_PATH")
        .args(["--command", "echo dispatched"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env["status"], "PASS");
    assert_eq!(env["ci"]["event"], "workflow_dispatch");
}

#[test]
fn changed_paths_come_from_the_push_range() {
    let repo = Repo::with_origin("Base");
    let before = repo.head();
    let first = repo.commit_file("api/a.txt", "a", "First");
    let after = repo.commit_file("web/b.txt", "b", "Second (#7)");
    git(&repo.dir, &["push", "-q", "origin", "main"]);
    let step = Step::new();
    step.push("push-branch-created.json", "refs/heads/main", &before, &after);
    let (out, env) = run(step.command(&repo, "refs/heads/main").args(["--command", "true"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env["changed_paths"], serde_json::json!(["api/a.txt", "web/b.txt"]));
    assert_eq!(env["task_id"], "#7");

    // One commit pushed onto `before` (a merge by the button): that commit's own paths.
    let step = Step::new();
    step.push("push-branch-created.json", "refs/heads/main", &first, &after);
    let (_, env) = run(step.command(&repo, "refs/heads/main").args(["--command", "true"]));
    assert_eq!(env["changed_paths"], serde_json::json!(["web/b.txt"]));

    // A `before` this clone does not have (a shallow checkout, a force push), and no token
    // for the compare API: unknown, so only task and default registry entries apply.
    let step = Step::new();
    step.push(
        "push-branch-created.json",
        "refs/heads/main",
        "1111111111111111111111111111111111111111",
        &after,
    );
    let (_, env) = run(step.command(&repo, "refs/heads/main").args(["--command", "true"]));
    assert_eq!(env["changed_paths"], serde_json::Value::Null);
}

#[test]
fn unwritable_actions_files_cost_a_warning_not_the_verdict() {
    let (repo, step) = repo_at_main();
    // GITHUB_OUTPUT is a directory and RUNNER_TEMP a file: neither can be written.
    let blocked_file = step.runner_temp.join("a-file");
    std::fs::write(&blocked_file, "").expect("write");
    let (out, env) = run(step
        .command(&repo, "refs/heads/main")
        .env("GITHUB_OUTPUT", &step.runner_temp)
        .env("RUNNER_TEMP", &blocked_file)
        .args(["--command", "true"]));
    assert_eq!(out.status.code(), Some(0), "stdout still carries the envelope");
    assert_eq!(env["status"], "PASS");
    let err = stderr(&out);
    assert!(err.contains("::warning title=post-merge-smoke::cannot write step outputs"), "{err}");
    assert!(err.contains("::warning title=post-merge-smoke::cannot write the envelope"), "{err}");
}

#[test]
fn exit_70_only_when_the_envelope_reached_no_place() {
    let (repo, step) = repo_at_main();
    let full = || std::fs::File::create("/dev/full").expect("/dev/full");
    // stdout fails, but the outputs and the envelope file carry the verdict.
    let out = step
        .command(&repo, "refs/heads/main")
        .args(["--command", "true"])
        .stdout(full())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(step.outputs()["status"], "PASS");
    let file = envelope_file(Path::new(&step.outputs()["envelope-path"]));
    assert_eq!(parse_envelope(step.outputs()["envelope"].as_bytes(), "the `envelope` output"), file);

    let blocked_file = step.runner_temp.join("a-file");
    std::fs::write(&blocked_file, "").expect("write");
    let out = step
        .command(&repo, "refs/heads/main")
        .env("GITHUB_OUTPUT", &step.runner_temp)
        .env("RUNNER_TEMP", &blocked_file)
        .args(["--command", "true"])
        .stdout(full())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(70), "{}", stderr(&out));
}

#[test]
fn the_fixtures_are_real_push_payloads() {
    // Guard against a fixture edited into something GitHub never sends.
    for name in ["push-branch-created.json", "push-tag-created.json", "push-tag-deleted.json"] {
        let value: Value =
            serde_json::from_slice(&std::fs::read(fixture(&format!("events/{name}"))).expect("read"))
                .expect("JSON");
        for field in
            ["ref", "before", "after", "created", "deleted", "forced", "head_commit", "repository", "pusher"]
        {
            assert!(value.get(field).is_some(), "{name} lacks `{field}`");
        }
    }
}

#[test]
fn a_cancelled_step_still_writes_its_outputs() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;

    let (repo, step) = repo_at_main();
    let started = repo.tmp.path().join("started");
    let child = step
        .command(&repo, "refs/heads/main")
        .args(["--kill-grace", "1", "--command"])
        .arg(format!("touch '{}'; sleep 600", started.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_for("the smoke to start", || started.exists());
    // What the runner does first when a run is cancelled.
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).expect("signal");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let outputs = step.outputs();
    assert_eq!(outputs["status"], "BLOCKED");
    assert_eq!(outputs["allow-continuation"], "false");
    assert_eq!(outputs["exit-code"], "4");
    let file = envelope_file(Path::new(&outputs["envelope-path"]));
    assert_eq!(file["decision"]["reason_codes"][0], "RUN_CANCELLED");
    assert_eq!(parse_envelope(outputs["envelope"].as_bytes(), "the `envelope` output"), file);
    assert!(step.summary_text().contains("post-merge smoke: BLOCKED"));
    assert!(
        command_lines(&stderr(&out))
            .iter()
            .any(|l| l.starts_with("::error title=post-merge-smoke%3A BLOCKED::"))
    );
}

#[test]
fn the_summary_shows_the_attempts_and_the_failing_tests_and_the_annotation_names_one() {
    let (repo, step) = repo_at_main();
    let counter = repo.tmp.path().join("attempts");
    // Fails twice with two failing tests, as pytest reports them; never passes.
    let smoke = format!(
        "echo x >> '{}'; echo 'FAILED tests/test_a.py::test_one - AssertionError: 1 != 2'; \
         echo 'FAILED tests/test_b.py::test_<two> - KeyError: @octo'; exit 1",
        counter.display()
    );
    let (out, env) =
        run(step.command(&repo, "refs/heads/main").args(["--retries", "1", "--command", &smoke]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(env["attempts"].as_array().map(Vec::len), Some(2));
    let summary = step.summary_text();
    assert!(summary.contains("#### Attempts"), "{summary}");
    assert!(summary.contains("| 2 | `FAIL` | 1 |"), "{summary}");
    assert!(summary.contains("#### Failing tests"), "{summary}");
    assert!(
        summary.contains("| `tests/test_a.py::test_one` | AssertionError\\: 1 \\!\\= 2 | attempt 1, 2 |"),
        "{summary}"
    );
    assert!(summary.contains("KeyError\\: \\@\u{200B}octo"), "no mention in the summary: {summary}");
    let annotation =
        stderr(&out).lines().find(|l| l.starts_with("::error")).map(str::to_owned).unwrap_or_default();
    assert!(annotation.contains("failing: tests/test_a.py::test_one"), "{annotation}");
}

/// A flaky pass is told on the run's page: one `::warning` naming the test that failed
/// before the smoke passed on the same commit (libtest's own output names it).
#[test]
fn a_flaky_pass_is_told_by_a_warning_annotation() {
    let (repo, step) = repo_at_main();
    let mark = repo.tmp.path().join("failed-once");
    let smoke = format!(
        "if [ -e '{m}' ]; then echo 'test result: ok. 1 passed'; else touch '{m}'; \
         printf 'test api::creates_widgets ... FAILED\\n\\nfailures:\\n    api::creates_widgets\\n\\ntest result: FAILED. 0 passed; 1 failed\\n'; exit 101; fi",
        m = mark.display()
    );
    let (out, env) = run(step.command(&repo, "refs/heads/main").args(["--command", &smoke]));
    assert_eq!((out.status.code(), env["flaky"].as_bool()), (Some(0), Some(true)), "{}", stderr(&out));
    let commands: Vec<String> = command_lines(&stderr(&out))
        .into_iter()
        .filter(|l| l.starts_with("::warning") || l.starts_with("::error"))
        .collect();
    assert_eq!(commands.len(), 1, "{commands:#?}");
    assert!(commands[0].starts_with("::warning title=post-merge-smoke%3A flaky::"), "{}", commands[0]);
    assert!(commands[0].contains("api::creates_widgets"), "{}", commands[0]);
}

/// The step summary tells the search for the first bad merge: its result and one row per
/// probe, the blamed commit marked with its pull request.
#[test]
fn the_summary_shows_the_search_for_the_first_bad_merge() {
    let (repo, merged) = crate::bisect::history(41..=45, 43);
    let step = Step::new();
    step.push("push-branch-created.json", "refs/heads/main", &crate::bisect::sha(&merged, 41), &repo.head());
    let (out, env) = run(step.command(&repo, "refs/heads/main").args([
        "--quiet",
        "--retries",
        "0",
        "--command",
        crate::bisect::SMOKE,
    ]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(env["bisection"]["result"], "found");
    let summary = step.summary_text();
    assert!(summary.contains("#### First bad merge: `found`"), "{summary}");
    let s43 = crate::bisect::sha(&merged, 43);
    let row = summary
        .lines()
        .find(|l| l.contains(&s43))
        .unwrap_or_else(|| panic!("no probe row for #43:\n{summary}"));
    assert!(row.contains("\\#43") && row.contains("`FAIL`"), "{row}");
    let probes = env["bisection"]["probes"].as_array().expect("probes").len();
    assert_eq!(summary.lines().filter(|l| l.starts_with("| `")).count(), probes, "{summary}");
}
