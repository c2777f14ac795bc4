//! post-merge-smoke: run a smoke against the merge commit on main, decide whether
//! follow-on merges may continue, and say so in a JSON envelope and an exit code.
//!
//! Data flows one way: [`ci_env`] and [`cli`] give the inputs, [`git`], [`smoke_command`]
//! and [`exec`] turn them into facts, [`verdict::decide`] turns facts into a verdict, and
//! [`run`] and [`app`] assemble and write the envelope.

pub mod app;
pub mod bounded_read;
pub mod cancel;
pub mod changed_paths;
pub mod ci_env;
pub mod cli;
pub mod config;
pub mod culprit;
pub mod env_inputs;
pub mod envelope;
pub mod escalation;
pub mod exec;
pub mod exit_codes;
pub mod failures;
pub mod git;
pub mod github_actions;
pub mod github_api;
pub mod merge;
pub mod output;
pub mod progress;
pub mod random;
pub mod redact;
pub mod run;
pub mod smoke_command;
pub mod stale;
pub mod verdict;
pub mod worktree;
