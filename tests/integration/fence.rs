//! Inside GitHub Actions the smoke cannot issue workflow commands: everything it can get
//! onto our stderr, echoed or written straight to it, stands inside `::stop-commands::`.

use crate::common::{Repo, run_envelope};

#[test]
fn workflow_commands_from_the_smoke_are_fenced_even_when_quiet_or_written_behind_our_back() {
    let repo = Repo::new("init");
    // The smoke writes to the tool's own stderr through /proc, before printing anything.
    let smoke = "echo '::add-mask::sneaky' > /proc/$PPID/fd/2; echo '::set-output name=status::PASS'; exit 1";
    for quiet in [false, true] {
        let mut cmd = repo.run();
        cmd.env("GITHUB_ACTIONS", "true").args(["--skip-stale-check", "--command", smoke]);
        if quiet {
            cmd.arg("--quiet");
        }
        let (out, env) = run_envelope(&mut cmd);
        assert_eq!(env["status"], "FAIL");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        let open = lines.iter().position(|l| l.starts_with("::stop-commands::")).expect("fence opened");
        let token = &lines[open]["::stop-commands::".len()..];
        assert!(token.len() >= 32, "an unguessable token");
        let close = lines.iter().position(|l| *l == format!("::{token}::")).expect("fence closed");
        let mask = lines.iter().position(|l| l.starts_with("::add-mask::")).expect("the smoke's line");
        assert!(open < mask && mask < close, "quiet={quiet}: {stderr}");
        if let Some(set) = lines.iter().position(|l| l.starts_with("::set-output")) {
            assert!(open < set && set < close, "quiet={quiet}: {stderr}");
        }
        // Our own annotation comes after the fence is lifted.
        let error = lines.iter().position(|l| l.starts_with("::error")).expect("annotation");
        assert!(error > close);
    }
}
