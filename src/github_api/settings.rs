//! Where the API is and who we are there: the token (from [`ApiConfig`]), the base URL
//! (`GITHUB_API_URL`), the repository (`GITHUB_REPOSITORY`) and the retry and pacing
//! tunables.

use std::time::Duration;

use super::client::ApiError;
use super::retry::RetryPolicy;
use crate::config::ApiConfig;
use crate::env::CiEnv;

pub const DEFAULT_API_URL: &str = "https://api.github.com";

#[derive(Debug, Clone)]
pub struct Settings {
    pub token: String,
    pub api_url: String,
    /// `GITHUB_SERVER_URL`: where git reaches the repository over HTTPS.
    pub server_url: String,
    pub owner: String,
    pub name: String,
    pub policy: RetryPolicy,
    /// Least time between two gate writes (GitHub's secondary limit: ~80 a minute).
    pub write_interval: Duration,
}

impl Settings {
    /// `Err(NoToken)` means every API feature is simply off.
    pub fn new(config: &ApiConfig, ci: &CiEnv) -> Result<Self, ApiError> {
        let token = config
            .token
            .as_deref()
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
            server_url: ci.server().to_owned(),
            owner,
            name,
            policy: RetryPolicy::new(config.retry_base, config.max_wait),
            write_interval: config.write_interval,
        })
    }
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
