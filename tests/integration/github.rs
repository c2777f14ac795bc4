//! The GitHub API parts, driving the real binary against a fake GitHub on 127.0.0.1 that
//! answers in the shapes of GitHub's documented REST API and records all its traffic for
//! `scripts/check-openapi.sh`: one file per feature.

mod answers;
mod fake;
mod harness;

mod aggregate;
mod bisect_status;
mod commit_status;
mod culprit;
mod escalation_issue;
mod fallbacks;
mod flaky_issue;
mod gate;
mod gate_mirror;
mod retries;
mod revert;
mod token;
