//! Which tests failed in a smoke run (contract section 8): read from the JUnit/XUnit reports
//! the smoke wrote, else picked out of what the common test runners print, and matched
//! against the registry's quarantine patterns. A pure library: it knows nothing of the
//! command line, the envelope or retries; the retry and confirmation logic calls it after
//! each attempt and decides what the lists mean.

mod failed_test;
mod find;
mod junit;
mod output;
mod quarantine;
mod reports;
#[cfg(test)]
mod tests;

pub use failed_test::{FailedTest, MESSAGE_CAP, Source};
pub use find::{Found, find};
pub use junit::{JunitError, from_junit};
pub use output::from_output;
pub use quarantine::Quarantine;
pub use reports::{Collected, collect_junit};
