//! The process engine: spawn the smoke in its own group, capture bounded output, enforce
//! the timeout, and end the whole tree however the run ends.

mod capture;
mod drain;
mod echo;
mod engine;
pub mod launch;
mod pace;
mod tree;

pub use capture::{BoundedCapture, MIN_CAPTURE_BYTES};
pub use echo::Echo;
pub use engine::{Ending, LEAK_TIMEOUT, Outcome, Spec, run};
pub use tree::become_subreaper;
