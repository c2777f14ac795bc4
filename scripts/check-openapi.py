#!/usr/bin/env python3
"""Checks the GitHub REST calls of src/github_api/ and the answers our tests serve against
GitHub's own OpenAPI description (npm `@octokit/openapi`, installed by check-openapi.sh).

1. Endpoints: every `api.get/get_all/post/patch` call in src/ is found, its path rebuilt
   from `repo_path(...)` / `format!(...)`, and looked up (method + path template, parameter
   names ignored) in the description's `paths`; literal query parameters must be
   documented ones, with allowed values.
2. Request bodies: every field of the `json!({...})` a post/patch sends must be a property
   of the operation's request body schema, of a compatible type, enum values allowed
   (Rust enums are read from the source), and every required property must be sent.
3. Responses: the type each call decodes into (turbofish, `let x: T =`, or the function's
   return type) is walked through the `#[derive(Deserialize)]` structs of src/github_api/
   and checked against the operation's 2xx response schema: each field documented, JSON
   type compatible, and null/absence only where the Rust type allows it. FIELDS below is
   the reviewed table of those structs; it must equal what the source declares.
4. Test answers: every 2xx `set_body_json(...)` in tests/integration/github_api.rs,
   tests/integration/api_fallbacks.rs (and the unit tests of src/github_api/) is rebuilt
   from its `json!` (helpers such as `pull(...)` inlined), matched to the operation of its
   mock's method and path, and each served field must be documented there, with a
   compatible type and an allowed enum value.

Python 3.11 standard library only. Exits 1 on any mismatch, 2 on a usage/setup error.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import sys
from dataclasses import dataclass, field

ROOT = os.environ.get("CHECK_OPENAPI_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PKG = os.path.join(ROOT, ".tools/openapi/node_modules/@octokit/openapi")
SRC_GLOB = "src/github_api/*.rs"
ALL_SRC_GLOB = "src/**/*.rs"
TEST_FILES = ["tests/integration/github_api.rs", "tests/integration/api_fallbacks.rs"]

# The reviewed table of what we decode: struct -> {JSON field: Rust type}. The script
# fails when src/ declares something else, so a rename or a new field is looked at here.
FIELDS: dict[str, dict[str, str]] = {
    "PullRequest": {
        "number": "u64",
        "title": "Option<String>",
        "html_url": "Option<String>",
        "user": "Option<User>",
        "merged_at": "Option<String>",
        "merge_commit_sha": "Option<String>",
        "head": "CommitRef",
        "base": "CommitRef",
    },
    "User": {"login": "String"},
    "CommitRef": {"sha": "String", "ref": "String"},
    "Combined": {"statuses": "Vec<Entry>"},
    "Entry": {
        "context": "String",
        "state": "State",
        "description": "Option<String>",
        "target_url": "Option<String>",
    },
    "Comparison": {"files": "Vec<File>"},
    "File": {"filename": "String", "previous_filename": "Option<String>"},
    "Branch": {"commit": "Commit"},
    "Commit": {"sha": "String"},
    "Issue": {"number": "u64", "body": "Option<String>", "pull_request": "Option<serde_json::Value>"},
    "Comment": {"body": "Option<String>"},
}

# The JSON type of each expression a request body carries: "string", "array<string>", or
# "enum:<Rust enum>" (its serialized values are read from the source). A new expression
# fails the check until its type is written here.
BODY_EXPRESSIONS: dict[str, str] = {
    "status.state": "enum:State",
    "status.context": "string",
    "cut(status.description, MAX_DESCRIPTION)": "string",
    "url": "string",
    "t.redactor.str(&title)": "string",
    "t.redactor.str(&issue_text::body(envelope, packet, t.branch))": "string",
    "t.labels": "array<string>",
    "t.redactor.str(text)": "string",
}

PRIMITIVES = {
    "u8": "integer", "u16": "integer", "u32": "integer", "u64": "integer", "usize": "integer",
    "i8": "integer", "i16": "integer", "i32": "integer", "i64": "integer",
    "f32": "number", "f64": "number", "bool": "boolean", "String": "string",
}
ANY_TYPES = {"Value", "serde_json::Value"}


# ----------------------------------------------------------------------------- reporting

class Report:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.notes: list[str] = []
        self.lines: list[str] = []

    def error(self, msg: str) -> None:
        if msg not in self.errors:
            self.errors.append(msg)

    def note(self, msg: str) -> None:
        if msg not in self.notes:
            self.notes.append(msg)

    def ok(self, msg: str) -> None:
        self.lines.append(msg)


R = Report()


# ----------------------------------------------------------------------------- Rust text

def blank_comments(text: str) -> str:
    """Comments become spaces (offsets kept); strings and char literals are left alone."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                out[k] = " "
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                if out[k] != "\n":
                    out[k] = " "
            i = j
        elif c == '"' or (c == "r" and re.match(r'r#*"', text[i:]) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_"))):
            i = skip_string(text, i)
        elif c == "'":
            m = re.match(r"'(\\.|[^\\'])'", text[i:])
            i += len(m.group(0)) if m else 1
        else:
            i += 1
    return "".join(out)


def skip_string(text: str, i: int) -> int:
    """Index after the string literal starting at i (plain or raw)."""
    if text[i] == "r":
        m = re.match(r'r(#*)"', text[i:])
        end = '"' + m.group(1)
        j = text.find(end, i + len(m.group(0)))
        return j + len(end)
    j = i + 1
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        if text[j] == '"':
            return j + 1
        j += 1
    return j


def string_value(lit: str) -> str:
    lit = lit.strip()
    m = re.fullmatch(r'r(#*)"(.*)"\1', lit, re.S)
    if m:
        return m.group(2)
    return json.loads(lit) if lit.startswith('"') else lit


CLOSE = {"(": ")", "[": "]", "{": "}"}


def match_close(text: str, i: int) -> int:
    """Index of the bracket closing the one at i."""
    stack = []
    j = i
    while j < len(text):
        c = text[j]
        if c == '"' or (c == "r" and re.match(r'r#*"', text[j:]) and not (text[j - 1].isalnum() or text[j - 1] == "_")):
            j = skip_string(text, j)
            continue
        if c == "'":
            m = re.match(r"'(\\.|[^\\'])'", text[j:])
            j += len(m.group(0)) if m else 1
            continue
        if c in CLOSE:
            stack.append(CLOSE[c])
        elif c in ")]}":
            if not stack or stack.pop() != c:
                raise ValueError(f"unbalanced {c!r} at {j}")
            if not stack:
                return j
        j += 1
    raise ValueError(f"unclosed bracket at {i}")


def split_top(text: str, sep: str = ",") -> list[str]:
    """Splits at `sep` outside brackets, strings and closure pipes' bodies."""
    parts, depth, start, j = [], 0, 0, 0
    while j < len(text):
        c = text[j]
        if c == '"' or (c == "r" and re.match(r'r#*"', text[j:]) and not (j and (text[j - 1].isalnum() or text[j - 1] == "_"))):
            j = skip_string(text, j)
            continue
        if c == "'":
            m = re.match(r"'(\\.|[^\\'])'", text[j:])
            j += len(m.group(0)) if m else 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == sep and depth == 0:
            parts.append(text[start:j])
            start = j + 1
        j += 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def call_args(text: str, open_paren: int) -> tuple[list[str], int]:
    close = match_close(text, open_paren)
    return split_top(text[open_paren + 1:close]), close


@dataclass
class Fn:
    name: str
    params: list[str]
    ret: str
    start: int  # of `fn`
    body: tuple[int, int]  # braces


@dataclass
class Source:
    path: str
    text: str  # comments blanked
    fns: list[Fn] = field(default_factory=list)

    def line(self, i: int) -> int:
        return self.text.count("\n", 0, i) + 1

    def where(self, i: int) -> str:
        return f"{self.path}:{self.line(i)}"

    def fn_at(self, i: int) -> Fn | None:
        best = None
        for f in self.fns:
            if f.body[0] <= i <= f.body[1] and (best is None or f.body[0] > best.body[0]):
                best = f
        return best


def load_source(path: str, drop_tests: bool) -> Source:
    with open(os.path.join(ROOT, path), encoding="utf-8") as fh:
        text = blank_comments(fh.read())
    if drop_tests:
        m = re.search(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text)
        if m:
            end = match_close(text, m.end() - 1)
            text = text[:m.start()] + " " * (end + 1 - m.start()) + text[end + 1:]
    src = Source(path, text)
    for m in re.finditer(r"\bfn\s+(\w+)\s*(<[^>(]*(?:<[^>]*>[^>(]*)*>)?\s*\(", text):
        args, close = call_args(text, m.end() - 1)
        brace = text.find("{", close)
        semi = text.find(";", close)
        if brace < 0 or (0 <= semi < brace):
            continue  # a declaration without a body
        ret = text[close + 1:brace].strip()
        ret = re.sub(r"\bwhere\b.*", "", ret, flags=re.S).strip()
        src.fns.append(Fn(m.group(1), args, ret.removeprefix("->").strip(), m.start(), (brace, match_close(text, brace))))
    return src


def statement_start(text: str, i: int, floor: int) -> int:
    """Start of the statement containing i: after the last `;`, `{` or `}` at depth 0."""
    depth = 0
    j = i - 1
    while j > floor:
        c = text[j]
        if c in ")]":
            depth += 1
        elif c in "([":
            if depth == 0:
                pass
            else:
                depth -= 1
        elif c == "}":
            if depth == 0:
                return j + 1
        elif c == "{":
            if depth == 0:
                return j + 1
        elif c == ";" and depth == 0:
            return j + 1
        j -= 1
    return floor + 1


def find_let(src: Source, fn: Fn, name: str, before: int) -> tuple[str, int] | None:
    """The expression of the last `let [mut] name[: T] = EXPR;` in fn before `before`."""
    pat = re.compile(r"\blet\s+(?:mut\s+)?" + re.escape(name) + r"\s*(?::\s*([^=]+?))?\s*=\s*")
    found = None
    for m in pat.finditer(src.text, fn.body[0], before):
        end = m.end()
        j = end
        while j < len(src.text) and src.text[j] != ";":
            if src.text[j] in "([{":
                j = match_close(src.text, j) + 1
                continue
            if src.text[j] == '"':
                j = skip_string(src.text, j)
                continue
            j += 1
        found = (src.text[end:j].strip(), end, (m.group(1) or "").strip())
    return None if found is None else (found[0], found[1], found[2])


# ----------------------------------------------------------------------------- Rust types

@dataclass
class RustStruct:
    name: str
    fields: dict[str, tuple[str, bool]]  # json name -> (type, serde default)
    where: str


def parse_structs_and_enums(sources: list[Source]) -> tuple[dict[str, RustStruct], dict[str, list[str]]]:
    structs: dict[str, RustStruct] = {}
    enums: dict[str, list[str]] = {}
    for src in sources:
        t = src.text
        for m in re.finditer(r"((?:#\[[^\]]*\]\s*)*)pub(?:\([^)]*\))?\s+struct\s+(\w+)\s*\{|((?:#\[[^\]]*\]\s*)*)struct\s+(\w+)\s*\{", t):
            attrs = m.group(1) or m.group(3) or ""
            name = m.group(2) or m.group(4)
            if "Deserialize" not in attrs:
                continue
            body_end = match_close(t, m.end() - 1)
            body = t[m.end():body_end]
            fields = {}
            for fm in re.finditer(r"((?:#\[[^\]]*\]\s*)*)(?:pub(?:\([^)]*\))?\s+)?(\w+)\s*:\s*([^,]+?(?:<[^>]*(?:<[^>]*>)?[^>]*>)?)\s*(?:,|$)", body):
                fattrs, fname, ftype = fm.group(1), fm.group(2), re.sub(r"\s+", "", fm.group(3))
                rename = re.search(r'rename\s*=\s*"([^"]+)"', fattrs)
                default = bool(re.search(r"serde\([^)]*\bdefault\b", fattrs))
                fields[rename.group(1) if rename else fname] = (ftype, default)
            structs[name] = RustStruct(name, fields, src.where(m.start()))
        for m in re.finditer(r"((?:#\[[^\]]*\]\s*)*)pub\s+enum\s+(\w+)\s*\{", t):
            attrs = m.group(1)
            if "Deserialize" not in attrs and "Serialize" not in attrs:
                continue
            body = t[m.end():match_close(t, m.end() - 1)]
            variants = [v.split("(")[0].split("{")[0].strip() for v in split_top(body)]
            rule = re.search(r'rename_all\s*=\s*"([^"]+)"', attrs)
            if rule and rule.group(1) == "lowercase":
                variants = [v.lower() for v in variants]
            elif rule and rule.group(1) == "snake_case":
                variants = [re.sub(r"(?<!^)([A-Z])", r"_\1", v).lower() for v in variants]
            elif rule:
                raise SystemExit(f"check-openapi: teach me rename_all = {rule.group(1)!r}")
            enums[m.group(2)] = variants
    return structs, enums


def unwrap(ty: str, outer: str) -> str | None:
    m = re.fullmatch(outer + r"<(.*)>", ty)
    return m.group(1) if m else None


# ----------------------------------------------------------------------------- OpenAPI

class Spec:
    def __init__(self, path: str) -> None:
        with open(path, encoding="utf-8") as fh:
            self.doc = json.load(fh)
        self.name = os.path.basename(path)
        self.paths = self.doc["paths"]

    def match(self, method: str, template: str) -> tuple[str | None, str]:
        """The documented path for our template; placeholders are `{}`, any name."""
        ours = template.strip("/").split("/")
        best, best_score = None, -1
        for p, item in self.paths.items():
            theirs = p.strip("/").split("/")
            if len(theirs) != len(ours):
                continue
            score = 0
            for a, b in zip(ours, theirs):
                if re.fullmatch(r"\{[^}]+\}", b):
                    if not a:
                        break
                elif a == b:
                    score += 1
                else:
                    break
            else:
                if method.lower() in item and score > best_score:
                    best, best_score = p, score
        return best, (best or "")

    def op(self, method: str, path: str) -> dict:
        return self.paths[path][method.lower()]


def schema_alternatives(s: dict) -> list[dict]:
    """The schemas s may be: oneOf/anyOf branches, each with allOf merged."""
    if not isinstance(s, dict):
        return [{}]
    if "allOf" in s:
        merged: dict = {k: v for k, v in s.items() if k != "allOf"}
        props: dict = dict(merged.get("properties", {}))
        req = list(merged.get("required", []))
        for part in s["allOf"]:
            for alt in schema_alternatives(part):
                props.update(alt.get("properties", {}))
                req += alt.get("required", [])
                for k in ("type", "items", "nullable", "enum"):
                    if k in alt and k not in merged:
                        merged[k] = alt[k]
        merged["properties"], merged["required"] = props, req
        return [merged]
    for key in ("oneOf", "anyOf"):
        if key in s:
            out = []
            base = {k: v for k, v in s.items() if k != key}
            for part in s[key]:
                for alt in schema_alternatives(part):
                    out.append({**base, **alt, "nullable": base.get("nullable") or alt.get("nullable")})
            return out
    return [s]


def json_types(s: dict) -> set[str]:
    types: set[str] = set()
    for alt in schema_alternatives(s):
        t = alt.get("type")
        if t is None:
            types.add("any")
        elif isinstance(t, list):
            types.update(t)
        else:
            types.add(t)
        if alt.get("nullable"):
            types.add("null")
    return types


def nullable(s: dict) -> bool:
    return "null" in json_types(s)


def compatible(want: str, types: set[str]) -> bool:
    if "any" in types or want in types:
        return True
    return want == "integer" and "number" in types


def enum_values(s: dict) -> set | None:
    vals: set = set()
    for alt in schema_alternatives(s):
        if "enum" not in alt:
            return None
        vals.update(alt["enum"])
    return vals


def prop(s: dict, name: str) -> tuple[dict | None, bool, bool]:
    """(schema of property `name`, whether every alternative requires it, whether any
    alternative is open to unknown properties)."""
    found, required, open_ = None, True, False
    for alt in schema_alternatives(s):
        props = alt.get("properties")
        if props is None:
            open_ = True
            continue
        if name in props:
            found = found or props[name]
            required = required and name in alt.get("required", [])
        else:
            required = False
            if alt.get("additionalProperties"):
                open_ = True
    return found, required and found is not None, open_


def items(s: dict) -> dict:
    for alt in schema_alternatives(s):
        if "items" in alt:
            return alt["items"]
    return {}


def response_schemas(op: dict) -> list[tuple[str, dict]]:
    out = []
    for code, resp in op.get("responses", {}).items():
        if code.startswith("2"):
            content = resp.get("content", {})
            for media in ("application/json",) + tuple(content):
                if media in content and "schema" in content[media]:
                    out.append((code, content[media]["schema"]))
                    break
    return out


# ----------------------------------------------------------------------------- 1. calls

@dataclass
class Call:
    method: str
    template: str  # /repos/{}/{}/...
    query: list[tuple[str, str | None]]  # (name, literal value or None)
    body: dict[str, str] | None  # field -> expression
    decodes: str  # Rust type of one answer (a page for get_all)
    where: str


CALL_RE = re.compile(r"\bapi\s*\.\s*(get_all|get|post|patch)\s*(?:::\s*<)?")


def parse_format(expr: str) -> tuple[str, list[str]] | None:
    """`"lit"` or `&format!("fmt", args)` -> (text with `{}` for each hole, hole exprs)."""
    expr = expr.strip().lstrip("&").strip()
    if expr.startswith('"') or expr.startswith("r"):
        try:
            return string_value(expr), []
        except (ValueError, json.JSONDecodeError, AttributeError):
            return None
    m = re.match(r"format!\s*\(", expr)
    if not m:
        return None
    args = split_top(expr[m.end():expr.rindex(")")])
    fmt = string_value(args[0])
    positional = iter(args[1:])
    holes: list[str] = []
    out = []
    i = 0
    while i < len(fmt):
        if fmt.startswith("{{", i) or fmt.startswith("}}", i):
            out.append(fmt[i])
            i += 2
            continue
        if fmt[i] == "{":
            j = fmt.index("}", i)
            name = fmt[i + 1:j].split(":")[0]
            holes.append(name if name else next(positional, "?"))
            out.append("{}")
            i = j + 1
            continue
        out.append(fmt[i])
        i += 1
    return "".join(out), holes


def resolve_path(src: Source, fn: Fn, expr: str, at: int) -> tuple[str, list[str], str] | None:
    """Path template, holes and the query fragment for a call's first argument."""
    expr = expr.strip()
    m = re.fullmatch(r"&\s*(\w+)", expr)
    if m:
        let = find_let(src, fn, m.group(1), at)
        if let is None:
            return None
        expr = let[0]
    m = re.search(r"repo_path\s*\(", expr)
    if not m:
        return None
    args = split_top(expr[m.end():match_close(expr, m.end() - 1)])
    parsed = parse_format(args[0]) if len(args) == 1 else None
    if parsed is None:
        return None
    rest, holes = parsed
    return "/repos/{}/{}" + rest, holes, ""


def query_of(src: Source, fn: Fn, template: str, holes: list[str], at: int) -> tuple[str, list[tuple[str, str | None]]]:
    path, _, query = template.partition("?")
    params: list[tuple[str, str | None]] = []
    n_path_holes = path.count("{}") - "/repos/{}/{}".count("{}")  # repo_path's own holes
    query_holes = iter(holes[n_path_holes:])
    for part in query.split("&") if query else []:
        name, _, value = part.partition("=")
        if "{" not in name:
            params.append((name, None if "{}" in value else value))
        for _ in range(part.count("{}")):
            # A hole may hold a fragment built elsewhere, e.g. `{since}` = `&since=...`.
            hole = next(query_holes, "")
            let = find_let(src, fn, hole, at) if re.fullmatch(r"\w+", hole) else None
            for lit in re.findall(r'"((?:[^"\\]|\\.)*)"', let[0]) if let else []:
                params += [(q, None) for q in re.findall(r"^[?&](\w+)=", lit)]
            if "{" in name and not let:
                R.error(f"{src.where(at)}: cannot read the query fragment `{{{hole}}}`")
    return path, params


def parse_json_object_fields(expr: str) -> dict[str, str] | None:
    m = re.match(r"(?:serde_json::)?json!\s*\(\s*\{", expr.strip())
    if not m:
        return None
    inner = expr.strip()[m.end() - 1:]
    inner = inner[1:match_close(inner, 0)]
    out = {}
    for entry in split_top(inner):
        k, _, v = entry.partition(":")
        out[string_value(k.strip())] = v.strip()
    return out


def body_of(src: Source, fn: Fn, expr: str, at: int) -> dict[str, str] | None:
    expr = expr.strip()
    fields = parse_json_object_fields(expr.lstrip("&").strip())
    if fields is not None:
        return fields
    m = re.fullmatch(r"&\s*(\w+)", expr)
    if not m:
        return None
    let = find_let(src, fn, m.group(1), at)
    if let is None:
        return None
    fields = parse_json_object_fields(let[0])
    if fields is None:
        return None
    # Fields added after the fact: `body["x"] = json!(expr);`
    for am in re.finditer(re.escape(m.group(1)) + r'\s*\[\s*"(\w+)"\s*\]\s*=\s*(?:serde_json::)?json!\s*\(', src.text[let[1]:at]):
        start = let[1] + am.end() - 1
        fields[am.group(1)] = src.text[start + 1:match_close(src.text, start)].strip()
    return fields


def decoded_type(src: Source, fn: Fn, method: str, m: re.Match, args_open: int, close: int) -> str | None:
    text = src.text
    turbofish = None
    if m.group(0).rstrip().endswith("<"):
        gt = args_open - 1
        while text[gt] != ">":
            gt -= 1
        turbofish = re.sub(r"\s+", "", text[m.end():gt])
    if turbofish:
        t = turbofish
    else:
        stmt = text[statement_start(text, m.start(), fn.body[0]):m.start()]
        lm = re.search(r"\blet\s+(?:mut\s+)?\w+\s*:\s*(.+?)\s*=\s*[\w.]*$", stmt, re.S)
        if lm:
            t = re.sub(r"\s+", "", lm.group(1))
        else:
            after = text[close + 1:fn.body[1]]
            if re.fullmatch(r"\s*\.await\s*", after):
                rm = re.fullmatch(r"Result<(.+),\s*ApiError>", fn.ret.strip(), re.S)
                if not rm:
                    return None
                t = re.sub(r"\s+", "", rm.group(1))
            else:
                return None
    if method == "get_all":
        inner = unwrap(t, "Vec")
        # `let x: Vec<T> = api.get_all(..)` and `get_all::<T>` both decode pages of Vec<T>.
        return t if inner is not None and not turbofish else f"Vec<{t}>"
    return t


def collect_calls(sources: list[Source]) -> list[Call]:
    calls = []
    for src in sources:
        for m in CALL_RE.finditer(src.text):
            fn = src.fn_at(m.start())
            where = src.where(m.start())
            if fn is None:
                R.error(f"{where}: an API call outside a function")
                continue
            open_paren = src.text.index("(", m.end())
            args, close = call_args(src.text, open_paren)
            method = m.group(1)
            resolved = resolve_path(src, fn, args[0], m.start()) if args else None
            if resolved is None:
                R.error(f"{where}: cannot tell which path `api.{method}({args[0] if args else ''})` calls; "
                        "build it with `repo_path(\"...\")` or `repo_path(&format!(...))`")
                continue
            template, holes, _ = resolved
            path, query = query_of(src, fn, template, holes, m.start())
            body = None
            if method in ("post", "patch"):
                body = body_of(src, fn, args[1], m.start()) if len(args) > 1 else None
                if body is None:
                    R.error(f"{where}: cannot read the request body `{args[1] if len(args) > 1 else ''}`")
                    body = {}
            t = decoded_type(src, fn, method, m, open_paren, close)
            if t is None:
                R.error(f"{where}: cannot tell what type `api.{method}` decodes into")
                t = "serde_json::Value"
            http = {"get_all": "GET", "get": "GET", "post": "POST", "patch": "PATCH"}[method]
            calls.append(Call(http, path, query, body, t, where))
    return calls


def check_no_other_clients(sources: list[Source]) -> None:
    """Every request goes through `Api`: octocrab is touched only in client.rs."""
    for src in sources:
        if src.path.endswith("github_api/client.rs"):
            continue
        for m in re.finditer(r"\bcrab\b|octocrab::|\breqwest::|\"/repos/", src.text):
            R.error(f"{src.where(m.start())}: a request outside `Api` ({m.group(0)}): the check cannot see it")
    client = next((s for s in sources if s.path.endswith("github_api/client.rs")), None)
    if client is None:
        R.error("src/github_api/client.rs not found")
        return
    pubs = set(re.findall(r"pub\s+async\s+fn\s+(\w+)", client.text))
    if pubs != {"get", "get_all", "post", "patch"}:
        R.error(f"{client.path}: Api's request methods are {sorted(pubs)}; this check knows get, get_all, post, patch")
    rp = re.search(r'fn\s+repo_path[^{]*\{\s*format!\("([^"]*)"', client.text)
    if not rp or rp.group(1) != "/repos/{}/{}{rest}":
        R.error(f"{client.path}: repo_path no longer builds `/repos/{{owner}}/{{name}}{{rest}}`")


# ----------------------------------------------------------------------------- 2/3 checks

def check_query(spec: Spec, call: Call, doc_path: str) -> None:
    op = spec.op(call.method, doc_path)
    documented = {p["name"]: p for p in op.get("parameters", []) if p.get("in") == "query"}
    for name, value in call.query:
        p = documented.get(name)
        if p is None:
            R.error(f"[{spec.name}] {call.where}: {call.method} {doc_path}: query parameter `{name}` is not documented")
            continue
        allowed = enum_values(p.get("schema", {}))
        if value is not None and allowed is not None and value not in allowed:
            R.error(f"[{spec.name}] {call.where}: {call.method} {doc_path}: `{name}={value}` not in {sorted(allowed)}")


def check_body(spec: Spec, call: Call, doc_path: str, enums: dict[str, list[str]]) -> None:
    op = spec.op(call.method, doc_path)
    schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    label = f"[{spec.name}] {call.where}: {call.method} {doc_path} body"
    if schema is None:
        R.error(f"{label}: the operation documents no JSON request body")
        return
    for name, expr in call.body.items():
        ps, _, open_ = prop(schema, name)
        if ps is None:
            if not open_:
                R.error(f"{label}: field `{name}` is not documented")
            continue
        lit = None
        if re.fullmatch(r'"(?:[^"\\]|\\.)*"', expr):
            lit, kind = string_value(expr), "string"
        elif expr in BODY_EXPRESSIONS:
            kind = BODY_EXPRESSIONS[expr]
        else:
            R.error(f"{label}: field `{name}` = `{expr}`: unknown expression; add its JSON type to BODY_EXPRESSIONS")
            continue
        types = json_types(ps)
        allowed = enum_values(ps)
        if kind.startswith("enum:"):
            rust_enum = kind[5:]
            values = enums.get(rust_enum)
            if values is None:
                R.error(f"{label}: field `{name}`: Rust enum `{rust_enum}` not found in the source")
                continue
            if not compatible("string", types):
                R.error(f"{label}: field `{name}` is documented as {sorted(types)}, we send a string")
            if allowed is not None and set(values) - allowed:
                R.error(f"{label}: field `{name}`: we may send {sorted(set(values) - allowed)}, allowed {sorted(allowed)}")
        elif kind.startswith("array<"):
            inner = kind[6:-1]
            if not compatible("array", types) or not compatible(inner, json_types(items(ps))):
                R.error(f"{label}: field `{name}` is documented as {sorted(types)}, we send {kind}")
        else:
            if not compatible(kind, types):
                R.error(f"{label}: field `{name}` is documented as {sorted(types)}, we send {kind}")
            if lit is not None and allowed is not None and lit not in allowed:
                R.error(f"{label}: field `{name}` = {lit!r} not in {sorted(allowed)}")
    for alt in schema_alternatives(schema):
        missing = [r for r in alt.get("required", []) if r not in call.body]
        if missing:
            R.error(f"{label}: required field(s) {missing} not sent")


def check_decode(spec: Spec, schema: dict, ty: str, ptr: str, label: str,
                 structs: dict[str, RustStruct], enums: dict[str, list[str]], seen: set[str],
                 may_be_null: bool = False) -> None:
    """Can an answer matching `schema` decode into Rust type `ty`?"""
    inner = unwrap(ty, "Option")
    if inner is not None:
        return check_decode(spec, schema, inner, ptr, label, structs, enums, seen, may_be_null=True)
    types = json_types(schema)
    if "null" in types and not may_be_null:
        R.error(f"{label}: `{ptr}` may be null, but decodes into non-Option `{ty}`")
    if ty in ANY_TYPES:
        return
    if ty in PRIMITIVES:
        if not compatible(PRIMITIVES[ty], types):
            R.error(f"{label}: `{ptr}` is documented as {sorted(types)}, decoded as `{ty}`")
        return
    elem = unwrap(ty, "Vec")
    if elem is not None:
        if not compatible("array", types):
            R.error(f"{label}: `{ptr}` is documented as {sorted(types)}, decoded as `{ty}`")
            return
        return check_decode(spec, items(schema), elem, ptr + "[]", label, structs, enums, seen)
    if ty in enums:
        if not compatible("string", types):
            R.error(f"{label}: `{ptr}` is documented as {sorted(types)}, decoded as enum `{ty}`")
        allowed = enum_values(schema)
        if allowed is None:
            R.note(f"[{spec.name}] `{ptr}` is a plain string in the description; we accept only {enums[ty]} (enum `{ty}`)")
        elif allowed - set(enums[ty]):
            R.error(f"{label}: `{ptr}` may be {sorted(allowed - set(enums[ty]))}, which enum `{ty}` cannot decode")
        return
    st = structs.get(ty)
    if st is None:
        R.error(f"{label}: `{ptr}`: no Deserialize struct or enum `{ty}` in src/github_api/")
        return
    seen.add(ty)
    if not compatible("object", types):
        R.error(f"{label}: `{ptr}` is documented as {sorted(types)}, decoded as struct `{ty}`")
        return
    for name, (fty, default) in st.fields.items():
        ps, required, open_ = prop(schema, name)
        sub = f"{ptr}.{name}" if ptr else name
        if ps is None:
            if open_:
                R.note(f"[{spec.name}] `{sub}` ({label.split('] ', 1)[-1]}) sits in a free-form object; not checked")
            else:
                R.error(f"{label}: `{sub}` ({ty}.{name}) is not documented")
            continue
        optional = default or unwrap(fty, "Option") is not None
        if not required and not optional:
            R.note(f"[{spec.name}] `{sub}` is not `required` in the description, yet {ty}.{name} must be there")
        check_decode(spec, ps, fty, sub, label, structs, enums, seen, may_be_null=False)


def check_fields_table(structs: dict[str, RustStruct], used: set[str], sources_text: str) -> None:
    for name in sorted(used | set(FIELDS)):
        st = structs.get(name)
        table = FIELDS.get(name)
        if st is None:
            R.error(f"FIELDS names struct `{name}`, which src/github_api/ no longer declares (Deserialize)")
            continue
        if table is None:
            R.error(f"{st.where}: struct `{name}` is decoded from GitHub but missing from FIELDS in this script")
            continue
        if name not in used:
            R.error(f"FIELDS names `{name}`, which no API call decodes any more")
        declared = {k: v[0] for k, v in st.fields.items()}
        if declared != table:
            R.error(f"{st.where}: struct `{name}` declares {declared}; FIELDS says {table}")
        for fname in table:
            rust_name = "git_ref" if fname == "ref" else fname
            if not re.search(r"\b(?:r#)?" + re.escape(rust_name) + r"\s*:", sources_text) and \
               not re.search(r'rename\s*=\s*"' + re.escape(fname) + '"', sources_text):
                R.error(f"FIELDS {name}.{fname}: no such field name in src/github_api/")


# ----------------------------------------------------------------------------- 4. tests

ANY = object()


@dataclass
class Lit:
    kind: str  # string / integer / number / boolean / null
    value: object = None


def parse_json_macro(src: Source, fn: Fn | None, text: str, at: int, depth: int) -> object:
    """The tree of the contents of `json!(...)`: dicts, lists, Lit, or ANY."""
    text = text.strip()
    if not text:
        return ANY
    if text[0] == "{" and match_close(text, 0) == len(text) - 1:
        out = {}
        for entry in split_top(text[1:-1]):
            k, _, v = entry.partition(":")
            try:
                key = string_value(k.strip())
            except (json.JSONDecodeError, ValueError):
                return ANY
            out[key] = parse_json_macro(src, fn, v, at, depth)
        return out
    if text[0] == "[" and match_close(text, 0) == len(text) - 1:
        return [parse_json_macro(src, fn, v, at, depth) for v in split_top(text[1:-1])]
    return eval_expr(src, fn, text, at, depth)


def eval_expr(src: Source, fn: Fn | None, expr: str, at: int, depth: int = 0) -> object:
    expr = expr.strip()
    if depth > 12:
        return ANY
    while expr.startswith("&"):
        expr = expr[1:].strip()
    expr = re.sub(r"\.(clone|to_owned|into)\(\)$", "", expr)
    if re.fullmatch(r'"(?:[^"\\]|\\.)*"', expr):
        return Lit("string", string_value(expr))
    if re.fullmatch(r"-?\d+", expr):
        return Lit("integer", int(expr))
    if re.fullmatch(r"-?\d+\.\d+", expr):
        return Lit("number", float(expr))
    if expr in ("true", "false"):
        return Lit("boolean", expr == "true")
    if expr == "null":
        return Lit("null")
    if re.match(r"format!\s*\(", expr):
        return Lit("string")
    m = re.match(r"(?:serde_json::)?json!\s*\(", expr)
    if m and match_close(expr, m.end() - 1) == len(expr) - 1:
        return parse_json_macro(src, fn, expr[m.end():-1], at, depth + 1)
    m = re.fullmatch(r"\{(.*)\}", expr, re.S)
    if m and fn is not None:
        # A block: `{ let mut c = X; c["a"][0]["b"] = json!(V); c }`.
        stmts = split_top(m.group(1), ";")
        if stmts:
            last = stmts[-1].strip()
            let = re.match(r"let\s+(?:mut\s+)?(\w+)\s*(?::[^=]+)?=\s*(.*)", stmts[0], re.S)
            if let and last == let.group(1):
                value = eval_expr(src, fn, let.group(2), at, depth + 1)
                for s in stmts[1:-1]:
                    value = apply_assignment(src, fn, value, last, s, at, depth)
                return value
        return ANY
    m = re.search(r"\.map\s*\(\s*\|[^|]*\|\s*(.*)\)\s*\.collect(?:::<[^>]*>)?\(\)$", expr, re.S)
    if m:
        return [eval_expr(src, fn, m.group(1), at, depth + 1)]
    m = re.fullmatch(r"(\w+)\s*\((.*)\)", expr, re.S)
    if m and m.group(1) in HELPERS.get(src.path, {}):
        helper = HELPERS[src.path][m.group(1)]
        return eval_expr(src, helper, TAILS[(src.path, helper.name)], helper.body[1], depth + 1)
    m = re.fullmatch(r"\w+", expr)
    if m and fn is not None:
        let = find_let(src, fn, expr, at)
        if let is not None:
            value = eval_expr(src, fn, let[0], let[1], depth + 1)
            # Later `x["k"] = json!(...)` assignments before `at`.
            for am in re.finditer(r"\b" + re.escape(expr) + r"((?:\s*\[[^\]]+\])+)\s*=\s*([^;]+);", src.text[let[1]:at]):
                value = apply_assignment(src, fn, value, expr, am.group(0), at, depth)
            return value
    return ANY


def apply_assignment(src: Source, fn: Fn, value: object, var: str, stmt: str, at: int, depth: int) -> object:
    m = re.match(re.escape(var) + r"((?:\s*\[[^\]]+\])+)\s*=\s*(.*?);?$", stmt.strip(), re.S)
    if not m:
        return value
    keys = [k.strip() for k in re.findall(r"\[([^\]]+)\]", m.group(1))]
    new = eval_expr(src, fn, m.group(2), at, depth + 1)
    cur = value
    for k in keys[:-1]:
        if isinstance(cur, dict):
            cur = cur.setdefault(string_value(k), {})
        elif isinstance(cur, list) and cur:
            cur = cur[0]
        else:
            return value
    last = keys[-1]
    if isinstance(cur, dict) and last.startswith('"'):
        cur[string_value(last)] = new
    elif isinstance(cur, list) and cur and not isinstance(new, Lit):
        pass
    elif isinstance(cur, list) and cur:
        cur.append(new)
    return value


HELPERS: dict[str, dict[str, Fn]] = {}
TAILS: dict[tuple[str, str], str] = {}


def index_helpers(src: Source) -> None:
    """Functions returning `Value` whose last expression is a `json!`: inlined at calls."""
    HELPERS[src.path] = {}
    for f in src.fns:
        if not re.search(r"\bValue\b", f.ret) or "(" in f.ret:
            continue
        body = src.text[f.body[0] + 1:f.body[1]]
        stmts = split_top(body, ";")
        if stmts:
            HELPERS[src.path][f.name] = f
            TAILS[(src.path, f.name)] = stmts[-1]


@dataclass
class Served:
    method: str | None
    path: str  # template with {} for holes
    code: int
    body: object
    where: str


def route_of(src: Source, fn: Fn, chain: str, at: int) -> tuple[str | None, str | None]:
    mm = re.search(r'\bmethod\s*\(\s*"(\w+)"\s*\)', chain)
    pm = re.search(r"\bpath\s*\(", chain)
    if not pm:
        return (mm.group(1) if mm else None), None
    arg = split_top(chain[pm.end():match_close(chain, pm.end() - 1)])[0]
    parsed = parse_format(arg)
    if parsed is None:
        name = re.fullmatch(r"&?\s*(\w+)", arg.strip())
        let = find_let(src, fn, name.group(1), at) if name else None
        parsed = parse_format(let[0]) if let else None
    return (mm.group(1) if mm else None), (parsed[0] if parsed else None)


def chain_around(src: Source, i: int, fn: Fn) -> tuple[str, int] | None:
    """The `Mock::given(...)...` statement containing offset i."""
    start = src.text.rfind("Mock::given(", fn.body[0], i)
    if start < 0:
        return None
    seg_end = src.text.find(";", i)
    chain = src.text[start:seg_end]
    # The same statement: no `;` at depth 0 between its start and i.
    if ";" in re.sub(r"\([^;]*?\)", "", src.text[start:i]) and statement_start(src.text, i, start) > start + 1:
        return None
    return chain, start


def collect_served(src: Source) -> list[Served]:
    out: list[Served] = []
    for sm in re.finditer(r"\.\s*set_body_json\s*\(", src.text):
        open_ = sm.end() - 1
        arg = call_args(src.text, open_)[0][0]
        starts = list(re.finditer(r"ResponseTemplate::new\s*\(\s*(\d+)\s*\)", src.text[:sm.start()]))
        m = starts[-1] if starts else None
        if m is None or ";" in src.text[m.end():sm.start()]:
            R.error(f"{src.where(sm.start())}: cannot tell the status code of this answer")
            continue
        code = int(m.group(1))
        fn = src.fn_at(m.start())
        where = src.where(m.start())
        if not 200 <= code < 300:
            continue
        if fn is None:
            R.error(f"{where}: set_body_json outside a function")
            continue
        found = chain_around(src, m.start(), fn)
        if found is None:
            # A `Respond` impl: mounted where `Name(...)` is the responder.
            impls = list(re.finditer(r"impl\s+Respond\s+for\s+(\w+)", src.text[:fn.start]))
            if not impls:
                R.error(f"{where}: cannot find the mock serving this body")
                continue
            name = impls[-1].group(1)
            body = eval_expr(src, fn, arg, m.start())
            for um in re.finditer(r"respond_with\s*\(\s*" + name + r"\s*\(", src.text):
                ufn = src.fn_at(um.start())
                chain, _ = chain_around(src, um.start(), ufn) or (None, 0)
                if chain is None:
                    continue
                method, path = route_of(src, ufn, chain, um.start())
                out.append(Served(method, path or "?", code, body, src.where(um.start())))
            continue
        chain, start = found
        method, path = route_of(src, fn, chain, m.start())
        param_names = [re.split(r"\s*:", p)[0].strip() for p in fn.params]
        bare = arg.strip().lstrip("&")
        if bare in param_names:
            # A mount helper: the body comes from each caller.
            idx = param_names.index(bare)
            for cm in re.finditer(r"\b" + fn.name + r"\s*\(", src.text):
                if cm.start() == fn.start + src.text[fn.start:].index(fn.name):
                    continue
                cfn = src.fn_at(cm.start())
                if cfn is None or cfn is fn:
                    continue
                cargs, _ = call_args(src.text, cm.end() - 1)
                if idx < len(cargs):
                    body = eval_expr(src, cfn, cargs[idx], cm.start())
                    out.append(Served(method, path or "?", code, body, src.where(cm.start())))
            continue
        body = eval_expr(src, fn, arg, m.start())
        out.append(Served(method, path or "?", code, body, where))
    return out


def check_served(spec: Spec, tree: object, schema: dict, ptr: str, label: str, counts: dict) -> None:
    if tree is ANY:
        counts["opaque"] += 1
        return
    types = json_types(schema)
    if isinstance(tree, dict):
        counts["fields"] += len(tree)
        if not compatible("object", types):
            R.error(f"{label}: `{ptr or '(root)'}` served as an object, documented as {sorted(types)}")
            return
        for k, v in tree.items():
            ps, _, open_ = prop(schema, k)
            sub = f"{ptr}.{k}" if ptr else k
            if ps is None:
                if not open_:
                    R.error(f"{label}: serves `{sub}`, which the description does not document")
                continue
            check_served(spec, v, ps, sub, label, counts)
        return
    if isinstance(tree, list):
        if not compatible("array", types):
            R.error(f"{label}: `{ptr or '(root)'}` served as an array, documented as {sorted(types)}")
            return
        for v in tree:
            check_served(spec, v, items(schema), ptr + "[]", label, counts)
        return
    assert isinstance(tree, Lit)
    if not compatible(tree.kind, types):
        R.error(f"{label}: `{ptr}` served as {tree.kind} {tree.value!r}, documented as {sorted(types)}")
        return
    allowed = enum_values(schema)
    if tree.kind != "null" and tree.value is not None and allowed is not None and tree.value not in allowed:
        R.error(f"{label}: `{ptr}` = {tree.value!r} not in {sorted(allowed)}")


# ----------------------------------------------------------------------------- main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--package", default=DEFAULT_PKG, help="the installed @octokit/openapi directory")
    ap.add_argument("--ghes", action="store_true",
                    help="also check endpoints and request bodies against the oldest GHES description shipped")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every mock answer checked")
    args = ap.parse_args()

    spec_path = os.path.join(args.package, "generated/api.github.com.deref.json")
    if not os.path.exists(spec_path):
        print(f"check-openapi: {spec_path} not found; run scripts/check-openapi.sh", file=sys.stderr)
        return 2
    with open(os.path.join(args.package, "package.json"), encoding="utf-8") as fh:
        version = json.load(fh)["version"]
    specs = [Spec(spec_path)]
    if args.ghes:
        ghes = sorted(glob.glob(os.path.join(args.package, "generated/ghes-*.deref.json")),
                      key=lambda p: [int(x) for x in re.findall(r"\d+", os.path.basename(p))])
        if ghes:
            specs.append(Spec(ghes[0]))

    api_sources = [load_source(os.path.relpath(p, ROOT), drop_tests=True)
                   for p in sorted(glob.glob(os.path.join(ROOT, SRC_GLOB)))]
    other_sources = [load_source(os.path.relpath(p, ROOT), drop_tests=True)
                     for p in sorted(glob.glob(os.path.join(ROOT, ALL_SRC_GLOB), recursive=True))
                     if not os.path.relpath(p, ROOT).startswith("src/github_api/")]
    check_no_other_clients(api_sources + other_sources)
    for src in other_sources:
        for m in CALL_RE.finditer(src.text):
            R.error(f"{src.where(m.start())}: an API call outside src/github_api/; this check reads only that folder")
    structs, enums = parse_structs_and_enums(api_sources)
    calls = collect_calls(api_sources)
    if not calls:
        R.error("no API calls found in src/github_api/: the extraction is broken")

    print(f"@octokit/openapi {version}: {', '.join(s.name for s in specs)}")
    used: set[str] = set()
    main_spec = specs[0]
    for spec in specs:
        for call in calls:
            doc_path, _ = spec.match(call.method, call.template)
            if doc_path is None:
                R.error(f"[{spec.name}] {call.where}: {call.method} {call.template} is not in the description")
                continue
            check_query(spec, call, doc_path)
            if call.body is not None:
                check_body(spec, call, doc_path, enums)
            if spec is not main_spec:
                continue
            schemas = response_schemas(spec.op(call.method, doc_path))
            label = f"[{spec.name}] {call.where}: {call.method} {doc_path} -> {call.decodes}"
            if not schemas:
                R.error(f"{label}: no documented 2xx JSON answer")
            for code, schema in schemas:
                check_decode(spec, schema, call.decodes, "", f"{label} ({code})", structs, enums, used)
            q = "&".join(n + "=" + (v if v is not None else "…") for n, v in call.query)
            body = f" body {{{', '.join(call.body)}}}" if call.body is not None else ""
            R.ok(f"  {call.method:5} {doc_path}{'?' + q if q else ''}{body} -> {call.decodes}  ({call.where})")
    check_fields_table(structs, used, "\n".join(s.text for s in api_sources))

    # 4. What the tests serve.
    served_total, field_total, opaque_total = 0, 0, 0
    test_sources = [load_source(p, drop_tests=False) for p in TEST_FILES]
    test_sources += [load_source(os.path.relpath(p, ROOT), drop_tests=False)
                     for p in sorted(glob.glob(os.path.join(ROOT, SRC_GLOB)))]
    for src in test_sources:
        index_helpers(src)
        for s in collect_served(src):
            if s.path == "?" or s.method is None:
                R.error(f"{s.where}: cannot tell the method and path of a mock serving a body")
                continue
            template = re.sub(r"\{[^}]*\}", "{}", s.path)
            doc_path, _ = main_spec.match(s.method, template)
            if doc_path is None:
                R.error(f"{s.where}: the test serves {s.method} {s.path}, which is not in the description")
                continue
            op = main_spec.op(s.method, doc_path)
            schemas = dict(response_schemas(op))
            schema = schemas.get(str(s.code))
            label = f"{s.where}: {s.method} {doc_path} {s.code}"
            if schema is None:
                R.error(f"{label}: the operation documents no {s.code} JSON answer (it has {sorted(schemas)})")
                continue
            counts = {"fields": 0, "opaque": 0}
            check_served(main_spec, s.body, schema, "", label, counts)
            served_total += 1
            if args.verbose:
                R.ok(f"  served {s.method:5} {doc_path} {s.code}  ({s.where})")
            field_total += counts["fields"]
            opaque_total += counts["opaque"]

    print(f"{len(calls)} API calls in src/github_api/:")
    for line in R.lines:
        print(line)
    print(f"{len(structs)} Deserialize structs read; {len(used)} decoded from API answers, all in FIELDS")
    print(f"{served_total} mock answers from the tests checked ({field_total} object fields; "
          f"{opaque_total} values computed at run time, not type-checked)")
    for n in R.notes:
        print(f"note: {n}")
    if R.errors:
        print(f"\n{len(R.errors)} mismatch(es):")
        for e in R.errors:
            print(f"  {e}")
        return 1
    print("OK: calls, request bodies, decoded fields and served answers match GitHub's description")
    return 0


if __name__ == "__main__":
    sys.exit(main())
