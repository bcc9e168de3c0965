//! `attrib serve`'s live dashboard in a real browser: a store with a team, AI patches by two
//! models, human ones and a review; the real server; Chromium driven through chromedriver
//! (WebDriver, with fantoccini). The page must draw its tiles and charts with the store's
//! numbers, show a record written by another process in its feed without a reload (over the
//! `attestations` subscription), and show that record's claim as verified on its change page.
//! A screenshot goes to `target/artifacts/dashboard.png`.
//!
//! Without Chromium and chromedriver the test says so and passes unrun, unless
//! `ATTRIB_REQUIRE_BROWSER=1` (set by `.ci/run`, which installs both) makes that a failure. `ATTRIB_CHROMIUM` and `ATTRIB_CHROMEDRIVER` point at other binaries.
//!
//! Every wait polls with a deadline; nothing sleeps for a fixed time and hopes.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use attrib_vcs_adapter::testing::REQUIRE_BROWSER;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::support::{Sandbox, User};

/// Long enough for a busy 2-core machine; a passing run takes a fraction of it.
const START: Duration = Duration::from_secs(60);
/// How long a record written by another process may take to reach the page.
const LIVE: Duration = Duration::from_secs(10);

/// The browser and its driver: Debian's `chromium` and `chromium-driver` packages, or what
/// `ATTRIB_CHROMIUM` / `ATTRIB_CHROMEDRIVER` name. `None` (after saying why) when one is
/// missing and `ATTRIB_REQUIRE_BROWSER` does not require the test (CI does).
fn browser_binaries(test: &str) -> Option<(PathBuf, PathBuf)> {
    let pick = |var: &str, default: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(default))
    };
    let chromium = pick("ATTRIB_CHROMIUM", "/usr/bin/chromium");
    let driver = pick("ATTRIB_CHROMEDRIVER", "/usr/bin/chromedriver");
    for (path, what) in [(&chromium, "chromium"), (&driver, "chromedriver")] {
        if !path.is_file() {
            REQUIRE_BROWSER.unmet(
                test,
                &format!(
                    "there is no {what} at {} (ATTRIB_CHROMIUM / ATTRIB_CHROMEDRIVER name other binaries)",
                    path.display()
                ),
            );
            return None;
        }
    }
    Some((chromium, driver))
}

/// A process this test started, killed (with its process group: chromedriver's browser too)
/// when dropped, so that a failing assertion leaves nothing running.
struct Proc {
    name: &'static str,
    child: Child,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

fn collect(pipe: impl std::io::Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            sink.lock().unwrap().push(line);
        }
    });
    lines
}

impl Proc {
    /// Starts `c` in a process group of its own, its output collected.
    fn spawn(name: &'static str, mut c: Command) -> Proc {
        c.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = c
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let stdout = collect(child.stdout.take().unwrap());
        let stderr = collect(child.stderr.take().unwrap());
        Proc {
            name,
            child,
            stdout,
            stderr,
        }
    }

    fn output(&self) -> String {
        format!(
            "{} stdout: {:?}\n{} stderr: {:?}",
            self.name,
            self.stdout.lock().unwrap(),
            self.name,
            self.stderr.lock().unwrap()
        )
    }

    /// Waits for a stdout line for which `pick` gives a value; fails early, with the output,
    /// if the process exits.
    #[track_caller]
    fn wait_line<T>(&mut self, what: &str, pick: impl Fn(&str) -> Option<T>) -> T {
        let start = Instant::now();
        loop {
            if let Some(v) = self.stdout.lock().unwrap().iter().find_map(|l| pick(l)) {
                return v;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "{} exited ({status}) before {what}\n{}",
                    self.name,
                    self.output()
                );
            }
            assert!(
                start.elapsed() < START,
                "{}: no {what} within {START:?}\n{}",
                self.name,
                self.output()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // The group is this child's own (`process_group(0)`): its id is the child's.
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) with a process group id this test created; no memory is involved.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("cannot find a free loopback port")
}

/// `attrib serve --listen 127.0.0.1:0` on `user`'s store; returns it and its base URL (from
/// its `serving http://…` line).
fn start_server(user: &User) -> (Proc, String) {
    start_server_at(user, "127.0.0.1:0")
}

fn start_server_at(user: &User, addr: &str) -> (Proc, String) {
    let mut c = user.cmd();
    c.args(["serve", "--listen", addr]);
    let mut server = Proc::spawn("attrib serve", c);
    let url = server.wait_line("a `serving http://…` line", |l| {
        let at = l.find("http://")?;
        let url = l[at..].split_whitespace().next()?;
        Some(url.trim_end_matches('/').to_string())
    });
    (server, url)
}

/// chromedriver on a free loopback port, once it accepts connections.
fn start_chromedriver(driver: &Path) -> (Proc, String) {
    let port = free_port();
    let mut c = Command::new(driver);
    c.arg(format!("--port={port}"));
    let mut proc = Proc::spawn("chromedriver", c);
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = proc.child.try_wait() {
            panic!("chromedriver exited ({status})\n{}", proc.output());
        }
        assert!(
            start.elapsed() < START,
            "chromedriver does not listen on port {port} after {START:?}\n{}",
            proc.output()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (proc, format!("http://127.0.0.1:{port}"))
}

async fn connect(webdriver: &str, chromium: &Path) -> Client {
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--window-size=1280,1600",
            ],
        },
    });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(webdriver)
        .await
        .unwrap_or_else(|e| panic!("cannot start a Chromium session through {webdriver}: {e}"))
}

/// Runs `body` (a function body: `return …;`) in the page.
async fn js(c: &Client, body: &str) -> Value {
    c.execute(body, vec![])
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{body}"))
}

/// What the page says about itself, for failure messages.
async fn page_state(c: &Client) -> Value {
    c.execute(
        "const b = document.getElementById('error-banner');
         return {
           url: location.href,
           body: Object.assign({}, document.body.dataset),
           errors: b && !b.hidden ? b.innerText : '',
           live: (document.getElementById('live-status') || {}).textContent,
         };",
        vec![],
    )
    .await
    .unwrap_or_else(|e| json!(format!("(cannot read the page: {e})")))
}

/// Polls `body` until it returns something other than null / false, and returns that; fails
/// after `timeout` naming `what`, with the page's state.
async fn until(c: &Client, what: &str, timeout: Duration, body: &str) -> Value {
    let start = Instant::now();
    loop {
        let v = js(c, body).await;
        if !(v.is_null() || v == Value::Bool(false)) {
            return v;
        }
        if start.elapsed() >= timeout {
            panic!(
                "timed out after {timeout:?} waiting for {what}; the page: {:#}",
                page_state(c).await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The banner's text when it shows errors, else "".
async fn errors(c: &Client) -> String {
    let v = js(
        c,
        "const b = document.getElementById('error-banner'); return b.hidden ? '' : b.innerText;",
    )
    .await;
    v.as_str().unwrap_or_default().to_string()
}

/// Every chart's labels and datasets, as drawn.
const CHARTS: &str = "
    const charts = window.attribCharts || {};
    const out = {};
    for (const k of ['timeline', 'models', 'authors', 'types']) {
      const c = charts[k];
      out[k] = c ? { labels: c.data.labels.slice(),
                     datasets: c.data.datasets.map(d => ({ label: d.label, data: d.data.slice() })) }
                 : null;
    }
    return out;";

/// The tiles: id → {value (data-value, raw), text (as shown)}.
const TILES: &str = "
    const out = {};
    for (const t of document.querySelectorAll('.tile')) {
      out[t.id] = { value: t.dataset.value, text: t.querySelector('.tile-value').textContent };
    }
    return out;";

/// A chart's first dataset as label → value.
fn series(charts: &Value, chart: &str) -> BTreeMap<String, f64> {
    let c = &charts[chart];
    let labels = c["labels"]
        .as_array()
        .unwrap_or_else(|| panic!("chart {chart} was not drawn: {charts:#}"));
    let data = c["datasets"][0]["data"].as_array().unwrap();
    assert_eq!(labels.len(), data.len(), "{chart}: {c:#}");
    labels
        .iter()
        .zip(data)
        .map(|(l, v)| {
            (
                l.as_str().unwrap().to_string(),
                v.as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect()
}

fn counts(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn tile<'v>(tiles: &'v Value, id: &str) -> (&'v str, &'v str) {
    (
        tiles[id]["value"].as_str().unwrap_or_default(),
        tiles[id]["text"].as_str().unwrap_or_default(),
    )
}

/// `target/artifacts/NAME` under the workspace root.
fn artifact(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate is in the workspace");
    let dir = root.join("target/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("cannot take a screenshot");
    let path = artifact(name);
    std::fs::write(&path, png).unwrap();
    println!("screenshot: {}", path.display());
}

const CLAUDE: &[&str] = &[
    "--ai-provider",
    "anthropic",
    "--ai-model",
    "claude-sonnet-4",
];
const GPT: &[&str] = &["--ai-provider", "openai", "--ai-model", "gpt-5"];

fn annotate(u: &User, patch: &str, flags: &[&str]) {
    let mut args = vec!["annotate", patch];
    args.extend_from_slice(flags);
    u.run(args).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_draws_the_store_and_follows_it_live() {
    let Some((chromium, driver)) =
        browser_binaries("dashboard_draws_the_store_and_follows_it_live")
    else {
        return;
    };

    // Team "t": ada (founder) and bob. AI patches: two by claude-sonnet-4, one by gpt-5;
    // two human ones; bob reviews one of ada's.
    let sb = Sandbox::new();
    let users = sb.team(&["ada", "bob"]);
    let (ada, bob) = (&users[0], &users[1]);
    annotate(
        ada,
        "A1",
        &[CLAUDE, &["--ai-suggestion-type", "partial"]].concat(),
    );
    annotate(
        ada,
        "A2",
        &[CLAUDE, &["--ai-suggestion-type", "complete"]].concat(),
    );
    annotate(ada, "H1", &["--description", "by hand"]);
    annotate(
        bob,
        "B1",
        &[GPT, &["--ai-suggestion-type", "complete"]].concat(),
    );
    annotate(bob, "B2", &[]);
    ada.pull(&sb, bob);
    ada.run(["review", "B1", "--seconds", "120", "--verdict", "approve"])
        .ok();
    let day = ada.log_json(&[])[0]["time"].as_str().unwrap()[..10].to_string();

    let (server, base) = start_server(ada);
    let (_driver, webdriver) = start_chromedriver(&driver);
    let c = connect(&webdriver, &chromium).await;

    c.goto(&format!("{base}/"))
        .await
        .expect("cannot load the page");
    until(
        &c,
        "the first data (body[data-ready=\"1\"])",
        START,
        "return document.body.dataset.ready === '1';",
    )
    .await;
    assert_eq!(errors(&c).await, "", "the page shows errors");

    // ---- tiles and charts: the store's numbers
    let tiles = js(&c, TILES).await;
    assert_eq!(tile(&tiles, "tile-patches"), ("5", "5"), "{tiles:#}");
    assert_eq!(tile(&tiles, "tile-ai-share"), ("0.6", "60%"), "{tiles:#}");
    assert_eq!(tile(&tiles, "tile-reviewed"), ("0.2", "20%"), "{tiles:#}");
    assert_eq!(tile(&tiles, "tile-members"), ("2", "2"), "{tiles:#}");
    // Outside a repository there are no line counts: the tile says so instead of a number.
    assert_eq!(tile(&tiles, "tile-ai-lines"), ("", "—"), "{tiles:#}");
    let team = js(
        &c,
        "return document.getElementById('team-name').textContent;",
    )
    .await;
    assert_eq!(team, "t");

    let charts = js(&c, CHARTS).await;
    assert_eq!(
        series(&charts, "models"),
        counts(&[("anthropic/claude-sonnet-4", 2.0), ("openai/gpt-5", 1.0)]),
        "AI patches per model: {charts:#}"
    );
    assert_eq!(
        series(&charts, "types"),
        counts(&[("complete", 2.0), ("partial", 1.0)]),
        "AI patches per suggestion type: {charts:#}"
    );
    // Authors: dataset 0 is AI-assisted patches, dataset 1 human ones.
    assert_eq!(
        series(&charts, "authors"),
        counts(&[("ada", 2.0), ("bob", 1.0)]),
        "{charts:#}"
    );
    assert_eq!(
        charts["authors"]["datasets"][1]["data"],
        json!([1, 1]),
        "human patches per author: {charts:#}"
    );
    // Every record is from today: one day, 3 of 5 patches AI-assisted.
    assert_eq!(
        series(&charts, "timeline"),
        counts(&[(&day, 60.0)]),
        "AI share per day (%): {charts:#}"
    );

    // ---- the feed, the node
    let rows = js(
        &c,
        "return [...document.querySelectorAll('#feed .feed-row')].map(r => r.dataset.patch).sort();",
    )
    .await;
    assert_eq!(rows, json!(["A1", "A2", "B1", "B2", "H1"]));
    let href = js(
        &c,
        "return document.querySelector('#feed .feed-row[data-patch=\"B1\"] a').getAttribute('href');",
    )
    .await;
    assert_eq!(href, "#/patch/B1");
    let node = js(&c, "return document.getElementById('node').textContent;").await;
    assert!(
        node.as_str()
            .unwrap()
            .contains("no node running on this store"),
        "{node}"
    );

    // ---- live: a record written by another process appears without a reload
    until(
        &c,
        "the live feed (body[data-live=\"1\"])",
        START,
        "return document.body.dataset.live === '1';",
    )
    .await;
    js(&c, "window.__notReloaded = true; return null;").await;
    let hostile = "<b>not bold</b> & <script>window.__pwned = 1</script>";
    annotate(
        ada,
        "LIVE1",
        &[
            "--ai-provider",
            "mistral",
            "--ai-model",
            "codestral",
            "--ai-suggestion-type",
            "refactor",
            "--description",
            hostile,
        ],
    );
    let started = Instant::now();
    let row = until(
        &c,
        "a feed row for LIVE1",
        LIVE,
        "const r = document.querySelector('#feed .feed-row[data-patch=\"LIVE1\"]');
         return r && { source: r.dataset.source, text: r.textContent,
                       first: document.querySelector('#feed .feed-row') === r,
                       elements: r.querySelectorAll('b, script').length };",
    )
    .await;
    println!("the live row appeared after {:?}", started.elapsed());
    assert_eq!(
        row["source"], "live",
        "it came over the subscription: {row}"
    );
    assert_eq!(row["first"], true, "new rows go on top: {row}");
    assert!(
        row["text"].as_str().unwrap().contains(hostile),
        "the description is shown as text: {row}"
    );
    assert_eq!(row["elements"], 0, "no markup from a description: {row}");
    let same_page = js(
        &c,
        "return window.__notReloaded === true && !window.__pwned;",
    )
    .await;
    assert_eq!(same_page, true, "the page reloaded, or ran a description");

    // …and the tiles and charts follow.
    until(
        &c,
        "the tiles and charts to count LIVE1",
        LIVE,
        "const c = window.attribCharts.models;
         const i = c.data.labels.indexOf('mistral/codestral');
         return document.getElementById('tile-patches').dataset.value === '6'
             && i >= 0 && c.data.datasets[0].data[i] === 1;",
    )
    .await;
    let tiles = js(&c, TILES).await;
    assert_eq!(
        tile(&tiles, "tile-ai-share"),
        ("0.6667", "66.7%"),
        "{tiles:#}"
    );
    screenshot(&c, "dashboard.png").await;

    // ---- the change page: the claim, verified
    c.find(Locator::Css(
        "#feed .feed-row[data-patch=\"LIVE1\"] a.feed-patch",
    ))
    .await
    .expect("the row's link")
    .click()
    .await
    .expect("cannot click the row's link");
    let claim = until(
        &c,
        "the change page of LIVE1",
        START,
        "const d = document.getElementById('patch-detail');
         if (d.dataset.patch !== 'LIVE1' || d.dataset.loaded !== '1') return null;
         return [...d.querySelectorAll('.claim')].map(a => ({
           author: a.dataset.author, verified: a.dataset.verified, kind: a.dataset.kind,
           text: a.textContent }));",
    )
    .await;
    assert_eq!(location_hash(&c).await, "#/patch/LIVE1");
    let claims = claim.as_array().unwrap();
    assert_eq!(claims.len(), 1, "{claim:#}");
    assert_eq!(claims[0]["author"], "ada");
    assert_eq!(claims[0]["verified"], "true", "{claim:#}");
    assert_eq!(claims[0]["kind"], "ai");
    let text = claims[0]["text"].as_str().unwrap();
    for needed in [
        "signature verified",
        "mistral / codestral",
        "refactor",
        hostile,
    ] {
        assert!(
            text.contains(needed),
            "the claim should show {needed:?}: {text}"
        );
    }
    screenshot(&c, "dashboard-change.png").await;

    // A review shows on its patch's page, verified.
    js(&c, "location.hash = '#/patch/B1'; return null;").await;
    let review = until(
        &c,
        "the change page of B1",
        START,
        "const d = document.getElementById('patch-detail');
         if (d.dataset.patch !== 'B1' || d.dataset.loaded !== '1') return null;
         const r = d.querySelector('.review');
         return r && { author: r.dataset.author, verified: r.dataset.verified, text: r.textContent,
                       claims: d.querySelectorAll('.claim').length };",
    )
    .await;
    assert_eq!(review["author"], "ada", "{review:#}");
    assert_eq!(review["verified"], "true", "{review:#}");
    assert_eq!(review["claims"], 1, "{review:#}");
    assert!(
        review["text"].as_str().unwrap().contains("approve"),
        "{review:#}"
    );
    assert_eq!(errors(&c).await, "", "the page shows errors");

    // ---- the server restarts on the same address: the page reconnects and is live again
    js(&c, "location.hash = '#/'; return null;").await;
    let addr = base.trim_start_matches("http://").to_string();
    drop(server);
    until(
        &c,
        "the page to notice the server is gone (body[data-live=\"0\"])",
        START,
        "return document.body.dataset.live === '0';",
    )
    .await;
    let (server, again) = start_server_at(ada, &addr);
    assert_eq!(again, base);
    until(
        &c,
        "the live feed again after a restart",
        START,
        "return document.body.dataset.live === '1';",
    )
    .await;
    annotate(ada, "LIVE2", &["--description", "after the restart"]);
    let row = until(
        &c,
        "a feed row for LIVE2",
        LIVE,
        "const r = document.querySelector('#feed .feed-row[data-patch=\"LIVE2\"]');
         return r && { source: r.dataset.source, kind: r.dataset.kind };",
    )
    .await;
    assert_eq!(row, json!({"source": "live", "kind": "human"}));
    let same_page = js(&c, "return window.__notReloaded === true;").await;
    assert_eq!(same_page, true, "the page reloaded");
    js(
        &c,
        "document.getElementById('error-dismiss').click(); return null;",
    )
    .await;

    // ---- an error from the API is shown, not swallowed: blame needs a Pijul repository.
    js(&c, "location.hash = '#/blame/src/main.rs'; return null;").await;
    let shown = until(
        &c,
        "the error banner for blame",
        START,
        "const b = document.getElementById('error-banner');
         return document.getElementById('blame-output').dataset.loaded === 'error'
             && !b.hidden && b.innerText;",
    )
    .await;
    assert!(
        shown.as_str().unwrap().contains("blame src/main.rs"),
        "{shown}"
    );

    c.close().await.expect("cannot end the browser session");
    drop(server);
}

async fn location_hash(c: &Client) -> String {
    js(c, "return location.hash;")
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}
