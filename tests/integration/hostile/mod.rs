//! A hostile smoke against the real binary: one file per way a smoke running as the same
//! user as the tool (no root) could try to forge, steal or stall the verdict (contract
//! section 11, README "What a smoke can and cannot do"), each asserting what a user would
//! notice: the exit code, the envelope, the step outputs, the wall time, and that nothing
//! is left running.

mod support;

mod git_config;
mod hangs;
mod lifetime;
mod planted_programs;
mod proc_access;
mod retry_tree;
mod runner_files;
mod secrets;
mod workflow_commands;
