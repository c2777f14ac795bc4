//! Class 6, secrets in the smoke's output. Masking works on the bytes as they stream,
//! before the echo and before the head/tail cut, so a secret written in pieces, one byte
//! at a time, across the two streams, straddling the cut, or not valid UTF-8 never
//! reaches the log (the tool's stderr), stdout or the envelope; `***` does. A secret that
//! happens to be a word of the envelope (`PASS`, `status`) costs neither the envelope nor
//! the verdict.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::process::Output;

use crate::common::{Repo, parse_envelope};

use super::support::{Step, contains, run_timed, stderr};

const SECRET: &str = "ghs_Sp1itSecretValue0123456789";

fn run(repo: &Repo) -> std::process::Command {
    let mut cmd = crate::common::bin_std();
    cmd.current_dir(&repo.dir)
        .args(["run", "--skip-stale-check", "--retries", "0"])
        .env("DEPLOY_TOKEN", SECRET)
        .stdin(std::process::Stdio::null());
    cmd
}

/// Panics if `secret` is anywhere in what the run wrote; returns the envelope.
fn assert_nowhere(out: &Output, secret: &[u8]) -> serde_json::Value {
    for (place, bytes) in [("stdout", &out.stdout), ("stderr (the log)", &out.stderr)] {
        assert!(
            !contains(bytes, secret),
            "the secret leaked into {place}:\n{}",
            String::from_utf8_lossy(bytes)
        );
    }
    parse_envelope(&out.stdout, "stdout")
}

#[test]
fn a_secret_written_in_two_pieces_is_masked_in_the_log_and_the_envelope() {
    let repo = Repo::new("init");
    let (head, tail) = SECRET.split_at(10);
    let smoke = format!(
        "printf 'key: {head}'; sleep 0.3; printf '{tail} end\\n'; printf '{head}' >&2; sleep 0.3; printf '{tail}\\n' >&2"
    );
    let (out, _, _) = run_timed(run(&repo).args(["--command", &smoke]));
    let env = assert_nowhere(&out, SECRET.as_bytes());
    assert_eq!(env["status"], "PASS");
    assert_eq!(env["smoke_result"]["stdout_tail"], "key: *** end\n");
    assert_eq!(env["smoke_result"]["stderr_tail"], "***\n");
    assert!(stderr(&out).contains("key: *** end"), "the echo shows the mask:\n{}", stderr(&out));
}

#[test]
fn a_secret_written_one_byte_at_a_time_is_masked() {
    let repo = Repo::new("init");
    let smoke = format!(
        "for c in $(echo '{SECRET}' | fold -w1); do printf '%s' \"$c\"; sleep 0.02; done; echo; exit 1"
    );
    let (out, _, _) = run_timed(run(&repo).args(["--command", &smoke]));
    let env = assert_nowhere(&out, SECRET.as_bytes());
    assert_eq!(env["status"], "FAIL");
    assert_eq!(env["smoke_result"]["stdout_tail"], "***\n");
    assert_eq!(env["escalation"]["evidence"]["stdout_tail"], "***\n");
}

/// Half on stdout, half on stderr: neither stream holds the secret, and the log must not
/// glue the two halves onto one line.
#[test]
fn a_secret_split_across_stdout_and_stderr_is_not_glued_together_in_the_log() {
    let repo = Repo::new("init");
    let (head, tail) = SECRET.split_at(12);
    let smoke = format!("printf '{head}'; sleep 0.3; printf '{tail}\\n' >&2; sleep 0.3; echo");
    let (out, _, _) = run_timed(run(&repo).args(["--command", &smoke]));
    assert_nowhere(&out, SECRET.as_bytes());
    // Both halves still waiting as partial lines when the smoke ends.
    let smoke = format!("printf '{head}'; printf '{tail}' >&2");
    let (out, _, _) = run_timed(run(&repo).args(["--command", &smoke]));
    assert_nowhere(&out, SECRET.as_bytes());
}

/// The secret fills both streams back to back, so wherever the head and tail cut, it cuts
/// through a secret: what is kept is masks, the marker line, and nothing of the secret.
#[test]
fn a_secret_straddling_the_capture_cut_leaves_no_fragment() {
    let repo = Repo::new("init");
    let smoke = format!("for i in $(seq 2000); do printf '{SECRET}'; printf '{SECRET}' >&2; done; exit 1");
    let (out, _, _) = run_timed(run(&repo).args(["--quiet", "--capture-bytes", "256", "--command", &smoke]));
    let env = assert_nowhere(&out, SECRET.as_bytes());
    for stream in ["stdout_tail", "stderr_tail"] {
        let tail = env["smoke_result"][stream].as_str().expect("a tail");
        let kept: String =
            tail.lines().filter(|l| !l.contains("bytes omitted by post-merge-smoke")).collect();
        assert!(tail.contains("bytes omitted by post-merge-smoke"), "{stream} was cut: {tail}");
        assert!(kept.chars().all(|c| c == '*'), "{stream} keeps a piece of the secret: {tail}");
        assert!(kept.len() > 100, "{stream}: {tail}");
    }
}

#[test]
fn a_secret_that_is_not_utf8_is_masked_as_bytes() {
    let repo = Repo::new("init");
    let secret: Vec<u8> = b"\xffbin\xfe-secret-\xc3(bytes".to_vec();
    let smoke = "printf 'raw: %s\\n' \"$BINARY_SECRET\"; printf '%s' \"$BINARY_SECRET\" >&2; exit 1";
    let (out, _, _) = run_timed(
        run(&repo).env("BINARY_SECRET", OsString::from_vec(secret.clone())).args(["--command", smoke]),
    );
    let env = assert_nowhere(&out, &secret);
    // Nor any readable run of it, in the envelope's lossy text.
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("-secret-"), "{text}");
    assert_eq!(env["smoke_result"]["stdout_tail"], "raw: ***\n");
    assert_eq!(env["smoke_result"]["stderr_tail"], "***");
}

/// Each line of a multi-line secret (a PEM key) is a secret of its own, CRLF or not.
#[test]
fn a_multi_line_secret_printed_line_by_line_is_masked() {
    let repo = Repo::new("init");
    let lines = [
        "-----BEGIN KEY-----",
        "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu",
        "-----END KEY-----",
    ];
    let key = lines.join("\r\n");
    let smoke = "printf '%s\\n' \"$SIGNING_KEY\"; echo \"$SIGNING_KEY\" | tr -d '\\r' | sed -n 2p >&2";
    let (out, _, _) = run_timed(run(&repo).env("SIGNING_KEY", &key).args(["--command", smoke]));
    let env = assert_nowhere(&out, lines[1].as_bytes());
    assert_eq!(env["smoke_result"]["stderr_tail"], "***\n");
}

#[test]
fn a_secret_in_the_command_itself_is_masked_in_the_log_and_the_envelope() {
    let repo = Repo::new("init");
    let smoke = format!("curl_would_get --header 'Authorization: {SECRET}' || true");
    let (out, _, _) = run_timed(run(&repo).args(["--command", &smoke]));
    let env = assert_nowhere(&out, SECRET.as_bytes());
    assert_eq!(env["smoke_result"]["command"], "curl_would_get --header 'Authorization: ***' || true");
}

/// Secrets that are words of the envelope: only its values are masked, and a value that
/// is exactly one of its own words is left alone, so the envelope, the verdict and the
/// step outputs stay whole.
#[test]
fn secrets_equal_to_envelope_words_cost_neither_the_envelope_nor_the_verdict() {
    let repo = Repo::with_origin("Add widgets (#41)");
    let step = Step::new(&repo);
    let mut cmd = step.command(&repo);
    cmd.env("A_TOKEN", "PASS")
        .env("B_SECRET", "status")
        .env("C_KEY", "time")
        .env("D_PASSWORD", "checked")
        .env("E_TOKEN", "true")
        .env("F_TOKEN", "false")
        .env("G_TOKEN", "main")
        .args(["--command", "echo PASS; echo status; echo 'time is up'"]);
    let (out, env, _) = run_timed(&mut cmd);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env["status"], "PASS");
    assert_eq!(env["stale_check"], "checked");
    assert_eq!(env["allow_continuation"], true);
    assert_eq!(env["smoke_result"]["stdout_tail"], "***\n***\n*** is up\n");
    let outputs = step.outputs();
    assert_eq!(outputs["status"], "PASS");
    assert_eq!(outputs["allow-continuation"], "true");
    assert_eq!(outputs["exit-code"], "0");
    parse_envelope(outputs["envelope"].as_bytes(), "the `envelope` output");
}

/// A secret that is part of one of the envelope's fixed strings (`FAIL` in
/// `POST_MERGE_SMOKE_FAILED`, the tool's own name) does not mangle it: the packet's type and
/// the tool's name are the schema's constants.
#[test]
fn secrets_inside_the_envelope_s_fixed_strings_do_not_mangle_them() {
    let repo = Repo::new("init");
    for secret in ["FAIL", "SMOKE", "post-merge-smoke"] {
        let (out, _, _) =
            run_timed(run(&repo).env("Z_TOKEN", secret).args(["--command", "echo broken; exit 1"]));
        let env = parse_envelope(&out.stdout, "stdout");
        assert_eq!(env["escalation"]["type"], "POST_MERGE_SMOKE_FAILED", "secret {secret}");
        assert_eq!(env["tool"]["name"], "post-merge-smoke", "secret {secret}");
    }
}

/// The token's `GITHUB_TOKEN` fallback does not reach the smoke, under that name or any
/// other holding it; other tokens the smoke was given do.
#[test]
fn the_token_from_github_token_is_not_in_the_smoke_s_environment() {
    let repo = Repo::new("init");
    let token = "ghs_fallbackToken0123456789abcdefABCDEF";
    let smoke = "printf '%s|%s|%s\\n' \"${GITHUB_TOKEN-unset}\" \"${GH_TOKEN-unset}\" \"${NPM_TOKEN-unset}\"";
    let (out, _, _) = run_timed(
        run(&repo)
            .env("GITHUB_TOKEN", token)
            .env("GH_TOKEN", token)
            .env("NPM_TOKEN", "npm-token-for-the-smoke")
            .args(["--command", smoke]),
    );
    let env = assert_nowhere(&out, token.as_bytes());
    assert_eq!(env["smoke_result"]["stdout_tail"], "unset|unset|***\n");
}
