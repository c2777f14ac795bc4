//! `post-merge-smoke schema`: prints the envelope's JSON Schema, the one shipped as
//! `schema/envelope.v1.schema.json`.

use std::io::Write;

use crate::{envelope, exit_codes};

pub fn execute() -> i32 {
    let text = serde_json::to_string_pretty(&envelope::json_schema()).unwrap_or_default();
    match writeln!(std::io::stdout(), "{text}") {
        Ok(()) => exit_codes::OK,
        Err(_) => exit_codes::INTERNAL,
    }
}
