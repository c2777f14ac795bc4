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

/// A client when a token and a repository are there; `None` turns every API fallback off.
pub fn optional_client(args: &crate::cli::ApiArgs, ci: &crate::ci_env::CiEnv) -> Option<Api> {
    Api::new(&Settings::new(args, ci).ok()?).ok()
}
