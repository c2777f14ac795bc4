//! A fake GitHub on 127.0.0.1 (wiremock) that reads as intent (`get(path, body)`,
//! `post(path, status, body).expect(1)`) and records its traffic: every request the binary
//! sends, with the answer it got, and every answer a test mounts, as JSON lines in
//! `<target>/tmp/api-traffic/<test>-<n>.jsonl`. `scripts/check-openapi.sh` checks those
//! files against GitHub's OpenAPI description, so the tests cannot drift from real GitHub.

use std::collections::HashMap;
use std::fs::File;
use std::future::{Future, IntoFuture};
use std::io::Write;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex};

use serde_json::{Value, json};
use wiremock::matchers as m;
use wiremock::{Mock, MockBuilder, MockServer, Request, Respond, ResponseTemplate};

/// Where the traffic files go; `scripts/test.sh` clears it before a run.
pub fn traffic_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("api-traffic")
}

/// One answer of the fake: a status, a body (JSON, text or none) and headers.
#[derive(Clone, Debug)]
pub struct Answer {
    status: u16,
    json: Option<Value>,
    text: Option<String>,
    headers: Vec<(String, String)>,
}

impl Answer {
    pub fn json(status: u16, body: Value) -> Answer {
        Answer { status, json: Some(body), text: None, headers: Vec::new() }
    }

    /// A non-JSON body, as a proxy in front of GitHub might send.
    pub fn text(status: u16, body: &str) -> Answer {
        Answer { status, json: None, text: Some(body.to_owned()), headers: Vec::new() }
    }

    pub fn empty(status: u16) -> Answer {
        Answer { status, json: None, text: None, headers: Vec::new() }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Answer {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    fn record(&self) -> Value {
        json!({"status": self.status, "body": self.json, "text": self.text})
    }

    fn template(&self) -> ResponseTemplate {
        let mut template = ResponseTemplate::new(self.status);
        for (name, value) in &self.headers {
            template = template.insert_header(name.as_str(), value.as_str());
        }
        match (&self.json, &self.text) {
            (Some(body), _) => template.set_body_json(body),
            (None, Some(text)) => template.set_body_string(text.clone()),
            (None, None) => template,
        }
    }
}

/// A request the fake received, for tests that look at what was sent.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub body: Option<Value>,
}

impl Received {
    /// The JSON body, which the test expects to be there.
    pub fn json(&self) -> &Value {
        self.body.as_ref().unwrap_or_else(|| panic!("{} {} sent no JSON body", self.method, self.path))
    }
}

/// The traffic of one fake server: its file and what it received since the last reset.
struct Traffic {
    test: String,
    file: Mutex<File>,
    received: Mutex<Vec<Received>>,
}

impl Traffic {
    fn open() -> Traffic {
        static SERVERS_PER_TEST: LazyLock<Mutex<HashMap<String, usize>>> = LazyLock::new(Default::default);
        let test = std::thread::current().name().unwrap_or("unnamed").replace("::", ".");
        let n = {
            let mut counts = SERVERS_PER_TEST.lock().expect("not poisoned");
            let n = counts.entry(test.clone()).or_default();
            *n += 1;
            *n
        };
        std::fs::create_dir_all(traffic_dir()).expect("traffic dir");
        let file = File::create(traffic_dir().join(format!("{test}-{n}.jsonl"))).expect("traffic file");
        Traffic { test, file: Mutex::new(file), received: Mutex::new(Vec::new()) }
    }

    fn write(&self, mut line: Value) {
        line["test"] = json!(self.test);
        let mut text = line.to_string();
        text.push('\n');
        self.file.lock().expect("not poisoned").write_all(text.as_bytes()).expect("traffic written");
    }

    /// Records a request and the answer it gets.
    fn request(&self, request: &Request, answer: &Answer, own_answer: bool) {
        let body: Option<Value> =
            if request.body.is_empty() { None } else { serde_json::from_slice(&request.body).ok() };
        let body_text = (body.is_none() && !request.body.is_empty())
            .then(|| String::from_utf8_lossy(&request.body).into_owned());
        self.write(json!({
            "kind": "request", "method": request.method.as_str(), "path": request.url.path(),
            "query": request.url.query(), "body": body, "body_text": body_text,
            "answer": answer.record(), "own_answer": own_answer,
        }));
        self.received.lock().expect("not poisoned").push(Received {
            method: request.method.as_str().to_owned(),
            path: request.url.path().to_owned(),
            body,
        });
    }
}

type Answerer = Box<dyn Fn(&Request) -> Answer + Send + Sync>;

/// Answers with a fixed or computed [`Answer`] and records the exchange; `own_answer` marks
/// the fake's own answers (nothing mounted, a forbidden request), which are not GitHub's.
struct Recorded {
    traffic: Arc<Traffic>,
    answer: Answerer,
    own_answer: bool,
}

impl Respond for Recorded {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let answer = (self.answer)(request);
        self.traffic.request(request, &answer, self.own_answer);
        answer.template()
    }
}

/// GitHub's answer to anything no test mounted.
pub fn not_found() -> Value {
    json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"})
}

/// A loopback GitHub REST API whose answers the test mounts.
pub struct FakeGitHub {
    server: MockServer,
    traffic: Arc<Traffic>,
}

impl FakeGitHub {
    pub async fn start() -> FakeGitHub {
        let fake = FakeGitHub { server: MockServer::start().await, traffic: Arc::new(Traffic::open()) };
        fake.mount_default().await;
        fake
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// `GET path` answers 200 with `body`.
    pub fn get(&self, path: impl Into<String>, body: Value) -> Route<'_> {
        self.answer("GET", path, Answer::json(200, body))
    }

    /// `POST path` answers `status` with `body`.
    pub fn post(&self, path: impl Into<String>, status: u16, body: Value) -> Route<'_> {
        self.answer("POST", path, Answer::json(status, body))
    }

    /// `PATCH path` answers `status` with `body`.
    pub fn patch(&self, path: impl Into<String>, status: u16, body: Value) -> Route<'_> {
        self.answer("PATCH", path, Answer::json(status, body))
    }

    /// `verb path` answers with `answer`, whatever its status, body or headers.
    pub fn answer(&self, verb: &str, path: impl Into<String>, answer: Answer) -> Route<'_> {
        let path = path.into();
        let mut mounted = answer.record();
        mounted["kind"] = json!("answer");
        mounted["method"] = json!(verb);
        mounted["path"] = json!(path);
        self.traffic.write(mounted);
        let respond = move |_: &Request| answer.clone();
        Route::new(self, Mock::given(m::method(verb)).and(m::path(path)), Box::new(respond), false)
    }

    /// `verb` on any path matching `pattern` answers with `answer`; `example` is such a
    /// path, under which the answer is recorded for the API check.
    pub fn answer_matching(&self, verb: &str, pattern: &str, example: &str, answer: Answer) -> Route<'_> {
        let mut mounted = answer.record();
        mounted["kind"] = json!("answer");
        mounted["method"] = json!(verb);
        mounted["path"] = json!(example);
        self.traffic.write(mounted);
        let respond = move |_: &Request| answer.clone();
        Route::new(self, Mock::given(m::method(verb)).and(m::path_regex(pattern)), Box::new(respond), false)
    }

    /// `verb path` answers with what `answer` computes from the request.
    pub fn answer_with(
        &self,
        verb: &str,
        path: impl Into<String>,
        answer: impl Fn(&Request) -> Answer + Send + Sync + 'static,
    ) -> Route<'_> {
        Route::new(self, Mock::given(m::method(verb)).and(m::path(path.into())), Box::new(answer), false)
    }

    /// No request with `verb` (or any, for `*`) to a path matching `pattern` may come.
    pub async fn never(&self, verb: &str, pattern: &str) {
        let builder = match verb {
            "*" => Mock::given(m::path_regex(pattern)),
            _ => Mock::given(m::method(verb)).and(m::path_regex(pattern)),
        };
        let answer = |_: &Request| Answer::json(500, json!({"message": "the test forbids this request"}));
        Route::new(self, builder, Box::new(answer), true).expect(0).await;
    }

    /// The requests received with `verb` on exactly `path` since the last reset.
    pub fn received(&self, verb: &str, path: &str) -> Vec<Received> {
        let all = self.traffic.received.lock().expect("not poisoned");
        all.iter().filter(|r| r.method == verb && r.path == path).cloned().collect()
    }

    /// Every request received since the last reset, in the order they arrived.
    pub fn received_all(&self) -> Vec<Received> {
        self.traffic.received.lock().expect("not poisoned").clone()
    }

    /// Forgets every mounted answer and received request (the traffic file keeps them).
    pub async fn reset(&self) {
        self.server.reset().await;
        self.traffic.received.lock().expect("not poisoned").clear();
        self.mount_default().await;
    }

    /// Panics unless every `expect(n)` was met.
    pub async fn verify(&self) {
        self.server.verify().await;
    }

    /// Anything no test mounted gets GitHub's 404 and is still recorded.
    async fn mount_default(&self) {
        let responder = Recorded {
            traffic: self.traffic.clone(),
            answer: Box::new(|_| Answer::json(404, not_found())),
            own_answer: true,
        };
        Mock::given(m::any()).respond_with(responder).with_priority(u8::MAX).mount(&self.server).await;
    }
}

/// A mock being built; mounted when awaited.
#[must_use = "a route is mounted only when awaited"]
pub struct Route<'a> {
    fake: &'a FakeGitHub,
    builder: MockBuilder,
    answer: Answerer,
    own_answer: bool,
    expect: Option<u64>,
    times: Option<u64>,
}

impl<'a> Route<'a> {
    fn new(fake: &'a FakeGitHub, builder: MockBuilder, answer: Answerer, own_answer: bool) -> Route<'a> {
        Route { fake, builder, answer, own_answer, expect: None, times: None }
    }

    /// Only for requests whose JSON body contains `body`.
    pub fn when_body(mut self, body: Value) -> Self {
        self.builder = self.builder.and(m::body_partial_json(body));
        self
    }

    /// Only for requests with `name=value` in the query.
    pub fn when_query(mut self, name: &str, value: &str) -> Self {
        self.builder = self.builder.and(m::query_param(name, value));
        self
    }

    /// Only for requests without `name` in the query.
    pub fn without_query(mut self, name: &str) -> Self {
        self.builder = self.builder.and(m::query_param_is_missing(name));
        self
    }

    /// Only for requests that carry `token` as a bearer token.
    pub fn with_token(mut self, token: &str) -> Self {
        self.builder = self.builder.and(m::bearer_token(token));
        self
    }

    /// Exactly `n` requests must match (checked by `verify` and when the fake is dropped).
    pub fn expect(mut self, n: u64) -> Self {
        self.expect = Some(n);
        self
    }

    /// Answers at most `n` requests, then leaves them to routes mounted later.
    pub fn times(mut self, n: u64) -> Self {
        self.times = Some(n);
        self
    }
}

impl<'a> IntoFuture for Route<'a> {
    type Output = ();
    type IntoFuture = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        let responder =
            Recorded { traffic: self.fake.traffic.clone(), answer: self.answer, own_answer: self.own_answer };
        let mut mock = self.builder.respond_with(responder);
        if let Some(n) = self.expect {
            mock = mock.expect(n);
        }
        if let Some(n) = self.times {
            mock = mock.up_to_n_times(n);
        }
        Box::pin(mock.mount(&self.fake.server))
    }
}
