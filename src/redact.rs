//! Secret values and their replacement by `***` in everything the tool writes.
//!
//! Which values count as secret is decided once, from the environment at start-up: the
//! value of `GITHUB_TOKEN`, of every `--redact-env` variable, and of every variable whose
//! name ends in `TOKEN`, `SECRET`, `PASSWORD` or `KEY`. Values shorter than
//! [`MIN_SECRET_LEN`] are ignored: replacing every `1` or `on` would wreck the envelope
//! and hide nothing worth hiding.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::LazyLock;

use memchr::memmem;
use serde_json::Value;

use crate::env::Environment;

pub const MASK: &str = "***";
pub const MIN_SECRET_LEN: usize = 4;
const SECRET_SUFFIXES: [&str; 4] = ["TOKEN", "SECRET", "PASSWORD", "KEY"];

#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so a secret that contains another is masked whole.
    secrets: Vec<Vec<u8>>,
}

impl Redactor {
    /// The secrets of a run: from the environment, the `--redact-env` variables, and the
    /// token given by flag (one in the environment is found by name already).
    pub fn for_run(env: &Environment, extra_names: &[String], flag_token: Option<&str>) -> Self {
        let flag = flag_token.map(|t| ("POST_MERGE_SMOKE_GITHUB_TOKEN".into(), t.trim().into()));
        let vars: Vec<(std::ffi::OsString, std::ffi::OsString)> =
            env.vars().iter().cloned().chain(flag).collect();
        Redactor::from_vars(vars, extra_names)
    }

    /// Collects secret values from `vars`.
    pub fn from_vars<I, K, V>(vars: I, extra_names: &[String]) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<std::ffi::OsStr>,
        V: AsRef<std::ffi::OsStr>,
    {
        let mut secrets: Vec<Vec<u8>> = vars
            .into_iter()
            .filter(|(name, _)| {
                let name = name.as_ref().to_string_lossy();
                is_secret_name(&name) || extra_names.iter().any(|n| n.as_str() == name)
            })
            .flat_map(|(_, value)| {
                let value = value.as_ref().as_encoded_bytes().to_vec();
                // Output is echoed line by line, so each line of a multi-line secret (a PEM
                // key) is a secret of its own, as the runner masks them.
                let lines: Vec<Vec<u8>> = value
                    .split(|b| *b == b'\n')
                    .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
                    .filter(|l| l.len() < value.len())
                    .collect();
                std::iter::once(value).chain(lines)
            })
            .filter(|v| v.len() >= MIN_SECRET_LEN)
            .collect();
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        secrets.dedup();
        Redactor { secrets }
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// The longest secret; a streaming caller keeps this many bytes minus one in hand so a
    /// secret split across two writes is still caught.
    pub fn longest(&self) -> usize {
        self.secrets.first().map_or(0, Vec::len)
    }

    pub fn bytes<'a>(&self, input: &'a [u8]) -> Cow<'a, [u8]> {
        let mut out: Cow<'a, [u8]> = Cow::Borrowed(input);
        for secret in &self.secrets {
            if memmem::find(&out, secret).is_none() {
                continue;
            }
            let mut replaced = Vec::with_capacity(out.len());
            let mut rest: &[u8] = &out;
            while let Some(at) = memmem::find(rest, secret) {
                replaced.extend_from_slice(&rest[..at]);
                replaced.extend_from_slice(MASK.as_bytes());
                rest = &rest[at + secret.len()..];
            }
            replaced.extend_from_slice(rest);
            out = Cow::Owned(replaced);
        }
        out
    }

    /// How many bytes at the end of `bytes` are the start of some secret (not all of it).
    pub fn partial_suffix(&self, bytes: &[u8]) -> usize {
        let mut longest = 0;
        for secret in &self.secrets {
            let window = (secret.len() - 1).min(bytes.len());
            let tail = &bytes[bytes.len() - window..];
            // Only positions holding the secret's first byte can start a partial match.
            for at in memchr::memchr_iter(secret[0], tail) {
                let rest = &tail[at..];
                if rest.len() > longest && secret.starts_with(rest) {
                    longest = rest.len();
                    break;
                }
            }
        }
        longest
    }

    pub fn str<'a>(&self, input: &'a str) -> Cow<'a, str> {
        match self.bytes(input.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(input),
            // Secrets are replaced whole, so the bytes stay valid UTF-8 unless a secret
            // itself was not; lossy is then the honest fallback.
            Cow::Owned(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
        }
    }

    /// Masks secrets in every string value of a JSON document. Keys are the document's
    /// own words, never secrets, and so is a value that is exactly a word of the
    /// envelope's vocabulary (`PASS`, `checked`, a reason code): masking those would only
    /// break the document, so a secret that happens to be such a word hides nothing.
    pub fn json(&self, value: &mut Value) {
        if self.is_empty() {
            return;
        }
        match value {
            Value::String(s) if !VOCABULARY.contains(s.as_str()) => {
                if let Cow::Owned(masked) = self.str(s) {
                    *s = masked;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.json(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.json(v)),
            Value::String(_) | Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

/// Masks one stream as it flows: bytes are passed on masked, except the end of what has
/// arrived when it could be the start of a secret, which waits for the next piece. So a
/// secret written in pieces, split by a read, or straddling where the capture will cut is
/// masked whole before anything sees it, and a line that cannot start a secret is not held.
#[derive(Debug)]
pub struct StreamMask {
    redactor: std::sync::Arc<Redactor>,
    held: Vec<u8>,
}

impl StreamMask {
    pub fn new(redactor: std::sync::Arc<Redactor>) -> Self {
        StreamMask { redactor, held: Vec::new() }
    }

    /// The masked bytes that are safe to pass on after `chunk`.
    pub fn push<'a>(&mut self, chunk: &'a [u8]) -> Cow<'a, [u8]> {
        if self.redactor.is_empty() {
            return Cow::Borrowed(chunk);
        }
        let masked: Cow<'a, [u8]> = if self.held.is_empty() {
            self.redactor.bytes(chunk)
        } else {
            let mut joined = std::mem::take(&mut self.held);
            joined.extend_from_slice(chunk);
            Cow::Owned(self.redactor.bytes(&joined).into_owned())
        };
        let keep = self.redactor.partial_suffix(&masked);
        if keep == 0 {
            return masked;
        }
        let cut = masked.len() - keep;
        self.held = masked[cut..].to_vec();
        match masked {
            Cow::Borrowed(bytes) => Cow::Borrowed(&bytes[..cut]),
            Cow::Owned(mut bytes) => {
                bytes.truncate(cut);
                Cow::Owned(bytes)
            }
        }
    }

    /// Bytes held back, now that nothing more comes: not a secret, since none completed.
    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.held)
    }

    /// Whether bytes are held back.
    pub fn holding(&self) -> bool {
        !self.held.is_empty()
    }
}

/// Every fixed word of the envelope: the `enum` and `const` values of its schema.
static VOCABULARY: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    fn collect(value: &Value, words: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    match (key.as_str(), v) {
                        ("enum", Value::Array(items)) => {
                            words.extend(items.iter().filter_map(Value::as_str).map(str::to_owned))
                        }
                        ("const", Value::String(word)) => {
                            words.insert(word.clone());
                        }
                        _ => collect(v, words),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| collect(v, words)),
            _ => {}
        }
    }
    let mut words = BTreeSet::new();
    collect(&crate::envelope::json_schema(), &mut words);
    words
});

pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper == "GITHUB_TOKEN" || SECRET_SUFFIXES.iter().any(|s| upper.ends_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor(vars: &[(&str, &str)], extra: &[&str]) -> Redactor {
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        Redactor::from_vars(vars.iter().copied(), &extra)
    }

    #[test]
    fn masks_by_name_suffix_and_explicit_names() {
        let r = redactor(
            &[
                ("GITHUB_TOKEN", "ghs_abc123"),
                ("DEPLOY_KEY", "k3y-value"),
                ("db_password", "hunter22"),
                ("MY_VAR", "plainvalue"),
                ("OTHER", "explicit-secret"),
            ],
            &["OTHER"],
        );
        let s = "ghs_abc123 k3y-value hunter22 plainvalue explicit-secret";
        assert_eq!(r.str(s), "*** *** *** plainvalue ***");
    }

    #[test]
    fn ignores_short_values_and_prefers_the_longest_secret() {
        let r = redactor(&[("A_TOKEN", "on"), ("B_TOKEN", "abcd"), ("C_TOKEN", "abcdef")], &[]);
        assert_eq!(r.str("on abcdef abcd"), "on *** ***");
    }

    #[test]
    fn masks_each_line_of_a_multi_line_secret() {
        let r = redactor(&[("TLS_KEY", "-----BEGIN KEY-----\r\nabcdefghijklmnop\n-----END KEY-----")], &[]);
        assert_eq!(r.str("line: abcdefghijklmnop\n-----END KEY-----\n"), "line: ***\n***\n");
    }

    fn stream(r: &Redactor, pieces: &[&[u8]]) -> Vec<u8> {
        let mut mask = StreamMask::new(std::sync::Arc::new(r.clone()));
        let mut out = Vec::new();
        for piece in pieces {
            out.extend_from_slice(&mask.push(piece));
        }
        out.extend(mask.finish());
        out
    }

    #[test]
    fn a_stream_masks_secrets_split_across_pieces_and_bytes_that_are_not_utf8() {
        use std::os::unix::ffi::OsStringExt;
        let vars = [
            ("A_TOKEN".into(), std::ffi::OsString::from("ghp_secret")),
            ("B_KEY".into(), std::ffi::OsString::from_vec(b"\xff\xfe-not-utf8".to_vec())),
        ];
        let r = Redactor::from_vars::<_, std::ffi::OsString, _>(vars, &[]);
        assert_eq!(stream(&r, &[b"x ghp_", b"sec", b"ret y\n"]), b"x *** y\n");
        assert_eq!(stream(&r, &[b"<\xff", b"\xfe-not", b"-utf8>"]), b"<***>");
        assert_eq!(stream(&r, &[b"g", b"h", b"p", b"_secre", b"t"]), b"***");
        // A start of a secret that never completes is passed on at the end, unmasked.
        assert_eq!(stream(&r, &[b"a ghp_sec"]), b"a ghp_sec");
        // Bytes that cannot start a secret are not held back.
        let mut mask = StreamMask::new(std::sync::Arc::new(r.clone()));
        assert_eq!(&*mask.push(b"running tests\n"), b"running tests\n");
        assert!(!mask.holding());
        assert_eq!(&*mask.push(b"...gh"), b"...");
        assert!(mask.holding());
    }

    #[test]
    fn masks_values_but_not_keys_in_json() {
        let r = redactor(&[("X_SECRET", "s3cr3t!")], &[]);
        let mut v = serde_json::json!({"a": ["x s3cr3t! y", 1, true], "s3cr3t!": null});
        r.json(&mut v);
        assert_eq!(v, serde_json::json!({"a": ["x *** y", 1, true], "s3cr3t!": null}));
    }

    #[test]
    fn a_secret_that_is_a_word_of_the_envelope_cannot_break_it() {
        assert!(VOCABULARY.contains("PASS") && VOCABULARY.contains("checked"));
        let r = redactor(&[("A_SECRET", "PASS"), ("B_SECRET", "status"), ("C_SECRET", "time")], &[]);
        let mut v = serde_json::json!({"status": "PASS", "reason": "PASS at time 3; status ok"});
        r.json(&mut v);
        assert_eq!(v, serde_json::json!({"status": "PASS", "reason": "*** at *** 3; *** ok"}));
    }
}
