//! Statuses, exit codes and the envelope for the plain cases of the contract.

use crate::common::{Repo, run_envelope};

#[test]
fn passing_smoke_is_pass_and_allows_continuation() {
    let repo = Repo::with_origin("Add feature (#41)");
    let (out, env) = run_envelope(repo.run().args(["--command", "echo smoke-ok"]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(env["status"], "PASS");
    assert_eq!(env["allow_continuation"], true);
    assert_eq!(env["stale_check"], "checked");
    assert_eq!(env["main_head"], repo.head());
    assert_eq!(env["merge_commit"], repo.head());
    assert_eq!(env["task_id"], "#41");
    assert_eq!(env["smoke_result"]["stdout_tail"], "smoke-ok\n");
    assert_eq!(env["escalation"], serde_json::Value::Null);
}
