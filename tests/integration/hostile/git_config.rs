//! Class 2, planted git configuration. After the smoke the tool runs git again (the tree
//! check before a retry, the stale check), so a smoke that writes `.git/config` (a filter
//! driver, `core.fsmonitor`, hooks, a remote's `uploadpack`, a repointed URL), swaps it
//! for a link, redirects the git folder, or writes the user's global configuration would
//! have the tool run its program, or answer the stale check from a decoy. Every planted
//! program here appends to one `pwned` file, which must never exist; a decoy remote must
//! not hide that main moved on.

use std::path::{Path, PathBuf};

use crate::common::{Repo, git, run_envelope};

use super::support::{move_origin_on, stderr};

/// A repository with an origin, and the program every planted setting names: it records
/// that it ran, and passes its input through like a real filter.
struct Planted {
    repo: Repo,
    pwn: PathBuf,
    pwned: PathBuf,
}

impl Planted {
    fn new() -> Planted {
        let repo = Repo::with_origin("Add widgets (#41)");
        let pwn = repo.tmp.path().join("pwn");
        let pwned = repo.tmp.path().join("pwned");
        std::fs::write(&pwn, format!("#!/bin/sh\necho \"$*\" >> '{}'\nexec cat\n", pwned.display()))
            .expect("write");
        std::fs::set_permissions(&pwn, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
        Planted { repo, pwn, pwned }
    }

    /// What the planted programs recorded; empty when none ran.
    fn ran(&self) -> String {
        std::fs::read_to_string(&self.pwned).unwrap_or_default()
    }

    fn config(&self) -> Vec<u8> {
        std::fs::read(self.repo.dir.join(".git/config")).expect("read .git/config")
    }
}

/// The end of a smoke that makes git hash the tracked files again (same content, new
/// mtime: only a filter can tell), with a filter on every file, and fails so that the
/// tool checks the tree before the retry.
const REHASH_AND_FAIL: &str = "echo '* filter=x' > .gitattributes; sleep 0.05; touch README.md; exit 1";

/// Asserts the smoke ran twice (the tree check found it unchanged), nothing planted ran,
/// and `.git/config` holds its bytes from before the smoke.
fn assert_retried_and_clean(
    p: &Planted,
    config_before: &[u8],
    out: &std::process::Output,
    env: &serde_json::Value,
) {
    assert_eq!(out.status.code(), Some(1), "{}", stderr(out));
    assert_eq!(env["status"], "FAIL");
    assert_eq!(env["attempts"].as_array().map(Vec::len), Some(2), "{}", env["smoke_result"]);
    assert_eq!(p.ran(), "", "a planted program ran with the tool's privileges");
    assert_eq!(p.config(), config_before, ".git/config was not put back");
}

#[test]
fn filters_fsmonitor_hooks_and_pagers_planted_in_git_config_never_run() {
    let p = Planted::new();
    let before = p.config();
    let pwn = p.pwn.display();
    let smoke = format!(
        r#"git config core.fsmonitor '{pwn} fsmonitor'
git config filter.x.clean '{pwn} clean'
git config filter.x.smudge '{pwn} smudge'
git config filter.x.process '{pwn} process'
git config core.hooksPath "$PWD/.hooks"; mkdir -p .hooks; for h in pre-commit post-checkout reference-transaction post-index-change; do cp '{pwn}' .hooks/$h; done
git config diff.external '{pwn} diff'
git config core.pager '{pwn} pager'
git config core.askPass '{pwn} askpass'
{REHASH_AND_FAIL}"#
    );
    let (out, env) = run_envelope(p.repo.run().args(["--retries", "1", "--command", &smoke]));
    assert_retried_and_clean(&p, &before, &out, &env);
    let err = stderr(&out);
    assert!(err.contains("the smoke changed `") && err.contains("it was restored"), "{err}");
}

#[test]
fn a_config_swapped_for_a_link_to_an_including_config_is_put_back() {
    let p = Planted::new();
    let before = p.config();
    let evil = p.repo.tmp.path().join("evil.config");
    let included = p.repo.tmp.path().join("included.config");
    let smoke = format!(
        r#"printf '[filter "x"]\n\tclean = {pwn} clean\n' > '{included}'
cp .git/config '{evil}'; printf '[include]\n\tpath = {included}\n' >> '{evil}'
rm .git/config; ln -s '{evil}' .git/config
{REHASH_AND_FAIL}"#,
        pwn = p.pwn.display(),
        included = included.display(),
        evil = evil.display()
    );
    let (out, env) = run_envelope(p.repo.run().args(["--retries", "1", "--command", &smoke]));
    assert_retried_and_clean(&p, &before, &out, &env);
    let kind = std::fs::symlink_metadata(p.repo.dir.join(".git/config")).expect("stat").file_type();
    assert!(kind.is_file(), ".git/config is {kind:?}");
}

#[test]
fn a_worktree_config_switched_on_by_the_smoke_is_removed() {
    let p = Planted::new();
    let before = p.config();
    let smoke = format!(
        r#"git config extensions.worktreeConfig true
printf '[filter "x"]\n\tclean = {pwn} clean\n' > .git/config.worktree
{REHASH_AND_FAIL}"#,
        pwn = p.pwn.display()
    );
    let (out, env) = run_envelope(p.repo.run().args(["--retries", "1", "--command", &smoke]));
    assert_retried_and_clean(&p, &before, &out, &env);
    assert!(!p.repo.dir.join(".git/config.worktree").exists());
}

/// The smoke cannot edit `.git/config` usefully, so it points the git folder at a copy it
/// controls: `$GIT_DIR/commondir` names where git reads the configuration from.
#[test]
fn a_git_folder_redirected_through_commondir_runs_nothing() {
    let p = Planted::new();
    let before = p.config();
    let copy = p.repo.tmp.path().join("evil-git");
    let smoke = format!(
        r#"cp -r .git '{copy}'
printf '[filter "x"]\n\tclean = {pwn} clean\n' >> '{copy}/config'
mkdir -p '{copy}/info'; echo '* filter=x' > '{copy}/info/attributes'
echo '{copy}' > .git/commondir
{REHASH_AND_FAIL}"#,
        copy = copy.display(),
        pwn = p.pwn.display()
    );
    let (out, env) = run_envelope(p.repo.run().args(["--retries", "1", "--command", &smoke]));
    std::fs::remove_file(p.repo.dir.join(".git/commondir")).expect("the smoke wrote it");
    assert_retried_and_clean(&p, &before, &out, &env);
}

/// actions/checkout v6 and later keep the token in a file under `$RUNNER_TEMP` that
/// `.git/config` includes (`includeIf.gitdir:…​.path`). The tool puts back the files
/// `.git/config` includes too: a filter driver a smoke appends there never runs.
#[test]
fn a_filter_appended_to_a_file_the_config_includes_never_runs() {
    let p = Planted::new();
    let credentials = p.repo.tmp.path().join("git-credentials-4b1c.config");
    std::fs::write(
        &credentials,
        "[http \"https://github.com/\"]\n\textraheader = AUTHORIZATION: basic eA==\n",
    )
    .expect("write");
    let git_dir = p.repo.dir.join(".git");
    git(
        &p.repo.dir,
        &[
            "config",
            &format!("includeIf.gitdir:{}.path", git_dir.display()),
            credentials.to_str().expect("utf-8"),
        ],
    );
    let before = p.config();
    let smoke = format!(
        r#"printf '[filter "x"]\n\tclean = {pwn} clean\n' >> '{credentials}'
{REHASH_AND_FAIL}"#,
        pwn = p.pwn.display(),
        credentials = credentials.display()
    );
    let (out, env) = run_envelope(p.repo.run().args(["--retries", "1", "--command", &smoke]));
    assert_retried_and_clean(&p, &before, &out, &env);
}

#[test]
fn global_and_xdg_configuration_written_by_the_smoke_is_not_read() {
    let p = Planted::new();
    let before = p.config();
    let home = p.repo.tmp.path().join("home");
    std::fs::create_dir_all(&home).expect("mkdir");
    let smoke = format!(
        r#"printf '[filter "x"]\n\tclean = {pwn} global-clean\n[core]\n\tfsmonitor = {pwn} global-fsmonitor\n' > "$HOME/.gitconfig"
mkdir -p "$HOME/.config/git"; printf '[filter "x"]\n\tclean = {pwn} xdg-clean\n' > "$HOME/.config/git/config"
echo '* filter=x' > "$HOME/.config/git/attributes"
{REHASH_AND_FAIL}"#,
        pwn = p.pwn.display()
    );
    let (out, env) =
        run_envelope(p.repo.run().env("HOME", &home).args(["--retries", "1", "--command", &smoke]));
    assert_retried_and_clean(&p, &before, &out, &env);
}

/// A bare copy of `origin` whose main is the merge commit: what a decoy remote answers.
fn decoy(repo: &Repo, origin: &Path) -> PathBuf {
    let decoy = repo.tmp.path().join("decoy.git");
    let (origin, decoy_str) = (origin.to_str().expect("utf-8"), decoy.to_str().expect("utf-8"));
    git(repo.tmp.path(), &["clone", "-q", "--bare", origin, decoy_str]);
    git(&decoy, &["update-ref", "refs/heads/main", &repo.head()]);
    decoy
}

#[test]
fn a_remote_repointed_to_a_decoy_does_not_hide_that_main_moved_on() {
    let repo = Repo::with_origin("Add widgets (#41)");
    let origin = repo.origin.clone().expect("origin");
    let later = move_origin_on(&repo);
    let decoy = decoy(&repo, &origin);
    let smoke = format!(
        "git remote set-url origin '{d}'; git config url.'{d}'.insteadOf '{o}'; exit 0",
        d = decoy.display(),
        o = origin.display()
    );
    let (out, env) = run_envelope(repo.run().args(["--command", &smoke]));
    assert_eq!(out.status.code(), Some(5), "stale PASS: {}", stderr(&out));
    assert_eq!(env["status"], "PASS");
    assert_eq!(env["stale"], true);
    assert_eq!(env["allow_continuation"], false);
    assert_eq!(env["main_head"], later.as_str());
    assert!(env["decision"]["reason_codes"].as_array().expect("codes").contains(&"MAIN_HEAD_STALE".into()));
    assert_eq!(git(&repo.dir, &["remote", "get-url", "origin"]), origin.to_str().expect("utf-8"));
}

#[test]
fn transport_programs_planted_for_the_stale_check_never_run() {
    let p = Planted::new();
    let before = p.config();
    let pwn = p.pwn.display();
    let smoke = format!(
        r#"git config remote.origin.uploadpack '{pwn} uploadpack'
git config remote.origin.receivepack '{pwn} receivepack'
git config core.sshCommand '{pwn} ssh'
git config protocol.allow always
git config remote.origin.url 'ext::{pwn} ext'
git config credential.helper '!{pwn} credential'
exit 0"#
    );
    let (out, env) = run_envelope(p.repo.run().args(["--command", &smoke]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env["stale_check"], "checked");
    assert_eq!(env["stale"], false);
    assert_eq!(p.ran(), "", "a planted program ran with the tool's privileges");
    assert_eq!(p.config(), before);
}
