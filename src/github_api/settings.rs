//! Where the API is and who we are there: the token (`--github-token`, else
//! `POST_MERGE_SMOKE_GITHUB_TOKEN`, else `GITHUB_TOKEN`), the base URL (`GITHUB_API_URL`),
//! the repository (`GITHUB_REPOSITORY`) and the retry and pacing tunables.

use std::ffi::OsString;
use std::time::Duration;

use super::client::ApiError;
use super::retry::RetryPolicy;
use crate::ci_env::CiEnv;
use crate::cli::{ApiArgs, RedactArgs};
use crate::redact::Redactor;

pub const DEFAULT_API_URL: &str = "https://api.github.com";

#[derive(Debug, Clone)]
pub struct Settings {
    pub token: String,
    pub api_url: String,
    pub owner: String,
    pub name: String,
    pub policy: RetryPolicy,
    /// Least time between two gate writes (GitHub's secondary limit: ~80 a minute).
    pub write_interval: Duration,
}

impl Settings {
    /// `Err(NoToken)` means every API feature is simply off.
    pub fn new(args: &ApiArgs, ci: &CiEnv) -> Result<Self, ApiError> {
        // The flag (or its POST_MERGE_SMOKE_ variable) first, then the runner's token;
        // read here rather than in clap because clap takes one variable per flag.
        let token = args
            .github_token
            .clone()
            .or_else(|| std::env::var("GITHUB_TOKEN").ok())
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::NoToken)?;
        // octocrab turns the token into a header and would panic on a newline in it.
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ApiError::BadToken);
        }
        let repository = ci.repository.as_deref().ok_or(ApiError::NoRepository)?;
        let (owner, name) = parse_repository(repository)?;
        Ok(Settings {
            token,
            api_url: ci.api_url.clone().unwrap_or_else(|| DEFAULT_API_URL.to_owned()),
            owner,
            name,
            policy: RetryPolicy::new(
                Duration::from_millis(args.api_retry_base_ms),
                Duration::from_secs(args.api_max_wait),
            ),
            write_interval: Duration::from_millis(args.gate_write_interval_ms),
        })
    }
}

/// The redactor for a command: secrets in the environment, `--redact-env` variables, and
/// the token given by flag (a value in the environment is masked already, one on the
/// command line would not be).
pub fn redactor(api: &ApiArgs, redact: &RedactArgs) -> Redactor {
    let flag_token =
        api.github_token.iter().map(|t| ("POST_MERGE_SMOKE_GITHUB_TOKEN".into(), t.trim().into()));
    let vars: Vec<(OsString, OsString)> = std::env::vars_os().chain(flag_token).collect();
    Redactor::from_vars(vars, &redact.redact_env)
}

/// `owner/name`, each part made of the characters GitHub allows, so they go into URL
/// paths as they are.
fn parse_repository(value: &str) -> Result<(String, String), ApiError> {
    let ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    match value.split_once('/') {
        Some((owner, name)) if ok(owner) && ok(name) => Ok((owner.to_owned(), name.to_owned())),
        _ => Err(ApiError::BadRepository(value.to_owned())),
    }
}

/// Percent-encodes one URL path segment or query value (a branch name such as
/// `release/1.x`).
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_owner_and_name_and_rejects_the_rest() {
        assert_eq!(parse_repository("o/r.rs").unwrap(), ("o".into(), "r.rs".into()));
        assert!(parse_repository("o").is_err());
        assert!(parse_repository("o/r/x").is_err());
        assert!(parse_repository("o/r?x=1").is_err());
        assert!(parse_repository("/r").is_err());
    }

    #[test]
    fn encodes_branch_names() {
        assert_eq!(encode("release/1.x"), "release%2F1.x");
        assert_eq!(encode("main"), "main");
        assert_eq!(encode("a b#c"), "a%20b%23c");
    }
}
