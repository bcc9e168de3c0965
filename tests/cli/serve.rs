//! `attrib serve`: the GraphQL API against the CLI's own answers, live subscriptions fed by
//! another process and by gossip, the limits and refusals, and a clean drain on SIGTERM. The
//! server is the real binary on loopback; the clients are plain HTTP/1.1 and WebSocket.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use crate::network::{collect, eventually, Node};
use crate::pijul_world::{recorded_hash, PijulWorld};
use crate::support::{Sandbox, User};

/// A running `attrib serve`; killed when dropped.
pub(crate) struct Server {
    child: Child,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
    /// `127.0.0.1:PORT`.
    pub(crate) addr: String,
}

impl Server {
    /// `attrib serve --listen 127.0.0.1:0 ARGS` as `user`, once it says where it serves.
    pub(crate) fn start(user: &User, args: &[&str]) -> Server {
        Server::start_with(user, args, &[])
    }

    /// [`Server::start`] with extra environment variables (a Pijul world's).
    pub(crate) fn start_with(user: &User, args: &[&str], env: &[(String, String)]) -> Server {
        let mut c = user.cmd();
        c.envs(env.iter().map(|(k, v)| (k, v)));
        c.arg("serve");
        if !args.contains(&"--listen") {
            c.args(["--listen", "127.0.0.1:0"]);
        }
        c.args(args);
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().expect("cannot run attrib serve");
        let stdout = collect(child.stdout.take().unwrap());
        let stderr = collect(child.stderr.take().unwrap());
        let mut server = Server {
            child,
            stdout,
            stderr,
            addr: String::new(),
        };
        let line = server.wait_line("the serving line", |l| l.starts_with("serving http://"));
        // A server on every interface is reached here through loopback.
        server.addr = line
            .trim_start_matches("serving http://")
            .trim_end_matches('/')
            .replace("0.0.0.0:", "127.0.0.1:");
        server
    }

    pub(crate) fn lines(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    #[track_caller]
    pub(crate) fn wait_line(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            if let Some(l) = self.lines().into_iter().find(|l| pred(l)) {
                return l;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "attrib serve exited ({status}) before {what}\nstdout: {:?}\nstderr: {:?}",
                    self.lines(),
                    self.stderr.lock().unwrap()
                );
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no {what} within 30 s\nstdout: {:?}\nstderr: {:?}",
                self.lines(),
                self.stderr.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// A GraphQL query's whole JSON answer (`data` and `errors`), over HTTP 200.
    pub(crate) fn graphql(&self, query: &str) -> Value {
        let (status, _, body) = self.post(&json!({ "query": query }).to_string(), &[]);
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
    }

    /// `data` of a query that must succeed.
    pub(crate) fn data(&self, query: &str) -> Value {
        let v = self.graphql(query);
        assert!(v.get("errors").is_none(), "{query}\n{v}");
        v["data"].clone()
    }

    /// POST /graphql with `body`: status, headers (lowercase names), body.
    pub(crate) fn post(&self, body: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
        let mut extra = String::new();
        for (k, v) in headers {
            extra.push_str(&format!("{k}: {v}\r\n"));
        }
        self.http(&format!(
            "POST /graphql HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        ))
    }

    pub(crate) fn get(&self, path: &str) -> (u16, String, String) {
        self.http(&format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        ))
    }

    fn http(&self, request: &str) -> (u16, String, String) {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        // A server may answer (413) and close before it has read all of a huge body.
        let _ = s.write_all(request.as_bytes());
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        let text = String::from_utf8_lossy(&raw).to_string();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no HTTP status in {head:?}"));
        let body = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            unchunk(body)
        } else {
            body.to_string()
        };
        (status, head.to_ascii_lowercase(), body)
    }

    /// SIGTERM; the exit status and stdout once it has drained.
    pub(crate) fn terminate(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < deadline, "attrib serve ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        };
        std::thread::sleep(Duration::from_millis(100));
        (status, self.lines())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn unchunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&after[..n.min(after.len())]);
        rest = after.get(n + 2..).unwrap_or("");
    }
    out
}

/// A graphql-transport-ws client on a blocking socket.
pub(crate) struct Subscription {
    ws: tungstenite::WebSocket<TcpStream>,
}

impl Subscription {
    /// Connects, initialises and subscribes to `query` as operation "1".
    pub(crate) fn open(addr: &str, query: &str) -> Subscription {
        Subscription::open_with(addr, query, json!({}))
            .unwrap_or_else(|m| panic!("no connection_ack: {m}"))
    }

    /// [`Subscription::open`] with `payload` in `connection_init`; the server's refusal (its
    /// message or close frame, as text) when it does not acknowledge.
    pub(crate) fn open_with(
        addr: &str,
        query: &str,
        payload: Value,
    ) -> Result<Subscription, String> {
        use tungstenite::client::IntoClientRequest;
        let mut req = format!("ws://{addr}/graphql/ws")
            .into_client_request()
            .unwrap();
        req.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let (ws, _) = tungstenite::client(req, stream).expect("the WebSocket handshake");
        let mut sub = Subscription { ws };
        sub.send(json!({ "type": "connection_init", "payload": payload }));
        let ack = match sub.ws.read() {
            Ok(tungstenite::Message::Text(t)) => t.as_str().to_string(),
            Ok(other) => return Err(format!("{other:?}")),
            Err(e) => return Err(e.to_string()),
        };
        if !ack.contains("connection_ack") {
            return Err(ack);
        }
        sub.send(json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }));
        Ok(sub)
    }

    fn send(&mut self, v: Value) {
        self.ws
            .send(tungstenite::Message::text(v.to_string()))
            .unwrap();
    }

    fn next_message(&mut self) -> Value {
        loop {
            match self.ws.read().expect("a WebSocket message in time") {
                tungstenite::Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
                tungstenite::Message::Ping(_) | tungstenite::Message::Pong(_) => continue,
                other => panic!("unexpected message {other:?}"),
            }
        }
    }

    /// The next `next` payload's data.
    pub(crate) fn next(&mut self) -> Value {
        loop {
            let m = self.next_message();
            match m["type"].as_str() {
                Some("next") => return m["payload"]["data"].clone(),
                Some("ping") => self.send(json!({ "type": "pong" })),
                _ => panic!("unexpected message {m}"),
            }
        }
    }
}

/// `snake_case` keys to `camelCase`, all the way down: how the CLI's JSON and the API's spell
/// the same field.
fn camel(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let mut out = String::new();
                    let mut up = false;
                    for c in k.chars() {
                        if c == '_' {
                            up = true;
                        } else if up {
                            out.extend(c.to_uppercase());
                            up = false;
                        } else {
                            out.push(c);
                        }
                    }
                    (out, camel(v))
                })
                .collect::<Map<_, _>>(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(camel).collect()),
        other => other.clone(),
    }
}

const CLAIM: &str = "recordId author { key name } seq time timestampMs origin patch aiAssisted \
    ai { provider model suggestionType promptCommitment confidence tokenCount temperature maxTokens topP reviewSeconds } \
    description dependsOn conflictsWith replaces lineSpans { file start end } \
    contributions { provider model agent session suggestionType promptCommitment lineSpans { file start end } lines } reviews";

/// A `log --json` row as the API's `Claim` spells it.
fn claim_of_cli(row: &Value) -> Value {
    let mut c = camel(row);
    let m = c.as_object_mut().unwrap();
    assert_eq!(m.remove("kind"), Some(json!("attestation")));
    m.entry("contributions").or_insert(json!([]));
    c
}

/// A team whose overlay holds AI and human claims by two members, with confidences, types,
/// an agent's contributions and a review.
fn busy_team(sb: &Sandbox) -> Vec<User> {
    let users = sb.team(&["alice", "bob"]);
    let (alice, bob) = (&users[0], &users[1]);
    let ai = |u: &User, p: &str, provider: &str, model: &str, kind: &str, extra: &[&str]| {
        let mut args = vec![
            "annotate",
            p,
            "--ai-provider",
            provider,
            "--ai-model",
            model,
            "--ai-suggestion-type",
            kind,
        ];
        args.extend_from_slice(extra);
        u.run(args).ok();
    };
    ai(
        alice,
        "P-1",
        "anthropic",
        "claude-sonnet-4",
        "complete",
        &["--ai-confidence", "0.9"],
    );
    ai(
        alice,
        "P-2",
        "openai",
        "gpt-5",
        "partial",
        &["--ai-lines", "src/a.rs:1-4"],
    );
    ai(
        bob,
        "P-3",
        "anthropic",
        "claude-sonnet-4",
        "refactor",
        &["--ai-confidence", "0.5", "--ai-review-time", "40"],
    );
    bob.run([
        "annotate",
        "P-4",
        "--no-ai",
        "--description",
        "by hand <b>bold</b>",
    ])
    .ok();
    alice
        .run(["import", bob.export_file(sb).to_str().unwrap()])
        .ok();
    alice.run(["review", "P-3", "--seconds", "30"]).ok();
    users
}

#[test]
fn graphql_answers_equal_the_clis_json_answers() {
    let sb = Sandbox::new();
    let users = busy_team(&sb);
    let alice = &users[0];
    let server = Server::start(alice, &[]);

    let cases: [(&[&str], &str); 9] = [
        (&[], ""),
        (&["--ai-only"], "aiOnly: true"),
        (&["--human-only"], "humanOnly: true"),
        (
            &["--model", "claude-sonnet-4"],
            "model: \"claude-sonnet-4\"",
        ),
        (&["--author", "bob"], "author: \"bob\""),
        (
            &["--suggestion-type", "partial"],
            "suggestionType: \"partial\"",
        ),
        (&["--min-confidence", "0.8"], "minConfidence: \"0.8\""),
        (&["--reviewed"], "review: REVIEWED"),
        (&["--unreviewed"], "review: UNREVIEWED"),
    ];
    for (flags, args) in cases {
        let cli: Vec<Value> = alice.log_json(flags).iter().map(claim_of_cli).collect();
        let args = if args.is_empty() {
            String::new()
        } else {
            format!("({args})")
        };
        let api = server.data(&format!("{{ patches{args} {{ nodes {{ {CLAIM} }} }} }}"));
        assert_eq!(
            api["patches"]["nodes"],
            Value::Array(cli.clone()),
            "log {flags:?}"
        );
    }

    // Pages of two, after each end cursor: the whole log, in order, nothing twice.
    let whole: Vec<Value> = alice.log_json(&[]).iter().map(claim_of_cli).collect();
    let mut paged = Vec::new();
    let mut after = String::new();
    loop {
        let page = server.data(&format!(
            "{{ patches(first: 2{after}) {{ edges {{ cursor node {{ {CLAIM} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
        ))["patches"]
            .clone();
        for e in page["edges"].as_array().unwrap() {
            paged.push(e["node"].clone());
        }
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            break;
        }
        after = format!(", after: {}", page["pageInfo"]["endCursor"]);
    }
    assert_eq!(paged, whole);

    // stats, grouped two ways.
    let fields = "patches ai human unattested aiShare lines aiLines aiLineShare reviewed reviewedShare \
        avgConfidence confidenceCount avgReviewSeconds reviewCount authorReviewSeconds reviewerSeconds";
    for (flag, by) in [("model", "MODEL"), ("author", "AUTHOR")] {
        let cli = camel(&alice.run(["stats", "--json", "--by", flag]).ok().json());
        let api = server.data(&format!(
            "{{ stats(by: [{by}]) {{ total {{ {fields} }} groups {{ key {{ by value }} stats {{ {fields} }} }} \
               byModel {{ provider model patches lines }} }} }}"
        ))["stats"]
            .clone();
        assert_eq!(api["total"], cli["total"], "stats --by {flag}");
        assert_eq!(api["byModel"], cli["byModel"], "stats --by {flag}");
        let groups: Vec<Value> = cli["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                let mut stats = g.clone();
                let group = stats.as_object_mut().unwrap().remove("group").unwrap();
                let key: Vec<Value> = group
                    .as_object()
                    .unwrap()
                    .values()
                    .map(|v| json!({ "by": by, "value": v }))
                    .collect();
                json!({ "key": key, "stats": stats })
            })
            .collect();
        assert_eq!(api["groups"], Value::Array(groups), "stats --by {flag}");
    }

    // show: every claim and review with its signature status.
    let cli = camel(&alice.show_json("P-3"));
    let api = server.data(
        "{ patch(id: \"P-3\") { patch aiAssisted attestations { verified status claim { recordId patch } } \
           reviews { verified status review { recordId patch seconds verdict } } } }",
    )["patch"]
        .clone();
    assert_eq!(api["patch"], cli["patch"]);
    assert_eq!(api["aiAssisted"], cli["aiAssisted"]);
    let pick = |list: &Value, inner: &str, keys: &[&str]| -> Vec<Value> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|x| {
                let src = if inner.is_empty() { x } else { &x[inner] };
                let mut m = Map::new();
                m.insert("verified".into(), x["verified"].clone());
                m.insert("status".into(), x["status"].clone());
                for k in keys {
                    m.insert((*k).into(), src[*k].clone());
                }
                Value::Object(m)
            })
            .collect()
    };
    assert_eq!(
        pick(&api["attestations"], "claim", &["recordId", "patch"]),
        pick(&cli["attestations"], "", &["recordId", "patch"])
    );
    assert_eq!(
        pick(
            &api["reviews"],
            "review",
            &["recordId", "patch", "seconds", "verdict"]
        ),
        pick(
            &cli["reviews"],
            "",
            &["recordId", "patch", "seconds", "verdict"]
        )
    );
    assert_eq!(
        server.data("{ patch(id: \"P-404\") { patch } }")["patch"],
        Value::Null
    );

    // The team and verification.
    let team = camel(&alice.run(["team", "show", "--json"]).ok().json());
    let api = server.data(
        "{ members { team name members { key name email admin founder revokedAfterSeq equivocated } } }",
    );
    assert_eq!(api["members"], team);
    let verify = server.data("{ verify { ok problems } }");
    assert_eq!(verify["verify"], json!({ "ok": true, "problems": [] }));
}

#[test]
fn a_subscription_sees_records_from_another_process_and_from_gossip() {
    let sb = Sandbox::new();
    let users = sb.team(&["alice", "bob"]);
    let (alice, bob) = (&users[0], &users[1]);
    let mut server = Server::start(
        alice,
        &[
            "--node",
            "--no-mdns",
            "--node-listen",
            "/ip4/127.0.0.1/tcp/0",
        ],
    );
    let node_addr = server
        .wait_line("the node's address", |l| {
            l.starts_with("listening on ") && l.contains("/tcp/")
        })
        .trim_start_matches("listening on ")
        .to_string();
    let mut sub = Subscription::open(
        &server.addr,
        "subscription { attestations { patch author { name } ai { model } origin } }",
    );

    // Another `attrib` process writes to the served store.
    alice
        .run([
            "annotate",
            "P-local",
            "--ai-provider",
            "openai",
            "--ai-model",
            "gpt-5",
        ])
        .ok();
    let got = sub.next();
    assert_eq!(got["attestations"]["patch"], "P-local", "{got}");
    assert_eq!(got["attestations"]["author"]["name"], "alice");
    assert_eq!(got["attestations"]["ai"]["model"], "gpt-5");

    // A record arriving by gossip from a second node.
    let bob_node = Node::start(bob, &["--peer", &node_addr]);
    eventually(
        "the server's node to see bob",
        Duration::from_secs(30),
        || {
            server
                .lines()
                .iter()
                .any(|l| l.starts_with("synced with"))
                .then_some(())
        },
    );
    bob.run(["annotate", "P-gossip", "--no-ai"]).ok();
    let got = sub.next();
    assert_eq!(got["attestations"]["patch"], "P-gossip", "{got}");
    assert_eq!(got["attestations"]["author"]["name"], "bob");
    // The node behind the API shows its peer (from its status, rewritten every second).
    eventually(
        "the API to show bob as a peer",
        Duration::from_secs(10),
        || {
            let node = server.data("{ node { peerId peers { peerId name } } }");
            (node["node"]["peers"][0]["name"] == "bob").then_some(())
        },
    );
    drop(bob_node);
    let (status, out) = server.terminate();
    assert!(status.success(), "{status}: {out:?}");
    assert_eq!(out.last().map(String::as_str), Some("stopped"), "{out:?}");
}

#[test]
fn bad_requests_get_their_error_and_the_server_keeps_serving() {
    let sb = Sandbox::new();
    let users = busy_team(&sb);
    let alice = &users[0];
    let server = Server::start(alice, &["--rate-limit", "40"]);
    let message = |v: &Value| v["errors"][0]["message"].as_str().unwrap_or("").to_string();

    // Over-deep: introspection nested past the depth limit.
    let mut deep = String::from("name");
    for _ in 0..20 {
        deep = format!("ofType {{ {deep} }}");
    }
    let v = server.graphql(&format!(
        "{{ __schema {{ types {{ fields {{ type {{ {deep} }} }} }} }} }}"
    ));
    assert!(message(&v).contains("nested too deep"), "{v}");
    // Over-complex: many aliases of a large selection.
    let many: String = (0..1500)
        .map(|i| format!("a{i}: members {{ name team members {{ key name }} }} "))
        .collect();
    let v = server.graphql(&format!("{{ {many} }}"));
    assert!(message(&v).contains("too complex"), "{v}");
    // Unknown fields and arguments are validation errors, with a hint.
    let v = server.graphql("{ patches { nodes { patch secret } } }");
    assert!(message(&v).contains("Unknown field \"secret\""), "{v}");
    let v = server.graphql("{ patches(first: 100000) { nodes { patch } } }");
    assert!(message(&v).contains("first must be from 0 to 500"), "{v}");
    let v = server.graphql("{ patches(after: \"not-a-cursor\") { nodes { patch } } }");
    assert!(message(&v).starts_with("invalid cursor"), "{v}");
    let v = server.graphql("{ patches(since: \"yesterday-ish\") { nodes { patch } } }");
    assert!(message(&v).starts_with("since: cannot read"), "{v}");
    let v = server.graphql("{ blame(path: \"../../etc/passwd\") { file } }");
    assert!(message(&v).contains("without `..`"), "{v}");
    // Malformed JSON: 400 with one line.
    let (status, _, body) = server.post("{ \"query\": ", &[]);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("cannot read the request"), "{body}");
    // A huge body: 413 before it is read.
    let huge = format!(
        "{{\"query\": \"{{ members {{ name }} }}\", \"x\": \"{}\"}}",
        "a".repeat(2 << 20)
    );
    let (status, _, _) = server.post(&huge, &[]);
    assert_eq!(status, 413);
    // A mutation without the token.
    let v = server.graphql("mutation { review(patch: \"P-1\", seconds: 5) { verdict } }");
    assert!(message(&v).contains("needs the server's token"), "{v}");

    // A flood from one client: 429 with Retry-After, and the server still answers afterwards.
    let mut limited = 0;
    for _ in 0..150 {
        let (status, head, _) = server.get("/metrics");
        if status == 429 {
            assert!(head.contains("retry-after: 1"), "{head}");
            limited += 1;
        }
    }
    assert!(
        limited > 0,
        "150 requests at once were all admitted at 40/s"
    );
    std::thread::sleep(Duration::from_millis(1500));
    let v = server.data("{ members { name } }");
    assert_eq!(v["members"]["name"], "t");
    let (status, _, metrics) = server.get("/metrics");
    assert_eq!(status, 200);
    assert!(
        metrics.contains("attrib_requests_limited_total{limit=\"rate\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("attrib_query_seconds_bucket{field=\"members\""),
        "{metrics}"
    );
    let held = alice.export_lines().len();
    assert!(
        metrics.contains(&format!("attrib_records_held {held}\n")),
        "{metrics}"
    );
    assert_eq!(server.get("/healthz").0, 200);
    assert_eq!(server.get("/readyz").0, 200);
}

#[test]
fn a_review_mutation_needs_the_token_and_is_signed_by_the_servers_device() {
    let sb = Sandbox::new();
    let users = busy_team(&sb);
    let alice = &users[0];
    let token = sb.path().join("token");
    std::fs::write(&token, "0123456789abcdef0123456789abcdef\n").unwrap();
    let server = Server::start(alice, &["--token-file", token.to_str().unwrap()]);
    let mutation = json!({ "query": "mutation { review(patch: \"P-2\", seconds: 12, verdict: COMMENT, comment: \"ok\") { patch verdict seconds author { name } } }" })
        .to_string();
    let (_, _, body) = server.post(
        &mutation,
        &[("Authorization", "Bearer wrong-token-wrong-token")],
    );
    assert!(body.contains("needs the server's token"), "{body}");
    // alice reviewing her own patch is refused by the same rule as the CLI's.
    let (_, _, body) = server.post(
        &mutation,
        &[("Authorization", "Bearer 0123456789abcdef0123456789abcdef")],
    );
    assert!(
        body.contains("a review must come from another member"),
        "{body}"
    );
    let mutation = mutation.replace("P-2", "P-3");
    let (status, _, body) = server.post(
        &mutation,
        &[("Authorization", "Bearer 0123456789abcdef0123456789abcdef")],
    );
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["data"]["review"],
        json!({ "patch": "P-3", "verdict": "comment", "seconds": 12, "author": { "name": "alice" } }),
        "{v}"
    );
    let shown = alice.show_json("P-3");
    assert!(shown["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["comment"] == "ok"));
}

#[test]
fn serving_beyond_loopback_needs_a_token_and_a_drain_exits_zero() {
    let sb = Sandbox::new();
    let users = sb.team(&["alice"]);
    let alice = &users[0];
    alice
        .run(["serve", "--listen", "0.0.0.0:0"])
        .err()
        .mentions("needs --token-file");
    let short = sb.path().join("short-token");
    std::fs::write(&short, "abc\n").unwrap();
    alice
        .run(["serve", "--token-file", short.to_str().unwrap()])
        .err()
        .mentions("use at least 16");
    alice
        .run(["serve", "--listen", "not-an-address"])
        .usage_err();
    alice
        .run(["serve", "--peer", "/ip4/127.0.0.1/tcp/1"])
        .usage_err();

    let server = Server::start(alice, &[]);
    assert_eq!(server.get("/").0, 200);
    let (status, head, js) = server.get("/assets/chart.umd.min.js");
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/javascript"), "{head}");
    assert!(js.len() > 100_000, "the vendored chart library is served");
    assert_eq!(server.get("/assets/nope.js").0, 404);
    let _sub = Subscription::open(&server.addr, "subscription { attestations { patch } }");
    let (status, out) = server.terminate();
    assert!(status.success(), "{status}");
    assert_eq!(out.last().map(String::as_str), Some("stopped"), "{out:?}");
}

#[test]
fn blame_and_line_stats_in_a_pijul_repository_equal_the_clis() {
    let Some(w) = PijulWorld::new("blame_and_line_stats_in_a_pijul_repository_equal_the_clis")
    else {
        return;
    };
    let u = w.user("ann");
    w.edit(&u, "a.txt", "one\ntwo\n");
    let ai = recorded_hash(
        &w.attrib(
            &u,
            [
                "record",
                "--ai-provider",
                "anthropic",
                "--ai-model",
                "claude-sonnet-4",
                "--ai-suggestion-type",
                "complete",
                "--",
                "-m",
                "by the AI",
            ],
            &[],
        )
        .ok(),
    );
    w.edit(&u, "a.txt", "zero\none\ntwo\n");
    w.attrib(&u, ["record", "--no-ai", "--", "-m", "above"], &[])
        .ok();
    let server = Server::start_with(&u, &[], &w.env());

    let cli = w.attrib(&u, ["blame", "a.txt", "--json"], &[]).ok().json();
    let expected: Vec<Value> = cli
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let a = &r["attribution"];
            json!({
                "line": r["line"], "change": r["change"], "kind": a["kind"],
                "provider": r["provider"], "model": r["model"], "agent": r["agent"],
                "session": r["session"], "suggestionType": a["suggestion_type"],
                "reviewed": a["reviewed"], "text": r["text"],
            })
        })
        .collect();
    let api = server.data(
        "{ blame(path: \"a.txt\") { file lines { line change kind provider model agent session suggestionType reviewed text } } }",
    );
    assert_eq!(api["blame"]["file"], "a.txt");
    assert_eq!(api["blame"]["lines"], Value::Array(expected.clone()));
    assert_eq!(expected.len(), 3);
    assert_eq!(expected[1]["change"], json!(ai));
    assert_eq!(expected[1]["model"], "claude-sonnet-4");

    // Line counts come from the channel, as the CLI's do.
    let cli = camel(&w.attrib(&u, ["stats", "--json"], &[]).ok().json());
    let api = server.data(
        "{ stats { channel total { patches ai human lines aiLines aiLineShare } lines { total ai human unattested files } } }",
    );
    assert_eq!(api["stats"]["channel"], cli["channel"]);
    assert_eq!(api["stats"]["lines"]["total"], json!(3));
    assert_eq!(api["stats"]["lines"]["ai"], json!(2));
    for k in ["patches", "ai", "human", "lines", "aiLines", "aiLineShare"] {
        assert_eq!(api["stats"]["total"][k], cli["total"][k], "{k}");
    }
    for k in ["total", "ai", "human", "unattested", "files"] {
        assert_eq!(api["stats"]["lines"][k], cli["lines"][k], "{k}");
    }
    let v = server.graphql("{ blame(path: \"missing.txt\") { file } }");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("missing.txt"),
        "{v}"
    );
}

#[test]
fn beyond_loopback_every_request_carries_the_token_and_a_browser_sends_it_in_band() {
    let sb = Sandbox::new();
    let users = sb.team(&["alice"]);
    let alice = &users[0];
    let token = sb.path().join("token");
    let secret = "0123456789abcdef0123456789abcdef";
    std::fs::write(&token, format!("{secret}\n")).unwrap();
    let server = Server::start(
        alice,
        &[
            "--listen",
            "0.0.0.0:0",
            "--token-file",
            token.to_str().unwrap(),
        ],
    );
    let query = json!({ "query": "{ members { name } }" }).to_string();
    let (status, _, body) = server.post(&query, &[]);
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("Authorization: Bearer"), "{body}");
    let (status, _, _) = server.post(&query, &[("Authorization", "Bearer not-the-token-at-all")]);
    assert_eq!(status, 401);
    let bearer = format!("Bearer {secret}");
    let (status, _, body) = server.post(&query, &[("Authorization", bearer.as_str())]);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"name\":\"t\""), "{body}");
    // The page itself loads without the token (it asks for it); health checks need none.
    assert_eq!(server.get("/").0, 200);
    assert_eq!(server.get("/healthz").0, 200);
    assert_eq!(server.get("/metrics").0, 401);
    // WebSocket: the token in connection_init, as a browser sends it.
    let q = "subscription { attestations { patch } }";
    let refused = Subscription::open_with(&server.addr, q, json!({})).err();
    assert!(
        refused.is_some(),
        "a subscription without the token was acknowledged"
    );
    let wrong = json!({ "authorization": "Bearer not-the-token-at-all" });
    assert!(Subscription::open_with(&server.addr, q, wrong).is_err());
    let mut sub = Subscription::open_with(&server.addr, q, json!({ "authorization": bearer }))
        .expect("the token in connection_init is accepted");
    alice.run(["annotate", "P-remote", "--no-ai"]).ok();
    assert_eq!(sub.next()["attestations"]["patch"], "P-remote");
}
