//! The GitHub REST client: octocrab carries the token, the base URL (`GITHUB_API_URL`, so
//! GitHub Enterprise Server and loopback tests work alike) and the connect/read timeouts;
//! this wrapper adds bounded retries (see [`super::retry`]), `Link` pagination, typed
//! errors, and fails fast once the API proved unreachable, so a dead API costs one
//! request's retries and not one per feature.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use octocrab::Octocrab;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::retry::{self, Failure, Next, RetryPolicy};
use super::settings::Settings;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// More pages than this is a runaway pagination, not a repository.
pub const MAX_PAGES: usize = 50;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("no GitHub token: pass `--github-token` or set `GITHUB_TOKEN`")]
    NoToken,
    #[error("the GitHub token holds characters a token cannot hold (a stray newline?)")]
    BadToken,
    #[error("no repository: set `GITHUB_REPOSITORY` to `owner/name`")]
    NoRepository,
    #[error("`GITHUB_REPOSITORY` is `{0}`, not `owner/name`")]
    BadRepository(String),
    #[error("cannot set up the GitHub client for `{url}`: {message}")]
    Setup { url: String, message: String },
    #[error("`{method} {path}` answered {status}: {message}")]
    Status { method: &'static str, path: String, status: u16, message: String },
    #[error("`{method} {path}`: could not reach the GitHub API: {message}")]
    Transport { method: &'static str, path: String, message: String },
    #[error("`{method} {path}`: rate limited; GitHub asks to wait {}s, more than the {}s allowed",
            wait.as_secs(), allowed.as_secs())]
    RateLimited { method: &'static str, path: String, wait: Duration, allowed: Duration },
    #[error("`{method} {path}`: the answer is not what GitHub documents: {message}")]
    Decode { method: &'static str, path: String, message: String },
    #[error("`{method} {path}`: {message}")]
    Pagination { method: &'static str, path: String, message: String },
    #[error("skipped `{method} {path}`: the GitHub API was unreachable a moment ago")]
    Unreachable { method: &'static str, path: String },
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The request failed but may still have been carried out (a 5xx, a lost answer):
    /// before creating again, look whether it was.
    pub fn maybe_processed(&self) -> bool {
        match self {
            ApiError::Transport { .. } => true,
            ApiError::Status { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

/// Whether sending a request twice is harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// Reads, status writes (the latest wins), closing an issue.
    Safe,
    /// Creates: repeated only when GitHub said it did not process it (rate limits);
    /// otherwise the caller looks before creating again (see [`super::create_once`]).
    Once,
}

#[derive(Debug, Clone, Copy)]
enum Method {
    Get,
    Post,
    Patch,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
        }
    }
}

struct Reply {
    body: String,
    next: Option<String>,
}

pub struct Api {
    crab: Octocrab,
    owner: String,
    name: String,
    base: String,
    policy: RetryPolicy,
    unreachable: AtomicBool,
}

impl Api {
    pub fn new(settings: &Settings) -> Result<Self, ApiError> {
        let setup = |message: String| ApiError::Setup { url: settings.api_url.clone(), message };
        let crab = Octocrab::builder()
            .personal_token(settings.token.clone())
            .base_uri(settings.api_url.as_str())
            .map_err(|e| setup(error_chain(&e)))?
            .set_connect_timeout(Some(CONNECT_TIMEOUT))
            .set_read_timeout(Some(READ_TIMEOUT))
            .build()
            .map_err(|e| setup(error_chain(&e)))?;
        Ok(Api {
            crab,
            owner: settings.owner.clone(),
            name: settings.name.clone(),
            base: settings.api_url.trim_end_matches('/').to_owned(),
            policy: settings.policy,
            unreachable: AtomicBool::new(false),
        })
    }

    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// The repository's owner.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// `/repos/{owner}/{name}{rest}`.
    pub fn repo_path(&self, rest: &str) -> String {
        format!("/repos/{}/{}{rest}", self.owner, self.name)
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        let reply = self.send(Method::Get, path, None, Repeat::Safe).await?;
        decode(Method::Get, path, &reply.body)
    }

    /// Every page of a list, following `Link: <...>; rel="next"`.
    pub async fn get_all<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, ApiError> {
        let mut items = Vec::new();
        let mut uri = path.to_owned();
        for _ in 0..MAX_PAGES {
            let reply = self.send(Method::Get, &uri, None, Repeat::Safe).await?;
            items.extend(decode::<Vec<T>>(Method::Get, &uri, &reply.body)?);
            let Some(next) = reply.next else { return Ok(items) };
            // The token goes only where the API is; a link elsewhere is not followed.
            if !next.starts_with(&self.base) {
                let message = format!("the next page is not on the API host: `{next}`");
                return Err(ApiError::Pagination { method: "GET", path: path.to_owned(), message });
            }
            uri = next;
        }
        let message = format!("more than {MAX_PAGES} pages; stopped");
        Err(ApiError::Pagination { method: "GET", path: path.to_owned(), message })
    }

    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &Value,
        repeat: Repeat,
    ) -> Result<T, ApiError> {
        let reply = self.send(Method::Post, path, Some(body), repeat).await?;
        decode(Method::Post, path, &reply.body)
    }

    pub async fn patch<T: DeserializeOwned>(&self, path: &str, body: &Value) -> Result<T, ApiError> {
        let reply = self.send(Method::Patch, path, Some(body), Repeat::Safe).await?;
        decode(Method::Patch, path, &reply.body)
    }

    async fn send(
        &self,
        method: Method,
        uri: &str,
        body: Option<&Value>,
        repeat: Repeat,
    ) -> Result<Reply, ApiError> {
        let path = uri.strip_prefix(&self.base).unwrap_or(uri).to_owned();
        let m = method.as_str();
        if self.unreachable.load(Ordering::Relaxed) {
            return Err(ApiError::Unreachable { method: m, path });
        }
        let mut waited = Duration::ZERO;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let response = match method {
                Method::Get => self.crab._get(uri).await,
                Method::Post => self.crab._post(uri, body).await,
                Method::Patch => self.crab._patch(uri, body).await,
            };
            let (failure, headers, error) = match response {
                Err(e) => {
                    let error =
                        ApiError::Transport { method: m, path: path.clone(), message: error_chain(&e) };
                    (Failure::Transient, retry::RateHeaders::default(), error)
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    let header = |name: &str| {
                        response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
                    };
                    let headers = retry::rate_headers(header);
                    let next = header("link").as_deref().and_then(next_link);
                    match self.crab.body_to_string(response).await {
                        Ok(body) if (200..300).contains(&status) => return Ok(Reply { body, next }),
                        Ok(body) => {
                            let message = error_message(&body);
                            let failure = retry::classify(status, &headers, &body);
                            (
                                failure,
                                headers,
                                ApiError::Status { method: m, path: path.clone(), status, message },
                            )
                        }
                        Err(e) => {
                            let message = format!("reading the answer: {}", error_chain(&e));
                            (
                                Failure::Transient,
                                headers,
                                ApiError::Transport { method: m, path: path.clone(), message },
                            )
                        }
                    }
                }
            };
            let transport = matches!(error, ApiError::Transport { .. });
            match retry::next(
                &self.policy,
                failure,
                repeat == Repeat::Safe,
                &headers,
                attempt,
                waited,
                now_epoch(),
            ) {
                Next::Retry(wait) => {
                    tokio::time::sleep(wait).await;
                    waited += wait;
                }
                Next::TooLong(wait) if failure == Failure::RateLimited => {
                    return Err(ApiError::RateLimited {
                        method: m,
                        path,
                        wait,
                        allowed: self.policy.max_wait,
                    });
                }
                Next::Exhausted | Next::TooLong(_) if transport => {
                    self.unreachable.store(true, Ordering::Relaxed);
                    return Err(error);
                }
                Next::Stop | Next::Exhausted | Next::TooLong(_) => return Err(error),
            }
        }
    }
}

fn decode<T: DeserializeOwned>(method: Method, path: &str, body: &str) -> Result<T, ApiError> {
    serde_json::from_str(body).map_err(|e| ApiError::Decode {
        method: method.as_str(),
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// GitHub's `{"message": ...}`, else the start of the body.
fn error_message(body: &str) -> String {
    let parsed = serde_json::from_str::<Value>(body).ok();
    match parsed.as_ref().and_then(|v| v["message"].as_str()) {
        Some(message) => message.to_owned(),
        None if body.trim().is_empty() => "(no message)".to_owned(),
        None => body.trim().chars().take(200).collect(),
    }
}

/// The `rel="next"` target of a `Link` header.
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| target.to_owned())
    })
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

fn now_epoch() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_next_page_among_the_links() {
        let header = r#"<https://api.github.com/repositories/1/pulls?page=2>; rel="next", <https://api.github.com/repositories/1/pulls?page=5>; rel="last""#;
        assert_eq!(next_link(header).as_deref(), Some("https://api.github.com/repositories/1/pulls?page=2"));
        let last = r#"<https://api.github.com/x?page=1>; rel="first", <https://api.github.com/x?page=4>; rel="prev""#;
        assert_eq!(next_link(last), None);
        assert_eq!(next_link(""), None);
    }

    #[test]
    fn error_messages_prefer_github_s_message() {
        assert_eq!(error_message(r#"{"message":"Not Found","documentation_url":"x"}"#), "Not Found");
        assert_eq!(error_message("  <html>bad gateway</html> "), "<html>bad gateway</html>");
        assert_eq!(error_message(""), "(no message)");
    }
}
