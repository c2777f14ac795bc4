#!/usr/bin/env python3
"""Checks the GitHub API traffic the integration tests recorded against GitHub's own REST
description (npm `@octokit/openapi`, `generated/*.deref.json`, installed by
scripts/check-openapi.sh).

The fake GitHub of the tests (tests/integration/github/fake.rs) writes JSON lines to
`<target>/tmp/api-traffic/`: every request the binary sent (`"kind": "request"`, with the
answer it got) and every answer a test mounted (`"kind": "answer"`). Each request must be a
documented operation (method and templated path, path parameters of the documented type),
use only documented query parameters with allowed values, and send a body that its
`requestBody` schema accepts. Each answer must be documented for its status code and its
body accepted by that response schema: 2xx always; error statuses where GitHub documents
them (others, such as 502 or 429, are counted and not checked). Objects may carry only
documented properties, in both directions. No traffic at all is a failure.

Needs `jsonschema` (PyPI). Exits 1 on any mismatch, 2 on a usage or setup error.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import sys
import urllib.parse
from collections import Counter

try:
    from jsonschema import Draft202012Validator
except ImportError:
    sys.exit("check-api-traffic: needs `jsonschema` (PyPI); run scripts/check-openapi.sh, which installs it")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PACKAGE = os.path.join(ROOT, ".tools/openapi/node_modules/@octokit/openapi")
DEFAULT_TRAFFIC = os.path.join(os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"), "tmp/api-traffic")


def json_schema(s: object, strict: bool, in_all_of: bool = False) -> object:
    """An OpenAPI 3.0 schema as JSON Schema 2020-12: `nullable` becomes a null type, and
    with `strict` every object schema is closed to undocumented properties (at the level
    that sees all its `allOf` parts, so the parts do not reject each other's fields)."""
    if isinstance(s, list):
        return [json_schema(x, strict) for x in s]
    if not isinstance(s, dict):
        return s
    out: dict = {}
    for key, value in s.items():
        if key in ("properties", "patternProperties", "$defs"):
            out[key] = {k: json_schema(v, strict) for k, v in value.items()}
        elif key == "allOf":
            out[key] = [json_schema(x, strict, in_all_of=True) for x in value]
        elif key in ("items", "additionalProperties", "not", "anyOf", "oneOf"):
            out[key] = json_schema(value, strict)
        elif key not in ("nullable", "example", "discriminator", "xml", "externalDocs"):
            out[key] = value
    composed = "allOf" in out or "anyOf" in out or "oneOf" in out
    # anyOf/oneOf alternatives are closed each on their own; allOf parts only together.
    if strict and not in_all_of and ("properties" in out or "allOf" in out) and "additionalProperties" not in out:
        out["unevaluatedProperties"] = False
    if s.get("nullable"):
        if isinstance(out.get("type"), str) and not composed:
            out["type"] = [out["type"], "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = out["enum"] + [None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


class Spec:
    """One description: its operations by method, looked up by concrete path."""

    def __init__(self, path: str, strict: bool) -> None:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        self.name = os.path.basename(path)
        self.strict = strict
        self.templates = [(t, t.strip("/").split("/"), item) for t, item in doc["paths"].items()]
        self.validators: dict[tuple, Draft202012Validator] = {}

    def operation(self, method: str, path: str) -> tuple[str, dict, dict[str, str]] | None:
        """(template, operation, path parameters) of the most specific documented template."""
        segments = path.strip("/").split("/")
        best = None
        for template, parts, item in self.templates:
            if len(parts) != len(segments) or method.lower() not in item:
                continue
            params, literal = {}, 0
            for part, seg in zip(parts, segments):
                hole = re.fullmatch(r"\{([^}]+)\}", part)
                if hole and seg:
                    params[hole.group(1)] = urllib.parse.unquote(seg)
                elif part == seg:
                    literal += 1
                else:
                    break
            else:
                if best is None or literal > best[0]:
                    best = (literal, template, item[method.lower()], params)
        return best[1:] if best else None

    def validator(self, key: tuple, schema: dict) -> Draft202012Validator:
        if key not in self.validators:
            self.validators[key] = Draft202012Validator(json_schema(schema, self.strict))
        return self.validators[key]


def problems(validator: Draft202012Validator, instance: object, limit: int = 4) -> list[str]:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    out = [f"{e.json_path}: {e.message[:300]}" for e in errors[:limit]]
    if len(errors) > limit:
        out.append(f"... and {len(errors) - limit} more")
    return out


def parameter_value(schema: dict, raw: str) -> object:
    """A path or query string as the JSON value its parameter schema describes."""
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if "integer" in types and re.fullmatch(r"-?\d+", raw):
        return int(raw)
    if "boolean" in types and raw in ("true", "false"):
        return raw == "true"
    if "array" in types:
        return raw.split(",")
    return raw


def check_parameters(spec: Spec, key: str, op: dict, where: str, given: list[tuple[str, str]]) -> list[str]:
    documented = {p["name"]: p for p in op.get("parameters", []) if p["in"] == where}
    errors = []
    for name, raw in given:
        if name not in documented:
            errors.append(f"{where} parameter `{name}` is not documented (documented: {', '.join(sorted(documented)) or 'none'})")
            continue
        schema = documented[name].get("schema", {})
        for p in problems(spec.validator((key, where, name), schema), parameter_value(schema, raw)):
            errors.append(f"{where} parameter `{name}={raw}`: {p}")
    return errors


def check_request(spec: Spec, rec: dict) -> tuple[str | None, list[str]]:
    method, path = rec["method"], rec["path"]
    found = spec.operation(method, path)
    if found is None:
        return None, [f"{method} {path} is no documented operation"]
    template, op, path_params = found
    key = f"{method} {template}"
    errors = check_parameters(spec, key, op, "path", list(path_params.items()))
    query = urllib.parse.parse_qsl(rec.get("query") or "", keep_blank_values=True)
    errors += check_parameters(spec, key, op, "query", query)
    content = op.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    if rec.get("body_text") is not None:
        errors.append("the request body is not JSON")
    elif rec.get("body") is not None:
        if schema is None:
            errors.append(f"sends a body, but the operation takes none (it takes {sorted(content) or 'nothing'})")
        else:
            errors += [f"request body {p}" for p in problems(spec.validator((key, "body"), schema), rec["body"])]
    elif op.get("requestBody", {}).get("required"):
        errors.append("sends no body, but the operation requires one")
    return key, errors


def check_answer(spec: Spec, method: str, path: str, answer: dict, skipped: Counter) -> list[str]:
    found = spec.operation(method, path)
    if found is None:
        return [f"answers {method} {path}, which is no documented operation"]
    template, op, _ = found
    status = str(answer["status"])
    documented = op.get("responses", {})
    if status not in documented:
        if status.startswith("2"):
            return [f"answers {status}, which {method} {template} does not document (it has {', '.join(documented)})"]
        skipped[f"{method} {template} {status}"] += 1
        return []
    schema = documented[status].get("content", {}).get("application/json", {}).get("schema")
    body, text = answer.get("body"), answer.get("text")
    if schema is None:
        return [f"answers {status} with a body, which is documented without one"] if body is not None or text else []
    if body is None:
        return [f"answers {status} without a JSON body; GitHub documents one"]
    validator = spec.validator((f"{method} {template}", status), schema)
    return [f"answer {status} {p}" for p in problems(validator, body)]


def load(directory: str) -> list[tuple[str, dict]]:
    records = []
    for file in sorted(glob.glob(os.path.join(directory, "*.jsonl"))):
        with open(file, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if line.strip():
                    records.append((f"{os.path.basename(file)}:{n}", json.loads(line)))
    return records


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--package", default=DEFAULT_PACKAGE, help="the installed @octokit/openapi folder")
    ap.add_argument("--traffic", default=DEFAULT_TRAFFIC, help="the folder of recorded *.jsonl files")
    ap.add_argument("--ghes", action="store_true", help="also check the requests against the oldest GHES description")
    ap.add_argument("--lenient", action="store_true", help="allow undocumented object properties")
    args = ap.parse_args()

    main_path = os.path.join(args.package, "generated/api.github.com.deref.json")
    if not os.path.exists(main_path):
        print(f"check-api-traffic: {main_path} not found; run scripts/check-openapi.sh", file=sys.stderr)
        return 2
    records = load(args.traffic)
    requests = [(w, r) for w, r in records if r.get("kind") == "request"]
    answers = [(w, r) for w, r in records if r.get("kind") == "answer"]
    if not requests:
        print(f"check-api-traffic: no requests recorded in {args.traffic}; run the integration tests first",
              file=sys.stderr)
        return 1

    specs = [Spec(main_path, not args.lenient)]
    if args.ghes:
        ghes = sorted(glob.glob(os.path.join(args.package, "generated/ghes-*.deref.json")),
                      key=lambda p: [int(x) for x in re.findall(r"\d+", os.path.basename(p))])
        specs += [Spec(ghes[0], not args.lenient)] if ghes else []
    with open(os.path.join(args.package, "package.json"), encoding="utf-8") as fh:
        version = json.load(fh)["version"]

    errors: list[str] = []
    covered: Counter = Counter()
    skipped: Counter = Counter()
    seen_answers: set[str] = set()

    def fail(where: str, rec: dict, messages: list[str], spec: Spec) -> None:
        label = f"{where} ({rec.get('test', '?')}) [{spec.name}] {rec['method']} {rec['path']}"
        errors.extend(f"{label}: {m}" for m in messages)

    for where, rec in requests:
        for spec in specs:
            key, messages = check_request(spec, rec)
            fail(where, rec, messages, spec)
            if spec is specs[0] and key:
                covered[key] += 1
        served = rec.get("answer") or {}
        if rec.get("own_answer"):
            continue  # the fake's own answer (nothing mounted, a forbidden request); the request is checked
        answers.append((where, {**served, "method": rec["method"], "path": rec["path"], "test": rec.get("test")}))

    checked = 0
    for where, rec in answers:
        fingerprint = json.dumps([rec["method"], rec["path"], rec["status"], rec.get("body"), rec.get("text")])
        if fingerprint in seen_answers:
            continue
        seen_answers.add(fingerprint)
        checked += 1
        fail(where, rec, check_answer(specs[0], rec["method"], rec["path"], rec, skipped), specs[0])

    print(f"@octokit/openapi {version}: {', '.join(s.name for s in specs)}; traffic from {args.traffic}")
    for key, n in sorted(covered.items(), key=lambda kv: kv[0].split(" ", 1)[::-1]):
        print(f"  {n:4}x {key}")
    own = sum(1 for _, r in requests if r.get("own_answer"))
    print(f"{len(requests)} requests ({own} answered by the fake's own 404), {len(covered)} operations covered, "
          f"{checked} distinct answers checked")
    if skipped:
        print(f"not checked, as GitHub documents no such answer: {', '.join(sorted(skipped))}")
    if errors:
        print(f"\n{len(errors)} mismatch(es):")
        for e in errors:
            print(f"  {e}")
        return 1
    print("OK: every recorded request and answer matches GitHub's description")
    return 0


if __name__ == "__main__":
    sys.exit(main())
