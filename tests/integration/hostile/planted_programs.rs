//! Class 8, programs planted on `PATH`. Runners put folders the runner user can write
//! ahead of `/usr/bin` on `PATH` (`~/.local/bin`, `~/.cargo/bin`, ...). A smoke that drops
//! a `git` (or an `ssh`) there would have the tool run it after the smoke, for the tree
//! check and the stale check: it could lie that main has not moved on. The tool must run
//! the programs it found before the smoke.

use std::path::{Path, PathBuf};

use crate::common::{Repo, git, run_envelope};

use super::support::{move_origin_on, stderr};

/// A folder the smoke may write, put first on the tool's `PATH`.
fn writable_path_dir(repo: &Repo) -> (PathBuf, String) {
    let bin = repo.tmp.path().join("user-bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    (bin, path)
}

/// The smoke: writes `program` into `bin` as a script that records it ran in `pwned`, then
/// runs `body`, and passes.
fn plant(bin: &Path, program: &str, pwned: &Path, body: &str) -> String {
    format!(
        "real_git=$(command -v git)\ncat > '{bin}/{program}' <<EOF\n#!/bin/sh\necho \"{program} \\$*\" >> '{pwned}'\n{body}\nEOF\nchmod +x '{bin}/{program}'\nexit 0",
        bin = bin.display(),
        pwned = pwned.display(),
    )
}

#[test]
fn a_git_planted_on_path_cannot_hide_that_main_moved_on() {
    let repo = Repo::with_origin("Add widgets (#41)");
    let merge = repo.head();
    let later = move_origin_on(&repo);
    let (bin, path) = writable_path_dir(&repo);
    let pwned = repo.tmp.path().join("pwned");
    // It answers the stale check with the merge commit and passes everything else on.
    let body = format!(
        "case \" \\$* \" in *\" ls-remote \"*) printf '{merge}\\trefs/heads/main\\n'; exit 0;; esac\nexec \"$real_git\" \"\\$@\""
    );
    let smoke = plant(&bin, "git", &pwned, &body);
    let (out, env) = run_envelope(repo.run().env("PATH", &path).args(["--command", &smoke]));
    assert!(bin.join("git").exists(), "the smoke planted its git: {}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&pwned).unwrap_or_default(), "", "the planted git ran");
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert_eq!(env["stale"], true);
    assert_eq!(env["main_head"], later.as_str());
    assert_eq!(env["allow_continuation"], false);
}

/// The same through `ssh`: `core.sshCommand` names ssh by the full path found before the
/// smoke, so a planted `ssh` cannot serve a decoy's refs.
#[test]
fn an_ssh_planted_on_path_cannot_answer_the_stale_check() {
    let repo = Repo::with_origin("Add widgets (#41)");
    let origin = repo.origin.clone().expect("origin");
    move_origin_on(&repo);
    // A decoy whose main is the merge commit.
    let decoy = repo.tmp.path().join("decoy.git");
    git(
        repo.tmp.path(),
        &["clone", "-q", "--bare", origin.to_str().expect("utf-8"), decoy.to_str().expect("utf-8")],
    );
    git(&decoy, &["update-ref", "refs/heads/main", &repo.head()]);
    // Nothing listens there: without the planted ssh the stale check is unavailable.
    git(&repo.dir, &["remote", "set-url", "origin", "ssh://127.0.0.1:9/repo.git"]);
    let (bin, path) = writable_path_dir(&repo);
    let pwned = repo.tmp.path().join("pwned");
    let body = format!("exec git-upload-pack '{}'", decoy.display());
    let smoke = plant(&bin, "ssh", &pwned, &body);
    let (out, env) = run_envelope(repo.run().env("PATH", &path).args(["--command", &smoke]));
    assert_eq!(std::fs::read_to_string(&pwned).unwrap_or_default(), "", "the planted ssh ran");
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(env["stale_check"], "unavailable");
}
