//! The command line: usage errors, flags read from the environment, `--output`, and the
//! shipped JSON Schema (`schema` prints it; it has teeth).

use serde_json::json;

use crate::common::{Repo, bin, envelope, envelope_file, run_envelope, schema_errors, shipped_schema};

#[test]
fn usage_errors_exit_2_without_an_envelope() {
    let repo = Repo::new("init");
    let bad: [&[&str]; 6] = [
        &["--no-such-flag"],
        &["--timeout", "0"],
        &["--timeout", "soon"],
        &["--capture-bytes", "10"],
        &["--command", "true", "--", "true"],
        &["--remote", "--upload-pack=x"],
    ];
    for args in bad {
        let out = repo.run().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?} printed on stdout");
        assert!(!out.stderr.is_empty(), "{args:?} said nothing");
    }
    let out = bin().output().unwrap();
    assert_eq!(out.status.code(), Some(2), "no subcommand");
}

#[test]
fn every_flag_can_come_from_the_environment() {
    let repo = Repo::new("init");
    let out_file = repo.tmp.path().join("env-out/envelope.json");
    let (out, env) = run_envelope(
        repo.run()
            .env("POST_MERGE_SMOKE_COMMAND", "sleep 5")
            .env("POST_MERGE_SMOKE_TIMEOUT", "1")
            .env("POST_MERGE_SMOKE_KILL_GRACE", "0")
            .env("POST_MERGE_SMOKE_SKIP_STALE_CHECK", "true")
            .env("POST_MERGE_SMOKE_TASK_ID", "T-env")
            .env("POST_MERGE_SMOKE_OUTPUT", &out_file),
    );
    assert_eq!((env["status"].as_str(), out.status.code()), (Some("TIMEOUT"), Some(3)));
    assert_eq!(env["task_id"], "T-env");
    assert_eq!(env["stale_check"], "skipped");
    assert_eq!(envelope_file(&out_file), env);

    let (out, env) =
        run_envelope(repo.run().env("POST_MERGE_SMOKE_DRY_RUN", "true").arg("--skip-stale-check"));
    assert_eq!((env["status"].as_str(), out.status.code()), (Some("SKIPPED"), Some(0)));
    let (_, env) =
        run_envelope(repo.run().env("POST_MERGE_SMOKE_DRY_RUN", "false").arg("--skip-stale-check"));
    assert_eq!(env["status"], "BLOCKED", "`false` from the environment is false");
}

#[test]
fn empty_variables_count_as_unset() {
    // The composite action passes every input, and unset inputs arrive as empty strings.
    let repo = Repo::new("init");
    let (out, env) = run_envelope(
        repo.run()
            .env("POST_MERGE_SMOKE_TIMEOUT", "")
            .env("POST_MERGE_SMOKE_TASK_FILE", "")
            .env("POST_MERGE_SMOKE_DRY_RUN", "")
            .env("POST_MERGE_SMOKE_REDACT_ENV", "")
            .env("POST_MERGE_SMOKE_MERGE_COMMIT", "")
            .args(["--skip-stale-check", "--command", "true"]),
    );
    assert_eq!((env["status"].as_str(), out.status.code()), (Some("PASS"), Some(0)));
    assert_eq!(env["timeout_sec"], 600);
}

#[test]
fn output_writes_the_same_envelope_into_new_folders() {
    let repo = Repo::new("init");
    let path = repo.tmp.path().join("a/b/c/envelope.json");
    let out = repo
        .run()
        .args(["--skip-stale-check", "--command", "echo hi", "--output"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read(&path).unwrap(), out.stdout);
    assert_eq!(envelope_file(&path), envelope(&out));
    // No temporary files are left beside it.
    let names: Vec<_> =
        std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["envelope.json"]);
}

#[test]
fn an_output_path_that_cannot_be_written_is_a_warning_while_stdout_keeps_the_verdict() {
    let repo = Repo::new("init");
    let blocker = repo.tmp.path().join("file");
    std::fs::write(&blocker, "not a dir").unwrap();
    let out = repo
        .run()
        .args(["--skip-stale-check", "--command", "true", "--output"])
        .arg(blocker.join("envelope.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "the verdict's exit code stands");
    assert_eq!(envelope(&out)["status"], "PASS", "the envelope is still on stdout");
    assert!(String::from_utf8_lossy(&out.stderr).contains("writing the envelope to"));
}

#[test]
fn secrets_never_reach_the_envelope_or_stderr() {
    let repo = Repo::new("init");
    let path = repo.tmp.path().join("envelope.json");
    let out = repo
        .run()
        .env("GITHUB_TOKEN", "ghs_supersecretvalue")
        .env("DEPLOY_KEY", "deploy-key-value")
        .env("CUSTOM", "custom-secret-value")
        .args(["--skip-stale-check", "--redact-env", "CUSTOM", "--output"])
        .arg(&path)
        .args([
            "--command",
            "echo $GITHUB_TOKEN $DEPLOY_KEY; echo $CUSTOM >&2; echo ghs_supersecretvalue; exit 1",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let file = std::fs::read_to_string(&path).unwrap();
    for secret in ["ghs_supersecretvalue", "deploy-key-value", "custom-secret-value"] {
        for (name, text) in [("stdout", &*stdout), ("stderr", &*stderr), ("file", &*file)] {
            assert!(!text.contains(secret), "{secret} leaked into {name}");
        }
    }
    assert_eq!(envelope_file(&path), envelope(&out));
    let env = envelope(&out);
    // `$GITHUB_TOKEN`, the tool's token, is not given to the smoke; the literal is masked.
    assert_eq!(env["smoke_result"]["stdout_tail"], "***\n***\n");
    assert_eq!(env["escalation"]["evidence"]["stderr_tail"], "***\n");
}

#[test]
fn the_shipped_schema_matches_the_types() {
    let out = bin().arg("schema").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/envelope.v1.schema.json");
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        shipped == String::from_utf8_lossy(&out.stdout),
        "schema/envelope.v1.schema.json is out of date: run \
         `cargo run -q -- schema > schema/envelope.v1.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&shipped).unwrap();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    let required = schema["required"].as_array().unwrap();
    for field in ["schema_version", "merge_commit", "status", "smoke_result", "decision", "escalation", "ci"]
    {
        assert!(required.iter().any(|r| r == field), "{field} is not required by the schema");
    }
}

/// What is wrong, and how to make a good envelope so.
type Breakage = (&'static str, fn(&mut serde_json::Value));

#[test]
fn the_shipped_schema_rejects_what_the_contract_forbids() {
    // Every envelope the tests read is checked against the shipped schema; this shows the
    // check has teeth, and that fields which may be null are typed nullable.
    let validator = jsonschema::draft202012::new(&shipped_schema()).expect("a Draft 2020-12 schema");
    let repo = Repo::new("Fail (#3)");
    let (_, good) = run_envelope(repo.run().args(["--skip-stale-check", "--command", "exit 1"]));
    assert!(schema_errors(&validator, &good).is_empty());
    assert!(!good["escalation"].is_null() && good["main_head"].is_null(), "both kinds of value are seen");
    let broken: [Breakage; 6] = [
        ("an unknown status", |e| e["status"] = json!("GREEN")),
        ("a missing required field", |e| {
            e.as_object_mut().unwrap().remove("allow_continuation");
        }),
        ("a seventh smoke_result field", |e| e["smoke_result"]["extra"] = json!(1)),
        ("an unknown reason code", |e| e["decision"]["reason_codes"] = json!(["LOOKS_FINE"])),
        ("a null that is not nullable", |e| e["stale"] = json!(null)),
        ("a string for a number", |e| e["duration_ms"] = json!("1s")),
    ];
    for (what, break_it) in broken {
        let mut envelope = good.clone();
        break_it(&mut envelope);
        assert!(!schema_errors(&validator, &envelope).is_empty(), "{what} passed the schema");
    }
}

#[test]
fn exit_70_when_the_envelope_reaches_no_place() {
    let repo = Repo::new("init");
    let full = std::fs::File::create("/dev/full").expect("/dev/full");
    let blocker = repo.tmp.path().join("file");
    std::fs::write(&blocker, "not a dir").unwrap();
    let out = crate::common::bin_std()
        .current_dir(&repo.dir)
        .args(["run", "--skip-stale-check", "--command", "exit 1", "--output"])
        .arg(blocker.join("envelope.json"))
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(70));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: writing the envelope to stdout"), "{stderr}");
}

/// Every input and output of the action is in the docs' tables, so the two cannot drift
/// apart again (the inputs of three issues were once missing there).
#[test]
fn the_docs_list_every_input_and_output_of_the_action() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let action = std::fs::read_to_string(root.join("action.yml")).expect("action.yml");
    let docs = std::fs::read_to_string(root.join("docs/github-actions.md")).expect("docs");
    let mut section = "";
    let mut missing = Vec::new();
    for line in action.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            section = line.trim_end_matches(':');
            continue;
        }
        let name = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':'));
        if let Some(name) = name.filter(|n| !n.starts_with(' ') && matches!(section, "inputs" | "outputs"))
            && !docs.contains(&format!("| `{name}` |"))
        {
            missing.push(format!("{section}.{name}"));
        }
    }
    assert!(missing.is_empty(), "not in docs/github-actions.md: {missing:?}");
}
