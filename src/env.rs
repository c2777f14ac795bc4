//! The one snapshot of the process environment, taken once at start-up and passed down:
//! every variable, the working directory, and the CI facts read from them. Nothing else in
//! the tool reads variables, so what a run saw is what this value holds, and tests build
//! one from a list.
//!
//! An empty variable counts as unset everywhere: GitHub Actions hands an unset action
//! input to `env:` as an empty string.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// The tool's own variables: the smoke does not inherit them (the token is among them).
pub const OWN_PREFIX: &str = "POST_MERGE_SMOKE_";
/// The runner's file commands: a smoke has no business setting this step's outputs,
/// environment, path, state or summary.
pub const FILE_COMMANDS: [&str; 5] =
    ["GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STATE", "GITHUB_STEP_SUMMARY"];

#[derive(Debug, Clone, Default)]
pub struct Environment {
    vars: Vec<(OsString, OsString)>,
    cwd: Option<PathBuf>,
    exe: Option<PathBuf>,
    pub ci: CiEnv,
}

impl Environment {
    /// Reads the process environment and working directory: the only place that does.
    pub fn capture() -> Self {
        let mut env = Self::new(std::env::vars_os().collect(), std::env::current_dir().ok());
        env.exe = std::env::current_exe().ok();
        env
    }

    pub fn new(vars: Vec<(OsString, OsString)>, cwd: Option<PathBuf>) -> Self {
        let mut env = Environment { vars, cwd, exe: None, ci: CiEnv::default() };
        env.ci = CiEnv::from_lookup(|name| env.var(name).map(str::to_owned));
        env
    }

    /// A variable's value when it is set, not empty and UTF-8.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.var_os(name).and_then(OsStr::to_str)
    }

    /// A variable's raw value when it is set and not empty.
    pub fn var_os(&self, name: &str) -> Option<&OsStr> {
        self.vars.iter().find(|(n, v)| n == name && !v.is_empty()).map(|(_, v)| v.as_os_str())
    }

    /// Whether the variable is set but empty (clap must not read it as a value).
    pub fn is_empty(&self, name: &OsStr) -> bool {
        self.vars.iter().any(|(n, v)| n == name && v.is_empty())
    }

    pub fn vars(&self) -> &[(OsString, OsString)] {
        &self.vars
    }

    /// The working directory; `.` when it could not be read.
    pub fn cwd(&self) -> &Path {
        self.cwd.as_deref().unwrap_or(Path::new("."))
    }

    /// This binary, when it could be found.
    pub fn exe(&self) -> Option<&Path> {
        self.exe.as_deref()
    }

    /// `GITHUB_TOKEN`, the fallback of `--github-token`.
    pub fn github_token(&self) -> Option<&str> {
        self.var("GITHUB_TOKEN")
    }

    /// The environment the smoke gets: all of ours but the tool's own variables, the
    /// runner's file commands, and any variable holding the tool's `token` (`GITHUB_TOKEN`,
    /// when it is the token's source): the smoke is trusted to test, not to act as the tool.
    pub fn for_smoke(&self, token: Option<&str>) -> Vec<(OsString, OsString)> {
        let token = token.map(str::trim).filter(|t| !t.is_empty());
        self.vars
            .iter()
            .filter(|(name, value)| {
                let name = name.to_string_lossy();
                let holds_token = token.is_some_and(|t| value.to_str().is_some_and(|v| v.trim() == t));
                !name.starts_with(OWN_PREFIX) && !FILE_COMMANDS.contains(&name.as_ref()) && !holds_token
            })
            .cloned()
            .collect()
    }

    /// The first executable called `name` on `PATH`.
    pub fn find_program(&self, name: &str) -> Option<PathBuf> {
        use std::os::unix::fs::PermissionsExt;
        let path = self.var_os("PATH")?;
        std::env::split_paths(path).map(|dir| dir.join(name)).find(|candidate| {
            candidate.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    }

    /// Where temporary files go: `RUNNER_TEMP`, else `TMPDIR`, else `/tmp`.
    pub fn temp_dir(&self) -> PathBuf {
        self.ci
            .runner_temp
            .clone()
            .or_else(|| self.var_os("TMPDIR").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("/tmp"))
    }
}

/// What the CI environment says about this run.
#[derive(Debug, Clone, Default)]
pub struct CiEnv {
    /// `GITHUB_ACTIONS=true`.
    pub github_actions: bool,
    pub sha: Option<String>,
    pub git_ref: Option<String>,
    pub event_name: Option<String>,
    pub event_path: Option<PathBuf>,
    pub repository: Option<String>,
    pub server_url: Option<String>,
    pub api_url: Option<String>,
    pub run_id: Option<String>,
    pub run_attempt: Option<String>,
    pub runner_temp: Option<PathBuf>,
    pub output_file: Option<PathBuf>,
    pub step_summary_file: Option<PathBuf>,
    /// `GITHUB_ENV`, `GITHUB_PATH`, `GITHUB_STATE`: only guarded against the smoke.
    pub env_file: Option<PathBuf>,
    pub path_file: Option<PathBuf>,
    pub state_file: Option<PathBuf>,
}

impl CiEnv {
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let var = |name: &str| get(name).filter(|v| !v.is_empty());
        CiEnv {
            github_actions: var("GITHUB_ACTIONS").as_deref() == Some("true"),
            sha: var("GITHUB_SHA"),
            git_ref: var("GITHUB_REF"),
            event_name: var("GITHUB_EVENT_NAME"),
            event_path: var("GITHUB_EVENT_PATH").map(PathBuf::from),
            repository: var("GITHUB_REPOSITORY"),
            server_url: var("GITHUB_SERVER_URL"),
            api_url: var("GITHUB_API_URL"),
            run_id: var("GITHUB_RUN_ID"),
            run_attempt: var("GITHUB_RUN_ATTEMPT"),
            runner_temp: var("RUNNER_TEMP").map(PathBuf::from),
            output_file: var("GITHUB_OUTPUT").map(PathBuf::from),
            step_summary_file: var("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            env_file: var("GITHUB_ENV").map(PathBuf::from),
            path_file: var("GITHUB_PATH").map(PathBuf::from),
            state_file: var("GITHUB_STATE").map(PathBuf::from),
        }
    }

    pub fn provider(&self) -> &'static str {
        if self.github_actions { "github-actions" } else { "local" }
    }

    /// `GITHUB_SERVER_URL`, else github.com's.
    pub fn server(&self) -> &str {
        self.server_url.as_deref().unwrap_or("https://github.com")
    }

    /// `https://github.com/o/r/actions/runs/1[/attempts/2]`, when the run is known.
    pub fn run_url(&self) -> Option<String> {
        let server = self.server();
        let (repo, run) = (self.repository.as_deref()?, self.run_id.as_deref()?);
        let mut url = format!("{}/{repo}/actions/runs/{run}", server.trim_end_matches('/'));
        if let Some(attempt) = self.run_attempt.as_deref().filter(|a| *a != "1") {
            url.push_str(&format!("/attempts/{attempt}"));
        }
        Some(url)
    }

    /// The branch `GITHUB_REF` names, when it names one.
    pub fn branch(&self) -> Option<&str> {
        self.git_ref.as_deref()?.strip_prefix("refs/heads/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Environment {
        Environment::new(vars.iter().map(|(k, v)| (k.into(), v.into())).collect(), None)
    }

    #[test]
    fn empty_counts_as_unset() {
        let e = env(&[("GITHUB_SHA", ""), ("GITHUB_REF", "refs/heads/main"), ("X", "")]);
        assert_eq!(e.var("X"), None);
        assert!(e.is_empty(OsStr::new("X")));
        assert_eq!(e.ci.sha, None);
        assert_eq!(e.ci.branch(), Some("main"));
    }

    #[test]
    fn the_smoke_gets_neither_our_variables_nor_the_runner_files() {
        let e = env(&[("POST_MERGE_SMOKE_GITHUB_TOKEN", "t"), ("GITHUB_OUTPUT", "/o"), ("HOME", "/h")]);
        let names: Vec<_> = e.for_smoke(None).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["HOME"]);
        // The token, by whatever name it came (here the `GITHUB_TOKEN` fallback).
        let e = env(&[("GITHUB_TOKEN", "t0k"), ("GH_TOKEN", "t0k"), ("OTHER_TOKEN", "x"), ("HOME", "/h")]);
        let names: Vec<_> = e.for_smoke(Some("t0k")).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["OTHER_TOKEN", "HOME"]);
    }
}
