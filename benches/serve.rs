//! The `attrib serve` benchmark: builds 100k attestations by 20 authors in a real store (the
//! overlay benchmark's workload), serves it with the release binary, and prints each figure
//! beside a reference measured in the same run, the ratio, and the bar:
//!
//! - `patches(first: 50, aiOnly: true)` at 1,000 requests/s for 30 s, open loop: p99 latency
//!   against the same load on `GET /healthz` (the HTTP floor of this server on this machine);
//! - the server's resident memory after that load, against its memory right after start;
//! - a subscription: from a record's ingest (by another process's store handle, as a command
//!   or the node would) to its arrival at a `graphql-transport-ws` client, p99, against the
//!   ingest call's own p99;
//! - throughput at saturation (closed loop, `--rate-limit 0`), against `/healthz`'s.
//!
//! Run with `cargo bench -p attrib-cli --bench serve`. `ATTRIB_BENCH_RECORDS` scales the store
//! (default 100000); `ATTRIB_BENCH_SERVE_SECONDS` the open-loop runs (default 30 s each).
//! `ATTRIB_BENCH_DIR` keeps the store for profiling.
//!
//! The load generator is in this process: one tokio thread for the connections and one OS
//! thread for the schedule. Server and generator share the machine's cores, as any loopback
//! measurement does; the `/healthz` reference pays the same tax.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use attrib_overlay::*;
use futures::{SinkExt, StreamExt};
// The client is hyper 1's own HTTP/1.1 connection (`client::conn::http1`), not a pool: each
// load connection is one keep-alive socket this file opens, counts and reopens itself, so the
// number of connections and what each one waits for are exactly what the figures say.
// Hand-written HTTP/1.1 over a TcpStream would have to get chunked bodies and keep-alive right
// by itself; hyper is the same HTTP stack the server runs (axum), and well kept.
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use common::{
    attestation, header, ms, patch_id, row, synthetic_ai, workload, Rng, Workload, AUTHORS,
};

/// The open-loop rate, requests per second, and the bar on its p99.
const RATE: u64 = 1_000;
const P99_BAR: Duration = Duration::from_millis(5);
/// Keep-alive connections the load generator spreads requests over.
const CONNECTIONS: usize = 8;
/// The closed-loop run: connections and duration.
const SATURATION_CONNECTIONS: usize = 8;
const SATURATION_TIME: Duration = Duration::from_secs(5);
/// The subscription run: samples, the gap between ingests, and the bar on the p99.
const SUB_SAMPLES: usize = 200;
const SUB_GAP: Duration = Duration::from_millis(20);
const SUB_BAR: Duration = Duration::from_millis(50);
/// The bar on the serving process's resident memory, bytes (decimal megabytes).
const RSS_BAR: u64 = 90_000_000;
/// Rows a page must hold.
const PAGE: usize = 50;

/// The query of the dashboard's feed, with cursors: the claim fields `serve/assets/app.js`
/// selects.
const PATCHES_QUERY: &str = "{ patches(first: 50, aiOnly: true) { edges { cursor node { \
    recordId author { key name } seq time timestampMs origin patch aiAssisted \
    ai { provider model suggestionType confidence reviewSeconds } \
    description reviews contributions { provider model agent lines } } } \
    pageInfo { hasNextPage endCursor } } }";

const SUBSCRIPTION: &str = "subscription { attestations { patch recordId } }";

// ----- the server -----

/// A running `attrib serve`. `attrib` execs `attrib-node`, so the child's pid is the server's.
struct Server {
    child: Child,
    addr: SocketAddr,
    lines: mpsc::Receiver<String>,
    started: Duration,
}

impl Server {
    fn start(bin: &str, repo: &Path, config: &Path, extra: &[&str]) -> Server {
        let start = Instant::now();
        let mut child = Command::new(bin)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .current_dir(repo)
            .env("ATTRIB_CONFIG_DIR", config)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn attrib serve");
        let (tx, lines) = mpsc::channel();
        let out = BufReader::new(child.stdout.take().expect("stdout"));
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let line = lines
            .recv_timeout(Duration::from_secs(60))
            .expect("attrib serve said nothing within 60 s");
        let addr = line
            .strip_prefix("serving http://")
            .and_then(|rest| rest.strip_suffix('/'))
            .unwrap_or_else(|| panic!("attrib serve said {line:?}"))
            .parse()
            .expect("the address attrib serve printed");
        Server {
            child,
            addr,
            lines,
            started: start.elapsed(),
        }
    }

    /// (VmRSS, VmHWM, RssAnon, RssFile) in bytes, from /proc.
    fn memory(&self) -> (u64, u64, u64, u64) {
        common::proc_memory(self.child.id())
    }

    /// CPU time the server has used so far, user and system.
    fn cpu(&self) -> Duration {
        cpu_time(&self.child.id().to_string())
    }

    /// SIGTERM, as a service manager stops it: the server drains and exits 0, saying
    /// `stopped`. Returns what went wrong, if anything did.
    fn stop(mut self) -> Option<String> {
        // SAFETY: kill(2) on our own child's pid, which has not been waited for yet.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return Some("did not stop within 10 s of SIGTERM".into());
                }
            }
        };
        let said: Vec<String> = self.lines.try_iter().collect();
        if !status.success() {
            Some(format!("exited with {status} after SIGTERM"))
        } else if !said.iter().any(|l| l == "stopped") {
            Some(format!("exited without saying `stopped` ({said:?})"))
        } else {
            None
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU time process `pid` ("self" for this one) has used so far, user and system, from
/// /proc (in clock ticks).
fn cpu_time(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    // The fields after the command name (which is in parentheses): utime is the 12th.
    let rest = &stat[stat.rfind(')').expect("stat") + 2..];
    let fields: Vec<u64> = rest
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Duration::from_secs_f64((fields[11] + fields[12]) as f64 / hz)
}

// ----- the HTTP client -----

/// What a load run asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Healthz,
    Patches,
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Conn {
    async fn open(addr: SocketAddr) -> Result<Conn, String> {
        let tcp = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        tcp.set_nodelay(true).map_err(|e| format!("nodelay: {e}"))?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn {
            sender,
            host: addr.to_string(),
        })
    }

    /// One request, its whole body read.
    async fn call(&mut self, target: Target) -> Result<(StatusCode, Bytes), String> {
        let req = match target {
            Target::Healthz => Request::get("/healthz")
                .header(hyper::header::HOST, &self.host)
                .body(Full::new(Bytes::new())),
            Target::Patches => Request::post("/graphql")
                .header(hyper::header::HOST, &self.host)
                .header(hyper::header::CONTENT_TYPE, "application/json")
                .body(Full::new(patches_body())),
        }
        .expect("a well-formed request");
        self.sender
            .ready()
            .await
            .map_err(|e| format!("connection: {e}"))?;
        let resp = self
            .sender
            .send_request(req)
            .await
            .map_err(|e| format!("request: {e}"))?;
        let status = resp.status();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?
            .to_bytes();
        Ok((status, body))
    }
}

fn patches_body() -> Bytes {
    static BODY: std::sync::OnceLock<Bytes> = std::sync::OnceLock::new();
    BODY.get_or_init(|| {
        serde_json::json!({ "query": PATCHES_QUERY })
            .to_string()
            .into()
    })
    .clone()
}

/// Whether an answer is the one asked for: 200, and for the query a page of 50 AI-assisted
/// claims without errors.
fn check(target: Target, status: StatusCode, body: &[u8]) -> Result<(), String> {
    if status != StatusCode::OK {
        let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
        return Err(format!("status {status}: {text}"));
    }
    match target {
        Target::Healthz => (body == b"ok")
            .then_some(())
            .ok_or_else(|| format!("/healthz said {:?}", String::from_utf8_lossy(body))),
        Target::Patches => {
            let page: Answer = serde_json::from_slice(body).map_err(|e| {
                let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
                format!("{e}: {text}")
            })?;
            if let Some(errors) = page.errors {
                return Err(format!("errors: {errors}"));
            }
            let edges = page.data.ok_or("no data")?.patches.edges;
            if edges.len() != PAGE {
                return Err(format!("{} edges, not {PAGE}", edges.len()));
            }
            if !edges.iter().all(|e| e.node.ai_assisted) {
                return Err("a claim without AI in an aiOnly page".into());
            }
            Ok(())
        }
    }
}

/// The parts of an answer [`check`] looks at. Read into these rather than a
/// `serde_json::Value`, so that checking every answer costs the generator little (it shares
/// the machine with the server); every other field is still parsed as JSON, and skipped.
#[derive(serde::Deserialize)]
struct Answer {
    data: Option<Data>,
    errors: Option<serde_json::Value>,
}

#[derive(serde::Deserialize)]
struct Data {
    patches: Patches,
}

#[derive(serde::Deserialize)]
struct Patches {
    edges: Vec<Edge>,
}

#[derive(serde::Deserialize)]
struct Edge {
    node: Node,
}

#[derive(serde::Deserialize)]
struct Node {
    #[serde(rename = "aiAssisted")]
    ai_assisted: bool,
}

/// What a load run measured.
#[derive(Default)]
struct Load {
    /// Each answered request's latency, sorted.
    latencies: Vec<Duration>,
    /// Requests that failed (connection, status or body), with the first reason.
    errors: u64,
    first_error: Option<String>,
    /// Requests scheduled (open loop).
    scheduled: u64,
    /// How late the schedule thread was at its worst (open loop).
    worst_send_lag: Duration,
    elapsed: Duration,
}

impl Load {
    fn add(&mut self, other: Load) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    fn error(&mut self, e: String) {
        self.errors += 1;
        self.first_error.get_or_insert(e);
    }

    /// The `q` quantile, nearest rank.
    fn p(&self, q: f64) -> Duration {
        let n = self.latencies.len();
        if n == 0 {
            return Duration::MAX;
        }
        self.latencies[((n as f64 * q).ceil() as usize).clamp(1, n) - 1]
    }

    fn ok(&self) -> usize {
        self.latencies.len()
    }
}

/// Open loop: `rate` requests per second for `time`, each due at a fixed point of the schedule
/// and handed to whichever of `conns` connections is free. Latency runs from the scheduled
/// send time, so a stall that holds requests back is charged to every request it held back
/// (no coordinated omission). The schedule is kept by an OS thread sleeping to each due time,
/// not by a tokio timer, whose 1 ms granularity would add up to 1 ms to every figure.
async fn open_loop(addr: SocketAddr, target: Target, rate: u64, time: Duration) -> Load {
    let period = Duration::from_nanos(1_000_000_000 / rate);
    let total = (time.as_nanos() / period.as_nanos()) as u64;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let mut workers = Vec::new();
    for _ in 0..CONNECTIONS {
        let rx = rx.clone();
        workers.push(tokio::spawn(async move {
            let mut load = Load::default();
            // Opened before the clock starts: a handshake is not a request. A connection that
            // fails is opened again on the next request.
            let mut conn = Conn::open(addr).await.ok();
            loop {
                let Some(due) = rx.lock().await.recv().await else {
                    break;
                };
                if conn.is_none() {
                    match Conn::open(addr).await {
                        Ok(c) => conn = Some(c),
                        Err(e) => {
                            load.error(e);
                            continue;
                        }
                    }
                }
                let got = conn.as_mut().expect("open").call(target).await;
                let done = Instant::now();
                match got.and_then(|(status, body)| check(target, status, &body)) {
                    Ok(()) => load.latencies.push(done - due),
                    Err(e) => {
                        load.error(e);
                        conn = None;
                    }
                }
            }
            load
        }));
    }
    // Let the workers open their connections before the clock starts.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let start = Instant::now() + Duration::from_millis(10);
    let schedule = std::thread::spawn(move || {
        let mut worst = Duration::ZERO;
        for i in 0..total {
            let due = start + period * i as u32;
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            worst = worst.max(Instant::now().saturating_duration_since(due));
            if tx.send(due).is_err() {
                break;
            }
        }
        worst
    });
    let mut load = Load::default();
    for w in workers {
        load.add(w.await.expect("load worker"));
    }
    load.elapsed = start.elapsed();
    load.worst_send_lag = schedule.join().expect("schedule thread");
    load.scheduled = total;
    load.latencies.sort();
    load
}

/// Closed loop: `conns` connections, each sending its next request as soon as the last is
/// answered, for `time`.
async fn closed_loop(addr: SocketAddr, target: Target, conns: usize, time: Duration) -> Load {
    let start = Instant::now();
    let deadline = start + time;
    let mut workers = Vec::new();
    for _ in 0..conns {
        workers.push(tokio::spawn(async move {
            let mut load = Load::default();
            let mut conn = None;
            while Instant::now() < deadline {
                if conn.is_none() {
                    match Conn::open(addr).await {
                        Ok(c) => conn = Some(c),
                        Err(e) => {
                            load.error(e);
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    }
                }
                let sent = Instant::now();
                let got = conn.as_mut().expect("open").call(target).await;
                let done = Instant::now();
                match got.and_then(|(status, body)| check(target, status, &body)) {
                    Ok(()) => load.latencies.push(done - sent),
                    Err(e) => {
                        load.error(e);
                        conn = None;
                    }
                }
            }
            load
        }));
    }
    let mut load = Load::default();
    for w in workers {
        load.add(w.await.expect("load worker"));
    }
    load.elapsed = start.elapsed();
    load.latencies.sort();
    load
}

// ----- the subscription -----

/// What the subscription run measured.
struct Feed {
    /// Ingest to arrival, per sample, sorted.
    latencies: Vec<Duration>,
    /// The ingest calls' durations, sorted.
    ingests: Vec<Duration>,
    /// Samples that never arrived, or arrived twice, or protocol trouble.
    errors: Vec<String>,
}

/// Subscribes over `graphql-transport-ws`, then ingests `SUB_SAMPLES` attestations by
/// `keys[1]` into the served store from this process, one every `SUB_GAP`, and times each
/// from just before its ingest call to its `next` message.
async fn subscription(
    addr: SocketAddr,
    store_dir: PathBuf,
    key: Identity,
    team: TeamId,
    mut seq: u32,
    first_patch: u64,
) -> Feed {
    let mut req = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .expect("ws request");
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut ws, resp) = tokio_tungstenite::connect_async(req)
        .await
        .expect("WebSocket connect");
    assert_eq!(
        resp.headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok()),
        Some("graphql-transport-ws"),
        "the server did not take graphql-transport-ws"
    );
    let text = |v: serde_json::Value| Message::Text(v.to_string().into());
    ws.send(text(
        serde_json::json!({ "type": "connection_init", "payload": {} }),
    ))
    .await
    .expect("connection_init");
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("connection_ack within 10 s")
            .expect("the socket closed before connection_ack")
            .expect("WebSocket");
        if let Message::Text(t) = msg {
            let v: serde_json::Value = serde_json::from_str(&t).expect("JSON message");
            match v["type"].as_str() {
                Some("connection_ack") => break,
                Some("ping") => {}
                other => panic!("before connection_ack the server said {other:?}: {t}"),
            }
        }
    }
    ws.send(text(serde_json::json!({
        "id": "1",
        "type": "subscribe",
        "payload": { "query": SUBSCRIPTION }
    })))
    .await
    .expect("subscribe");

    // The writer: a thread of its own, as blocking store writes must not hold up the socket.
    // Three warm-up records 200 ms apart first (a subscribe has no acknowledgement; these
    // show the feed is live), then the samples.
    const WARM: usize = 3;
    let (tx, ingested) = mpsc::channel::<(String, Instant, Duration, bool)>();
    let writer = std::thread::spawn(move || {
        let store = Store::open_existing(&store_dir).expect("open the served store");
        let mut last_ts = 0u64;
        for i in 0..WARM + SUB_SAMPLES {
            seq += 1;
            last_ts = now_ms().max(last_ts + 1);
            let mut rng = Rng(first_patch + i as u64);
            let rec = key.sign(
                team,
                Record {
                    seq,
                    timestamp_ms: last_ts,
                    origin: Origin::Person,
                    payload: Payload::Attest(attestation(
                        patch_id(first_patch + i as u64),
                        synthetic_ai(&mut rng, i),
                    )),
                },
            );
            let id = rec.id().to_hex();
            let before = Instant::now();
            let out = store
                .ingest(std::slice::from_ref(&rec), now_ms())
                .expect("ingest");
            let took = before.elapsed();
            assert_eq!(out, vec![Outcome::Accepted], "the store refused a sample");
            if tx.send((id, before, took, i < WARM)).is_err() {
                break;
            }
            std::thread::sleep(if i < WARM {
                Duration::from_millis(200)
            } else {
                SUB_GAP
            });
        }
    });

    // The reader: every `next` timed on arrival, matched to its ingest afterwards.
    let mut arrived: HashMap<String, (Instant, u32)> = HashMap::new();
    let mut errors = Vec::new();
    let mut writer_done_at: Option<Instant> = None;
    loop {
        if writer_done_at.is_none() && writer.is_finished() {
            writer_done_at = Some(Instant::now());
        }
        if writer_done_at.is_some_and(|t| t.elapsed() > Duration::from_secs(2))
            || arrived.len() >= WARM + SUB_SAMPLES
        {
            break;
        }
        let msg = match tokio::time::timeout(Duration::from_millis(100), ws.next()).await {
            Err(_) => continue,
            Ok(None) => {
                errors.push("the server closed the socket".into());
                break;
            }
            Ok(Some(Err(e))) => {
                errors.push(format!("WebSocket: {e}"));
                break;
            }
            Ok(Some(Ok(m))) => m,
        };
        let at = Instant::now();
        let Message::Text(t) = msg else { continue };
        let v: serde_json::Value = match serde_json::from_str(&t) {
            Ok(v) => v,
            Err(e) => {
                errors.push(format!("not JSON ({e}): {t}"));
                continue;
            }
        };
        match v["type"].as_str() {
            Some("next") => {
                match v
                    .pointer("/payload/data/attestations/recordId")
                    .and_then(|r| r.as_str())
                {
                    Some(id) => arrived.entry(id.to_string()).or_insert((at, 0)).1 += 1,
                    None => errors.push(format!("a next without a recordId: {t}")),
                }
            }
            Some("ping") => {
                let _ = ws.send(text(serde_json::json!({ "type": "pong" }))).await;
            }
            Some("pong") => {}
            _ => errors.push(format!("unexpected message: {t}")),
        }
    }
    writer.join().expect("the writer thread");
    let _ = ws.close(None).await;

    let mut latencies = Vec::new();
    let mut ingests = Vec::new();
    for (id, before, took, warm) in ingested.try_iter() {
        let got = arrived.get(&id);
        if warm {
            continue;
        }
        ingests.push(took);
        match got {
            Some((at, 1)) => latencies.push(at.saturating_duration_since(before)),
            Some((_, n)) => errors.push(format!("{id} arrived {n} times")),
            None => errors.push(format!("{id} never arrived")),
        }
    }
    latencies.sort();
    ingests.sort();
    Feed {
        latencies,
        ingests,
        errors,
    }
}

/// The `q` quantile of sorted durations, nearest rank.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::MAX;
    }
    sorted[((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn mb(b: u64) -> String {
    format!("{:.1} MB", b as f64 / 1e6)
}

fn us(d: Duration) -> String {
    format!("{} µs", d.as_micros())
}

pub fn main() {
    // `cargo bench` passes `--bench`; nothing else is expected.
    let n: usize = std::env::var("ATTRIB_BENCH_RECORDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let seconds: u64 = std::env::var("ATTRIB_BENCH_SERVE_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let run_time = Duration::from_secs(seconds.max(1));
    let bin = env!("CARGO_BIN_EXE_attrib");
    let work = tempfile::tempdir().expect("tempdir");
    let base = std::env::var_os("ATTRIB_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| work.path().to_path_buf());
    let _ = std::fs::remove_dir_all(base.join("repo"));
    let repo = base.join("repo");
    let config = base.join("config");
    std::fs::create_dir_all(&repo).expect("repo dir");
    std::fs::create_dir_all(&config).expect("config dir");
    let store_dir = repo.join(".attrib");

    eprintln!("building {n} attestations by {AUTHORS} authors...");
    let start = Instant::now();
    let Workload {
        keys,
        setup,
        records,
        seqs,
    } = workload(n);
    let team = setup[0].team_id();
    {
        let store = Store::open(&store_dir).expect("open store");
        common::ingest_all(&store, &setup);
        common::ingest_all(&store, &records);
    }
    drop(records);
    eprintln!("built and stored in {}", ms(start.elapsed()));

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut failures: Vec<String> = Vec::new();

    // 1. Open-loop latency of a page, against the same load on /healthz; then memory.
    let server = Server::start(bin, &repo, &config, &[]);
    std::thread::sleep(Duration::from_millis(200));
    let (rss_start, ..) = server.memory();
    let addr = server.addr;
    let (cold, warm) = rt.block_on(async {
        let mut c = Conn::open(addr).await.expect("connect");
        let start = Instant::now();
        let (status, body) = c.call(Target::Patches).await.expect("first query");
        let cold = start.elapsed();
        check(Target::Patches, status, &body).expect("the first page");
        // Warm both paths at the rate before measuring.
        let w1 = open_loop(addr, Target::Healthz, RATE, Duration::from_secs(1)).await;
        let w2 = open_loop(addr, Target::Patches, RATE, Duration::from_secs(2)).await;
        (cold, (w1.errors + w2.errors, w2.p(0.99)))
    });
    eprintln!(
        "first page (cold listing cache) {}; warm-up errors {}, warm-up p99 {}",
        ms(cold),
        warm.0,
        ms(warm.1)
    );
    println!(
        "attrib serve benchmark: {n} attestations by {AUTHORS} authors, {} s at {RATE} requests/s over {CONNECTIONS} connections",
        run_time.as_secs()
    );
    header();

    let (cpu0, own0) = (server.cpu(), cpu_time("self"));
    let health = rt.block_on(open_loop(addr, Target::Healthz, RATE, run_time));
    let (cpu1, own1) = (server.cpu(), cpu_time("self"));
    let page = rt.block_on(open_loop(addr, Target::Patches, RATE, run_time));
    let (cpu2, own2) = (server.cpu(), cpu_time("self"));
    let (rss, hwm, anon, file) = server.memory();
    for (what, l) in [("/healthz", &health), ("patches", &page)] {
        if l.errors > 0 {
            failures.push(format!(
                "{what}: {} of {} requests failed, first: {}",
                l.errors,
                l.scheduled,
                l.first_error.as_deref().unwrap_or("?")
            ));
        }
    }
    row(
        &format!("patches(first:50,aiOnly) p99 @{RATE}/s"),
        &ms(page.p(0.99)),
        &format!("/healthz p99 {}", ms(health.p(0.99))),
        format!(
            "{:.1}x",
            page.p(0.99).as_secs_f64() / health.p(0.99).as_secs_f64()
        ),
        "<= 5 ms",
        page.p(0.99) <= P99_BAR && page.errors == 0 && health.errors == 0,
    );
    for (what, l, cpu, own) in [
        ("patches", &page, cpu2 - cpu1, own2 - own1),
        ("/healthz", &health, cpu1 - cpu0, own1 - own0),
    ] {
        println!(
            "  ({what}: {} answered of {} scheduled in {:.1} s, {} errors; p50 {}, p90 {}, p99.9 {}, max {}; schedule at worst {} late; CPU per request: server {}, load generator {}; server {:.0} % of {} cores)",
            l.ok(),
            l.scheduled,
            l.elapsed.as_secs_f64(),
            l.errors,
            us(l.p(0.5)),
            us(l.p(0.9)),
            us(l.p(0.999)),
            ms(l.p(1.0)),
            us(l.worst_send_lag),
            us(cpu / l.scheduled.max(1) as u32),
            us(own / l.scheduled.max(1) as u32),
            100.0 * cpu.as_secs_f64() / l.elapsed.as_secs_f64() / cores as f64,
            cores
        );
    }
    println!(
        "  (the first page, listing cache cold: {}; every answer checked: status 200, {PAGE} AI-assisted edges, no errors)",
        ms(cold)
    );

    // 4. Memory of the serving process, after that load.
    row(
        &format!("serve RSS, {}k attestations, loaded", n / 1000),
        &mb(rss),
        &format!("after start {}", mb(rss_start)),
        format!("{:.2}x", rss as f64 / rss_start as f64),
        "<= 90 MB",
        rss <= RSS_BAR,
    );
    println!(
        "  (VmRSS of the attrib-node serve process after {} s of load; peak {}; {} heap and stacks, {} mapped files, the store's pages among them; started in {})",
        2 * run_time.as_secs() + 3,
        mb(hwm),
        mb(anon),
        mb(file),
        ms(server.started)
    );

    // 3. The subscription: ingest here, arrival at a WebSocket client of the server.
    let feed = rt.block_on(subscription(
        addr,
        store_dir.clone(),
        keys.into_iter().nth(1).expect("author-1"),
        team,
        seqs[1],
        n as u64 + 1_000_000,
    ));
    if !feed.errors.is_empty() {
        failures.push(format!(
            "subscription: {} errors, first: {}",
            feed.errors.len(),
            feed.errors[0]
        ));
    }
    let sub_p99 = quantile(&feed.latencies, 0.99);
    let ingest_p99 = quantile(&feed.ingests, 0.99);
    row(
        "subscription: ingest to client p99",
        &ms(sub_p99),
        &format!("ingest call p99 {}", ms(ingest_p99)),
        format!("{:.1}x", sub_p99.as_secs_f64() / ingest_p99.as_secs_f64()),
        "<= 50 ms",
        sub_p99 <= SUB_BAR && feed.errors.is_empty(),
    );
    println!(
        "  ({} of {SUB_SAMPLES} records arrived, {} errors; p50 {}, p90 {}, max {}; ingest p50 {}; the server polls its store every {} ms)",
        feed.latencies.len(),
        feed.errors.len(),
        ms(quantile(&feed.latencies, 0.5)),
        ms(quantile(&feed.latencies, 0.9)),
        ms(quantile(&feed.latencies, 1.0)),
        ms(quantile(&feed.ingests, 0.5)),
        attrib_serve::feed::POLL.as_millis()
    );
    if let Some(e) = server.stop() {
        failures.push(format!("the server {e}"));
    }

    // 2. Saturation, closed loop, without the per-client limit.
    let server = Server::start(bin, &repo, &config, &["--rate-limit", "0"]);
    let addr = server.addr;
    rt.block_on(async {
        // The listing cache fills on the first page; warm both paths.
        let _ = closed_loop(addr, Target::Patches, 2, Duration::from_millis(500)).await;
    });
    let saturate = |target| {
        let cpu = server.cpu();
        let load = rt.block_on(closed_loop(
            addr,
            target,
            SATURATION_CONNECTIONS,
            SATURATION_TIME,
        ));
        let cpu = (server.cpu() - cpu) / load.ok().max(1) as u32;
        (load, cpu)
    };
    let (health, health_cpu) = saturate(Target::Healthz);
    let (page, page_cpu) = saturate(Target::Patches);
    for (what, l) in [
        ("saturated /healthz", &health),
        ("saturated patches", &page),
    ] {
        if l.errors > 0 {
            failures.push(format!(
                "{what}: {} requests failed, first: {}",
                l.errors,
                l.first_error.as_deref().unwrap_or("?")
            ));
        }
    }
    let rate = |l: &Load| l.ok() as f64 / l.elapsed.as_secs_f64();
    // The issue sets no bar here; the open-loop rate is the least a server meeting the latency
    // bar must sustain.
    row(
        "patches(first:50,aiOnly) saturated",
        &format!("{:.0} req/s", rate(&page)),
        &format!("/healthz {:.0} req/s", rate(&health)),
        format!("{:.3}x", rate(&page) / rate(&health)),
        &format!(">= {RATE} req/s"),
        rate(&page) >= RATE as f64 && page.errors == 0 && health.errors == 0,
    );
    println!(
        "  ({SATURATION_CONNECTIONS} connections, closed loop, --rate-limit 0: patches {} answered in {:.1} s, p50 {}, p99 {}, server CPU {} per request; /healthz {} answered, p50 {}, p99 {}, server CPU {} per request)",
        page.ok(),
        page.elapsed.as_secs_f64(),
        ms(page.p(0.5)),
        ms(page.p(0.99)),
        us(page_cpu),
        health.ok(),
        us(health.p(0.5)),
        us(health.p(0.99)),
        us(health_cpu)
    );
    if let Some(e) = server.stop() {
        failures.push(format!("the server {e}"));
    }

    // Every answer was checked: a wrong one fails the run, after the figures are printed.
    assert!(
        failures.is_empty(),
        "the serve benchmark saw errors:\n{}",
        failures.join("\n")
    );
}
