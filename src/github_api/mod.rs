//! The GitHub API, through octocrab: commit status, culprit, escalation issue and the tree
//! gate (contract section 7). Everything here is optional and off without a token, and a
//! failing call is recorded in the envelope's `notifications`, never in the verdict.

mod client;
mod commit_status;
pub mod compare;
mod create_once;
mod escalation_issue;
mod gate;
mod gate_command;
mod issue_text;
mod publish;
mod pulls;
mod retry;
mod settings;

pub use client::{Api, ApiError};
pub use gate_command::gate_command;
pub use publish::{CULPRIT, notification, publish};
pub use pulls::culprit;
pub use settings::{Settings, redactor};

/// The settings and the one client of a run, or why there is none (no token, say).
/// Built once, so the fallbacks, the culprit and the publishing share what the client
/// learns, such as an API that proved unreachable.
pub type Connection = Result<(Settings, Api), ApiError>;

pub fn connect(args: &crate::cli::ApiArgs, ci: &crate::ci_env::CiEnv) -> Connection {
    let settings = Settings::new(args, ci)?;
    let api = Api::new(&settings)?;
    Ok((settings, api))
}
