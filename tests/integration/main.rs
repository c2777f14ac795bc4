//! All integration tests, in one binary: each file drives the real `post-merge-smoke`
//! binary against real git repositories and real processes.

mod common;

mod actions;
mod basics;
mod bisect;
mod capture;
mod cli;
mod config;
mod confirm;
mod fence;
mod github;
mod hostile;
mod process;
mod replay;
mod shards;
mod worktree;
