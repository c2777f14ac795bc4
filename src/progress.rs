//! Messages for people, on stderr, with secrets masked. Inside GitHub Actions warnings
//! become `::warning::` annotations, and no message can issue a workflow command: a
//! message is one line that starts with `post-merge-smoke:`, whatever text it quotes.

use std::io::Write;
use std::sync::Arc;

use crate::redact::Redactor;
use crate::text::one_line;

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

    /// Running as a GitHub Actions step.
    pub fn in_actions(&self) -> bool {
        self.actions
    }

    pub fn info(&self, message: &str) {
        self.line(&format!("post-merge-smoke: {}", self.quoted(message)));
    }

    pub fn warn(&self, message: &str) {
        if self.actions {
            self.line(&format!("::warning title=post-merge-smoke::{}", escape_data(message)));
        } else {
            self.line(&format!("post-merge-smoke: warning: {message}"));
        }
    }

    pub fn error(&self, message: &str) {
        self.line(&format!("post-merge-smoke: error: {}", self.quoted(message)));
    }

    /// Writes one line as is (after masking); for annotations built by the caller.
    pub fn line(&self, line: &str) {
        // A closed stderr must not cost the envelope.
        let _ = writeln!(std::io::stderr(), "{}", self.redactor.str(line));
    }

    /// Writes a `::stop-commands::` fence line unmasked: it holds nothing but the tool's
    /// own random token, and masking a secret such as `stop` in it would turn the fence
    /// into plain text and leave the smoke's output unfenced.
    pub fn fence(&self, line: &str) {
        let _ = writeln!(std::io::stderr(), "{line}");
    }

    /// Inside Actions a line break in quoted text would start a line the runner reads as
    /// a command; outside, a message may span lines.
    fn quoted<'a>(&self, message: &'a str) -> std::borrow::Cow<'a, str> {
        if self.actions { one_line(message) } else { message.into() }
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
