//! The GitHub REST API, through octocrab: commit statuses, pull requests (the culprit and
//! the open ones), the compare and branch fallbacks, the escalation issue and the tree
//! gate's writes. An adapter only: it takes plain configuration and the envelope's wire
//! types, and knows nothing of commands or runs. Everything here is off without a token.

mod client;
pub mod commit_status;
pub mod compare;
mod create_once;
pub mod escalation_issue;
pub mod gate;
mod issue_text;
pub mod pulls;
mod retry;
mod settings;

pub use client::{Api, ApiError, Repeat};
pub use pulls::culprit;
pub use settings::{Settings, encode};

use crate::config::ApiConfig;
use crate::env::CiEnv;

/// The settings and the one client of a run, or why there is none (no token, say).
/// Built once, so the fallbacks, the culprit and the publishing share what the client
/// learns, such as an API that proved unreachable.
pub type Connection = Result<(Settings, Api), ApiError>;

pub fn connect(config: &ApiConfig, ci: &CiEnv) -> Connection {
    let settings = Settings::new(config, ci)?;
    let api = Api::new(&settings)?;
    Ok((settings, api))
}
