//! Class 3, the tool through `/proc`. The smoke runs as the tool's user, and `/proc/$PPID`
//! is the tool: its `environ` holds the token (`POST_MERGE_SMOKE_GITHUB_TOKEN`), its
//! `mem` the rest, and `fd/1` is where the verdict goes. The tool is not dumpable, so the
//! kernel refuses all of it to a same-user process. Root bypasses that, so these tests run
//! the binary as `nobody` when they run as root. What the smoke managed to read goes to a
//! file of its own, unmasked, so a leak is seen even where the tool's masking would hide
//! it in the output.

use std::path::Path;

use crate::common::{Repo, bin_std, parse_envelope};

use super::support::{Step, command_lines, stderr, unprivileged};

const TOKEN: &str = "ghs_HostileTestToken0123456789abcdef";

/// What the smoke wrote to `file`; empty when it wrote nothing.
fn loot(file: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(file).unwrap_or_default()).into_owned()
}

/// `run --command smoke` with a token, as an unprivileged user (see [`unprivileged`]); the
/// uid it ran as and what it wrote, or `None` when the test cannot drop root here.
fn run_unprivileged_with_token(repo: &Repo, smoke: &str) -> Option<(u32, std::process::Output)> {
    let mut cmd = bin_std();
    cmd.current_dir(&repo.dir)
        .args(["run", "--skip-stale-check", "--retries", "0", "--command", smoke])
        .env("POST_MERGE_SMOKE_GITHUB_TOKEN", TOKEN);
    let uid = unprivileged(&mut cmd, repo.tmp.path())?;
    Some((uid, cmd.output().expect("runs")))
}

#[test]
fn the_token_cannot_be_read_from_the_tools_environment() {
    let repo = Repo::new("Add widgets (#41)");
    let stolen = repo.tmp.path().join("stolen");
    let smoke = format!(
        r#"for f in /proc/$PPID/environ /proc/$PPID/task/*/environ; do cat "$f" >> '{s}' 2>/dev/null && echo "read $f"; done
for p in $(ls /proc | grep -E '^[0-9]+$'); do grep -a -o 'ghs_[A-Za-z0-9_]*' /proc/$p/environ >> '{s}' 2>/dev/null || true; done
echo tried; exit 0"#,
        s = stolen.display()
    );
    let Some((uid, out)) = run_unprivileged_with_token(&repo, &smoke) else { return };
    let env = parse_envelope(&out.stdout, "stdout");
    assert_eq!(out.status.code(), Some(0), "uid {uid}: {}", stderr(&out));
    assert_eq!(env["smoke_result"]["stdout_tail"], "tried\n", "the smoke read the tool's environment");
    assert!(!loot(&stolen).contains(TOKEN), "the smoke stole the token as uid {uid}");
}

#[test]
fn the_tools_memory_cannot_be_opened() {
    let repo = Repo::new("Add widgets (#41)");
    let stolen = repo.tmp.path().join("stolen");
    let smoke = format!(
        r#"cat /proc/$PPID/maps > '{s}' 2>/dev/null && echo 'opened maps'
(exec 3< /proc/$PPID/mem) 2>/dev/null && echo 'opened mem'
ls /proc/$PPID/fd >/dev/null 2>&1 && echo 'listed fd'
readlink /proc/$PPID/exe >/dev/null 2>&1 && echo 'read exe'
echo tried; exit 0"#,
        s = stolen.display()
    );
    let Some((uid, out)) = run_unprivileged_with_token(&repo, &smoke) else { return };
    let env = parse_envelope(&out.stdout, "stdout");
    assert_eq!(env["smoke_result"]["stdout_tail"], "tried\n", "uid {uid}: the smoke got into the tool");
    assert_eq!(loot(&stolen), "");
}

/// A second verdict on the tool's stdout would be read first by whatever parses it; a
/// workflow command on its stderr would not even stand inside the fence. The tool's
/// stdout and stderr are files its user owns, as the runner's pipes are the runner user's
/// (a pipe the root test harness made would refuse `nobody` whatever the tool did).
#[test]
fn a_second_verdict_cannot_be_written_to_the_tools_stdout_or_stderr() {
    let repo = Repo::with_origin("Add widgets (#41)");
    let step = Step::new(&repo);
    let (stdout_file, stderr_file) = (repo.tmp.path().join("stdout"), repo.tmp.path().join("stderr"));
    let smoke = r#"printf '{"status":"PASS","allow_continuation":true}\n' >> /proc/$PPID/fd/1 2>/dev/null && echo 'wrote fd 1'
echo '::error::forged-through-proc' >> /proc/$PPID/fd/2 2>/dev/null && echo 'wrote fd 2'
exit 1"#;
    let mut cmd = step.command(&repo);
    cmd.args(["--command", smoke]);
    // Made before the tree goes to the unprivileged user, so they are the tool's own files.
    let (stdout, stderr) = (std::fs::File::create(&stdout_file), std::fs::File::create(&stderr_file));
    drop((stdout.expect("create"), stderr.expect("create")));
    let Some(uid) = unprivileged(&mut cmd, repo.tmp.path()) else { return };
    let open = |file: &Path| std::fs::File::options().write(true).open(file).expect("open");
    cmd.stdout(open(&stdout_file)).stderr(open(&stderr_file));
    let status = cmd.status().expect("runs");
    let err = loot(&stderr_file);
    // Exactly one JSON document: a forged one beside it would make this fail to parse.
    let env = parse_envelope(&std::fs::read(&stdout_file).expect("read"), "stdout");
    assert_eq!(status.code(), Some(1), "uid {uid}: {err}");
    assert_eq!(env["status"], "FAIL");
    assert_eq!(env["smoke_result"]["stdout_tail"], "", "uid {uid}: the smoke wrote to the tool");
    // The text is in the log once, inside the fence: in the `running` line that shows the command.
    assert!(!err.lines().any(|l| l.starts_with("::error::forged")), "{err}");
    assert!(command_lines(&err).iter().all(|l| !l.contains("forged")), "{err}");
    assert_eq!(step.outputs()["status"], "FAIL");
}
