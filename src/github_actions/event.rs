//! The event that started the workflow, and whether it is a merge into main at all.
//!
//! Only a `push` is judged here; every other event (`workflow_dispatch`, `merge_group`,
//! `schedule`, ...) gets no preflight and the run goes on as it would outside Actions,
//! because those are deliberate runs against whatever commit was checked out.
//!
//! For a `push`, the payload at `GITHUB_EVENT_PATH` decides, in this order:
//! - missing, unreadable, not JSON, or without `ref`/`before`/`after`: BLOCKED,
//!   `EVENT_PAYLOAD_INVALID`. A gate that cannot tell what happened fails closed.
//! - its `ref` disagrees with `GITHUB_REF`: BLOCKED, `EVENT_PAYLOAD_INVALID` (the file is
//!   not this run's payload).
//! - a tag (or any ref outside `refs/heads/`): SKIPPED, `NOT_A_MERGE_PUSH`. Nothing merged.
//! - a branch deletion (`deleted: true` or `after` all zeros): SKIPPED for any branch but
//!   main; for main itself BLOCKED, since there is no merge commit to judge and follow-on
//!   merges into a deleted main must not go on as if it were green.
//! - a branch other than the main branch: SKIPPED, `NOT_A_MERGE_PUSH`.
//! - a push to main, force pushes and main's creation included: no preflight; the smoke
//!   runs against the new head like any merge.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::envelope::ReasonCode;
use crate::facts::{Preflight, PreflightOutcome};
use crate::git::is_object_id;

/// The fields of a push payload this tool uses; the rest of the payload is ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushEvent {
    /// `refs/heads/<branch>` or `refs/tags/<tag>`.
    pub git_ref: String,
    /// Where the ref pointed before the push; all zeros when the push created it.
    pub before: String,
    /// Where the ref points now; all zeros when the push deleted it.
    pub after: String,
    pub created: bool,
    pub deleted: bool,
    pub forced: bool,
    /// The pushed head commit; null on deletions.
    pub head_commit: Option<HeadCommit>,
}

/// Recorded as GitHub sent it; no decision rests on it, so its fields are optional.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(expecting = "`head_commit` as GitHub sends it: a JSON object with `id` and `message`, or null")]
pub struct HeadCommit {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

impl PushEvent {
    /// The push removed the ref.
    pub fn is_deletion(&self) -> bool {
        self.deleted || is_null_sha(&self.after)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("`GITHUB_EVENT_PATH` is not set, so the event payload cannot be read")]
    NotSet,
    #[error("the push event payload cannot be read: {0}")]
    Read(crate::bounded_read::ReadError),
    #[error("the push event payload `{path}` is not a push event: {source}")]
    Json { path: PathBuf, source: serde_json::Error },
    #[error("the push event payload `{path}` {problem}")]
    Shape { path: PathBuf, problem: String },
}

/// The payload exactly as GitHub writes it; every field optional so a missing one gets a
/// message that names it instead of serde's generic one. `expecting` keeps the Rust type
/// out of the message when the document is not an object at all.
#[derive(Deserialize)]
#[serde(expecting = "a push event payload: a JSON object with `ref`, `before`, `after`, `created`, \
                     `deleted`, `forced` and `head_commit`")]
struct RawPush {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    before: Option<String>,
    after: Option<String>,
    #[serde(default)]
    created: Option<bool>,
    #[serde(default)]
    deleted: Option<bool>,
    #[serde(default)]
    forced: Option<bool>,
    #[serde(default)]
    head_commit: Option<HeadCommit>,
}

/// Reads and checks the push payload at `path` (`GITHUB_EVENT_PATH`).
pub fn read_push_event(path: Option<&Path>) -> Result<PushEvent, PayloadError> {
    let path = path.ok_or(PayloadError::NotSet)?;
    let bytes =
        crate::bounded_read::read(path, crate::bounded_read::EVENT_CAP).map_err(PayloadError::Read)?;
    let raw: RawPush = serde_json::from_slice(&bytes)
        .map_err(|source| PayloadError::Json { path: path.to_owned(), source })?;
    let shape = |problem: String| PayloadError::Shape { path: path.to_owned(), problem };
    let git_ref = raw.git_ref.filter(|r| !r.is_empty()).ok_or_else(|| shape("has no `ref`".to_owned()))?;
    let commit = |name: &str, value: Option<String>| -> Result<String, PayloadError> {
        let value = value.ok_or_else(|| shape(format!("has no `{name}`")))?;
        if is_object_id(&value) {
            Ok(value)
        } else {
            Err(shape(format!("has `{name}` = `{}`, which is not a commit id", value.escape_debug())))
        }
    };
    let before = commit("before", raw.before)?;
    let after = commit("after", raw.after)?;
    Ok(PushEvent {
        git_ref,
        before,
        after,
        created: raw.created.unwrap_or(false),
        deleted: raw.deleted.unwrap_or(false),
        forced: raw.forced.unwrap_or(false),
        head_commit: raw.head_commit,
    })
}

/// A merge queue's `merge_group` event: the commit the queue tests and the branch it
/// would merge into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeGroupEvent {
    pub head_sha: String,
    /// `refs/heads/main`.
    pub base_ref: String,
}

impl MergeGroupEvent {
    /// The branch the queue merges into.
    pub fn base_branch(&self) -> &str {
        self.base_ref.strip_prefix("refs/heads/").unwrap_or(&self.base_ref)
    }
}

/// Reads the `merge_group` payload at `path`.
pub fn read_merge_group_event(path: Option<&Path>) -> Result<MergeGroupEvent, PayloadError> {
    #[derive(Deserialize)]
    #[serde(expecting = "a merge_group event payload: a JSON object with `merge_group`")]
    struct Raw {
        merge_group: Option<RawGroup>,
    }
    #[derive(Deserialize)]
    #[serde(expecting = "`merge_group` as GitHub sends it: an object with `head_sha` and `base_ref`")]
    struct RawGroup {
        head_sha: Option<String>,
        base_ref: Option<String>,
    }
    let path = path.ok_or(PayloadError::NotSet)?;
    let bytes =
        crate::bounded_read::read(path, crate::bounded_read::EVENT_CAP).map_err(PayloadError::Read)?;
    let raw: Raw = serde_json::from_slice(&bytes)
        .map_err(|source| PayloadError::Json { path: path.to_owned(), source })?;
    let shape = |problem: &str| PayloadError::Shape { path: path.to_owned(), problem: problem.to_owned() };
    let group = raw.merge_group.ok_or_else(|| shape("has no `merge_group`"))?;
    let head_sha = group
        .head_sha
        .filter(|s| is_object_id(s))
        .ok_or_else(|| shape("has no commit id in `merge_group.head_sha`"))?;
    let base_ref =
        group.base_ref.filter(|r| !r.is_empty()).ok_or_else(|| shape("has no `merge_group.base_ref`"))?;
    Ok(MergeGroupEvent { head_sha, base_ref })
}

/// What the event says about this run before anything is checked or started; `None` when
/// the run should go on. `push` is the loaded payload, present only for `push` events.
pub fn event_preflight(
    event_name: &str,
    github_ref: Option<&str>,
    main_branch: &str,
    push: Option<&Result<PushEvent, PayloadError>>,
) -> Option<Preflight> {
    if event_name != "push" {
        return None;
    }
    let skip = |reason: String| Preflight {
        outcome: PreflightOutcome::Skip,
        code: ReasonCode::NotAMergePush,
        reason,
    };
    let block = |code, reason: String| Preflight { outcome: PreflightOutcome::Block, code, reason };
    let push = match push {
        Some(Ok(push)) => push,
        Some(Err(e)) => return Some(block(ReasonCode::EventPayloadInvalid, e.to_string())),
        None => return Some(block(ReasonCode::EventPayloadInvalid, PayloadError::NotSet.to_string())),
    };
    if let Some(github_ref) = github_ref.filter(|r| *r != push.git_ref) {
        return Some(block(
            ReasonCode::EventPayloadInvalid,
            format!(
                "the push event payload is for `{}` but `GITHUB_REF` is `{github_ref}`; it is not this run's payload",
                push.git_ref
            ),
        ));
    }
    let Some(branch) = push.git_ref.strip_prefix("refs/heads/") else {
        let what = if push.git_ref.starts_with("refs/tags/") { "a tag push" } else { "a push" };
        return Some(skip(format!("{what} (`{}`) is not a merge into `{main_branch}`", push.git_ref)));
    };
    if push.is_deletion() {
        if branch == main_branch {
            return Some(block(
                ReasonCode::NotAMergePush,
                format!(
                    "the push deleted the main branch `{main_branch}`; there is no merge commit to judge"
                ),
            ));
        }
        return Some(skip(format!(
            "the push deleted branch `{branch}`; that is not a merge into `{main_branch}`"
        )));
    }
    if branch != main_branch {
        return Some(skip(format!(
            "a push to `{branch}` is not a merge into the main branch `{main_branch}`"
        )));
    }
    None
}

/// `0000…0000`: git's name for "no commit" in a push's `before`/`after`.
pub fn is_null_sha(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b == b'0')
}

#[cfg(test)]
mod tests {
    use super::*;
    use PreflightOutcome::{Block, Skip};
    use ReasonCode::{EventPayloadInvalid, NotAMergePush};

    const ZERO: &str = "0000000000000000000000000000000000000000";
    const A: &str = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";

    fn push(git_ref: &str, before: &str, after: &str, deleted: bool) -> PushEvent {
        PushEvent {
            git_ref: git_ref.to_owned(),
            before: before.to_owned(),
            after: after.to_owned(),
            created: is_null_sha(before),
            deleted,
            forced: false,
            head_commit: None,
        }
    }

    fn outcome(pre: Option<Preflight>) -> Option<(PreflightOutcome, ReasonCode)> {
        pre.map(|p| (p.outcome, p.code))
    }

    #[test]
    fn decides_each_kind_of_push() {
        #[rustfmt::skip]
        let rows: Vec<(PushEvent, Option<(PreflightOutcome, ReasonCode)>)> = vec![
            (push("refs/heads/main", A, A, false), None),
            (push("refs/heads/main", ZERO, A, false), None),
            (push("refs/tags/v1.0.0", ZERO, A, false), Some((Skip, NotAMergePush))),
            (push("refs/tags/v1.0.0", A, ZERO, true), Some((Skip, NotAMergePush))),
            (push("refs/heads/feature", A, ZERO, true), Some((Skip, NotAMergePush))),
            // `after` all zeros is a deletion even when `deleted` is missing.
            (push("refs/heads/feature", A, ZERO, false), Some((Skip, NotAMergePush))),
            (push("refs/heads/main", A, ZERO, true), Some((Block, NotAMergePush))),
            (push("refs/heads/feature", A, A, false), Some((Skip, NotAMergePush))),
            (push("refs/pull/1/merge", A, A, false), Some((Skip, NotAMergePush))),
        ];
        for (event, want) in rows {
            let loaded = Ok(event.clone());
            let got = event_preflight("push", Some(&event.git_ref), "main", Some(&loaded));
            assert_eq!(outcome(got), want, "{event:?}");
        }
    }

    #[test]
    fn other_events_get_no_preflight_even_without_a_payload() {
        for name in ["workflow_dispatch", "merge_group", "schedule", "pull_request"] {
            assert_eq!(event_preflight(name, Some("refs/heads/main"), "main", None), None);
        }
    }

    #[test]
    fn a_push_without_a_usable_payload_is_blocked() {
        let got = event_preflight("push", Some("refs/heads/main"), "main", None);
        assert_eq!(outcome(got), Some((Block, EventPayloadInvalid)));
        let err = Err(PayloadError::Shape { path: "/e.json".into(), problem: "has no `after`".into() });
        let got = event_preflight("push", Some("refs/heads/main"), "main", Some(&err)).expect("blocked");
        assert_eq!(got.code, EventPayloadInvalid);
        assert_eq!(got.reason, "the push event payload `/e.json` has no `after`");
    }

    #[test]
    fn a_payload_for_another_ref_is_blocked() {
        let loaded = Ok(push("refs/heads/main", A, A, false));
        let got = event_preflight("push", Some("refs/heads/other"), "main", Some(&loaded)).expect("blocked");
        assert_eq!((got.outcome, got.code), (Block, EventPayloadInvalid));
        assert!(got.reason.contains("`refs/heads/other`"), "{}", got.reason);
    }

    #[test]
    fn reads_payloads_and_names_what_is_wrong() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write");
            path
        };
        let good = file(
            "good.json",
            &format!(
                r#"{{"ref":"refs/heads/main","before":"{A}","after":"{A}","forced":true,"head_commit":{{"id":"{A}","message":"m"}}}}"#
            ),
        );
        let event = read_push_event(Some(&good)).expect("parses");
        assert!(event.forced && !event.created && !event.deleted);
        assert_eq!(event.head_commit.and_then(|c| c.id), Some(A.to_owned()));

        let err = |path: &Path| read_push_event(Some(path)).expect_err("invalid").to_string();
        assert!(err(&file("bad.json", "{\"ref\": ")).contains("bad.json` is not a push event"));
        let list = err(&file("list.json", "[]"));
        assert!(list.contains("is not a push event"), "{list}");
        assert!(
            list.contains("expected a push event payload: a JSON object with `ref`, `before`, `after`"),
            "{list}"
        );
        assert!(!list.contains("RawPush") && !list.contains("struct"), "{list}");
        let head = err(&file(
            "head.json",
            &format!(r#"{{"ref":"refs/heads/main","before":"{A}","after":"{A}","head_commit":"{A}"}}"#),
        ));
        assert!(head.contains("expected `head_commit` as GitHub sends it: a JSON object"), "{head}");
        assert!(!head.contains("HeadCommit"), "{head}");
        assert!(
            err(&file("noafter.json", &format!(r#"{{"ref":"refs/heads/main","before":"{A}"}}"#)))
                .ends_with("has no `after`")
        );
        assert!(
            err(&file("short.json", r#"{"ref":"refs/heads/main","before":"abc","after":"abc"}"#))
                .contains("`before` = `abc`")
        );
        assert!(
            err(&file("noref.json", &format!(r#"{{"before":"{A}","after":"{A}"}}"#)))
                .ends_with("has no `ref`")
        );
        assert!(err(&dir.path().join("missing.json")).contains("cannot be read"));
        assert!(err(Path::new("/dev/zero")).contains("is a device, not a regular file"));
        assert!(matches!(read_push_event(None), Err(PayloadError::NotSet)));
    }

    #[test]
    fn null_sha() {
        assert!(is_null_sha(ZERO));
        assert!(!is_null_sha(A));
        assert!(!is_null_sha(""));
    }
}
