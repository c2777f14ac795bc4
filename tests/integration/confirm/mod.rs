//! Confirming a failure and knowing what failed (contract section 8), end to end: real
//! smokes (shell, pytest from `.venv/`, cargo test) run by the real binary in temp git
//! repositories, one file per area.

mod fingerprint;
mod outcomes;
mod project;
mod quarantine;
mod retries;
mod tests_found;
