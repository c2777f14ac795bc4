//! "On a smoke that fails half the time, a FAIL needs three failing runs in a row", shown
//! without chance: every sequence of three pass/fail outcomes is scripted once, and only the
//! one that fails three times is called FAIL. With the default two retries, each sequence is
//! equally likely for such a smoke, so it is called FAIL with probability 1/8.

use super::project::{codes, scripted, statuses};
use crate::common::{Repo, run_envelope};

#[test]
fn with_two_retries_only_three_failures_in_a_row_are_a_fail() {
    let mut fails = Vec::new();
    for bits in 0..8u8 {
        // Bit k set: run k+1 fails. A fresh repository, so each sequence has its own counter.
        let outcomes: Vec<&str> = (0..3).map(|k| if bits >> k & 1 == 1 { "F" } else { "P" }).collect();
        let repo = Repo::new("init");
        let (out, env) = run_envelope(&mut scripted(&repo, &outcomes.join(" ")));
        let ran = outcomes.iter().position(|o| *o == "P").map_or(3, |pass| pass + 1);
        assert_eq!(statuses(&env).len(), ran, "{outcomes:?}: runs until the first pass, at most 3");
        match env["status"].as_str() {
            Some("FAIL") => {
                assert_eq!(out.status.code(), Some(1));
                fails.push(outcomes.join(""));
            }
            Some("PASS") => {
                assert_eq!(out.status.code(), Some(0));
                assert_eq!(env["flaky"], ran > 1, "{outcomes:?}");
                assert_eq!(codes(&env).contains(&"SMOKE_FLAKY"), ran > 1, "{outcomes:?}");
            }
            other => panic!("{outcomes:?}: unexpected status {other:?}"),
        }
    }
    assert_eq!(fails, ["FFF"], "1 sequence in 8 is called FAIL");
}

#[test]
fn three_failures_in_a_row_are_a_confirmed_fail_naming_the_last_attempt() {
    let repo = Repo::new("init");
    let (_, env) = run_envelope(&mut scripted(&repo, "F F F P"));
    assert_eq!(env["status"], "FAIL");
    assert_eq!(statuses(&env), ["FAIL", "FAIL", "FAIL"]);
    // The deciding attempt is the last one: its output is the result's.
    assert!(env["smoke_result"]["stdout_tail"].as_str().is_some_and(|s| s.contains("run 3 failed")));
    assert_eq!(env["failures"]["tests"][0]["message"], "run 3 failed");
}
