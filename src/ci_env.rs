//! What the CI environment says about this run, read once at start-up into plain data so
//! nothing else reads variables behind the caller's back.

use std::path::PathBuf;

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
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

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

    /// `https://github.com/o/r/actions/runs/1[/attempts/2]`, when the run is known.
    pub fn run_url(&self) -> Option<String> {
        let server = self.server_url.as_deref().unwrap_or("https://github.com");
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
