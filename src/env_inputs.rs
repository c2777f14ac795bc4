//! GitHub Actions hands an unset action input to `env:` as an empty string, and clap would
//! read `POST_MERGE_SMOKE_TIMEOUT=""` as a (bad) value. Empty tool variables mean "unset".
//!
//! Safe Rust cannot remove a variable from its own environment once threads may exist,
//! so the process re-executes itself without them, once, keeping its pid: a cancelling
//! runner still signals the right process.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;

const PREFIX: &str = "POST_MERGE_SMOKE_";

/// Tool variables that are set but empty.
pub fn empty_tool_variables(vars: impl IntoIterator<Item = (OsString, OsString)>) -> Vec<OsString> {
    vars.into_iter()
        .filter(|(name, value)| value.is_empty() && name.to_string_lossy().starts_with(PREFIX))
        .map(|(name, _)| name)
        .collect()
}

/// Replaces this process with itself minus the empty tool variables; returns only when
/// there were none, or when the re-exec failed (then clap reports the empty value).
pub fn reexec_without_empty_variables() {
    let empty = empty_tool_variables(std::env::vars_os());
    if empty.is_empty() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new(exe);
    if let Some(arg0) = args.next() {
        command.arg0(arg0);
    }
    command.args(args);
    for name in empty {
        command.env_remove(name);
    }
    let _ = command.exec();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_empty_tool_variables_are_dropped() {
        let vars = [("POST_MERGE_SMOKE_TIMEOUT", ""), ("POST_MERGE_SMOKE_COMMAND", "x"), ("OTHER", "")];
        let vars = vars.map(|(k, v)| (OsString::from(k), OsString::from(v)));
        assert_eq!(empty_tool_variables(vars), vec![OsString::from("POST_MERGE_SMOKE_TIMEOUT")]);
    }
}
