//! All integration tests, in one binary: each file drives the real `post-merge-smoke`
//! binary against real git repositories and real processes.

mod common;

mod basics;
mod capture;
mod worktree;
mod config;
mod process;
mod actions;
mod github_api;
