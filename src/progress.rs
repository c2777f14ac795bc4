//! Messages for people, on stderr, with secrets masked. Inside GitHub Actions warnings
//! become `::warning::` annotations.

use std::io::Write;
use std::sync::Arc;

use crate::redact::Redactor;

#[derive(Clone)]
pub struct Progress {
    redactor: Arc<Redactor>,
    actions: bool,
}

impl Progress {
    pub fn new(redactor: Arc<Redactor>, actions: bool) -> Self {
        Progress { redactor, actions }
    }

    pub fn redactor(&self) -> &Arc<Redactor> {
        &self.redactor
    }

    pub fn info(&self, message: &str) {
        self.line(&format!("post-merge-smoke: {message}"));
    }

    pub fn warn(&self, message: &str) {
        if self.actions {
            self.line(&format!("::warning title=post-merge-smoke::{}", escape_data(message)));
        } else {
            self.line(&format!("post-merge-smoke: warning: {message}"));
        }
    }

    /// Writes one line as is (after masking); for annotations built by the caller.
    pub fn line(&self, line: &str) {
        // A closed stderr must not cost the envelope.
        let _ = writeln!(std::io::stderr(), "{}", self.redactor.str(line));
    }
}

/// Escapes a workflow command's message the way the runner unescapes it.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a workflow command's property value (`title=...`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
