//! Everything specific to running as a GitHub Actions step (contract section 6): the push
//! payload and what it says about the run, `$GITHUB_OUTPUT`, the step summary, the
//! `::error::` annotation, the runner files the smoke must not touch, and the glue that
//! writes them all from the redacted envelope.

mod annotation;
mod baseline;
mod event;
mod outputs;
mod publish;
mod summary;

pub use annotation::annotation;
pub use baseline::Baseline;
pub use event::{
    MergeGroupEvent, PayloadError, PushEvent, event_preflight, is_null_sha, read_merge_group_event,
    read_push_event,
};
pub use outputs::{ENVELOPE_TAIL_BYTES, envelope_output, format_output, step_outputs};
pub use publish::{Published, Written, publish};
pub use summary::{SUMMARY_LIMIT, summary};
