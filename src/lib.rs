//! post-merge-smoke: run a smoke against the merge commit on main, decide whether
//! follow-on merges may continue, and say so in a JSON envelope and an exit code.
//!
//! Data flows one way: [`env`] and [`cli`] give the inputs and [`commands`] turns them
//! into [`config`]; [`git`], [`smoke_command`] and [`exec`] observe the world and hand
//! [`facts`] to [`verdict::decide`]; [`run`] assembles the [`envelope`], and the commands
//! write it, through [`github_actions`] and [`notify`] where they apply.

pub mod aggregate;
pub mod bisect;
pub mod bounded_read;
pub mod cancel;
pub mod changed_paths;
pub mod cli;
pub mod commands;
pub mod config;
pub mod culprit;
pub mod env;
pub mod envelope;
pub mod escalation;
pub mod exec;
pub mod exit_codes;
pub mod facts;
pub mod failures;
pub mod git;
pub mod github_actions;
pub mod github_api;
pub mod merge;
pub mod notify;
pub mod output;
pub mod progress;
pub mod random;
pub mod redact;
pub mod repo_guard;
pub mod revert;
pub mod run;
pub mod smoke_command;
pub mod stale;
pub mod text;
pub mod tree_gate;
pub mod verdict;
pub mod worktree;
