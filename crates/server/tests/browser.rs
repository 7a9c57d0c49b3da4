//! End-to-end check of the bundled GraphiQL: the real `taio` binary serves the page, headless
//! Chromium (driven over plain WebDriver HTTP) runs the default query with a saved token, and the
//! page loads nothing from any host but the server.
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install chromium chromium-driver`).
//! Without them the test is skipped with a notice, unless `CI` or `TAIO_REQUIRE_BROWSER` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

#[path = "support/webdriver.rs"]
mod webdriver;

use webdriver::{delete_session, executable, poll, webdriver};

const TAIO: &str = env!("CARGO_BIN_EXE_taio");
const TEAM_KEY: &str = "GIQL-E2E";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
const PAGE_TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(100);
/// The W3C WebDriver key under which an element reference is returned.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The query editor's CodeMirror 5 instance, ready once it holds the default query.
const QUERY_EDITOR_READY: &str = "const cm = document.querySelector('.graphiql-query-editor .CodeMirror'); \
     return Boolean(cm && cm.CodeMirror && cm.CodeMirror.getValue().includes('catalog'));";
/// The result pane's text (GraphiQL 3 renders it with CodeMirror 5 in `section.result-window`).
const RESULT_TEXT: &str = "const cm = document.querySelector('.result-window .CodeMirror'); \
     if (cm && cm.CodeMirror) { return cm.CodeMirror.getValue(); } \
     const pane = document.querySelector('.result-window'); \
     return pane ? pane.innerText : '';";
const RESOURCE_URLS: &str = "return performance.getEntriesByType('resource').map((entry) => entry.name);";

#[tokio::test]
async fn graphiql_runs_a_query_in_headless_chromium() {
    let Some(browser) = Browser::find() else {
        let message = "chromedriver or chromium not found: install the `chromium` and `chromium-driver` \
                       packages (Debian/Ubuntu) to run the GraphiQL browser test";
        if std::env::var_os("CI").is_some() || std::env::var_os("TAIO_REQUIRE_BROWSER").is_some() {
            panic!("{message}");
        }
        eprintln!("note: skipping graphiql_runs_a_query_in_headless_chromium: {message}");
        return;
    };

    let scratch = ScratchDir::new();
    let database_url = format!("sqlite://{}?mode=rwc", scratch.path.join("taio.db").display());
    taio(&["team", "create", "--key", TEAM_KEY, "--name", "GraphiQL browser test", "--database-url", &database_url])
        .await;
    let token = taio(&[
        "token",
        "create",
        "--team",
        TEAM_KEY,
        "--role",
        "lead",
        "--name",
        "Browser Tester",
        "--database-url",
        &database_url,
    ])
    .await
    .lines()
    .map(str::trim)
    .rfind(|line| !line.is_empty())
    .unwrap_or_default()
    .to_owned();
    assert!(!token.is_empty(), "`taio token create` printed no token");

    let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(60)).build().expect("HTTP client");

    let port = free_port();
    let origin = format!("http://127.0.0.1:{port}");
    let server_log = scratch.path.join("serve.log");
    let log_file = std::fs::File::create(&server_log).expect("server log file");
    let mut server = Command::new(TAIO)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", &database_url])
        .stdin(Stdio::null())
        .stdout(Stdio::from(log_file.try_clone().expect("server log file")))
        .stderr(Stdio::from(log_file))
        .kill_on_drop(true)
        .spawn()
        .expect("spawn `taio serve`");
    wait_until_healthy(&http, &origin, &mut server, &server_log).await;

    let root_page = http.get(format!("{origin}/")).send().await.expect("GET /");
    assert!(root_page.status().is_success(), "GET / answered {}", root_page.status());
    let root_html = root_page.text().await.expect("GET / body");
    assert!(root_html.contains("/assets/graphiql.js"), "GET / does not serve the GraphiQL page:\n{root_html}");

    // Declared before the session so that the session is deleted (and Chromium quits) before
    // chromedriver is killed.
    let (_driver, driver_port) = browser.start_driver(&http).await;
    let session = Session::start(&http, driver_port, &browser.chromium).await;

    session.navigate(&format!("{origin}/graphiql")).await;
    session.script("window.localStorage.setItem('taio.token', arguments[0]); return null;", json!([token])).await;
    session.command(Method::POST, "refresh", json!({})).await.expect("reload the page");

    let ready = poll(PAGE_TIMEOUT, async || session.script(QUERY_EDITOR_READY, json!([])).await == json!(true)).await;
    assert!(ready, "GraphiQL's query editor never showed the default query");
    let button = session.find(".graphiql-execute-button", PAGE_TIMEOUT).await;
    session
        .command(Method::POST, &format!("element/{button}/click"), json!({}))
        .await
        .expect("click the execute button");

    let mut result = String::new();
    let answered = poll(PAGE_TIMEOUT, async || {
        result = session.script(RESULT_TEXT, json!([])).await.as_str().unwrap_or_default().to_owned();
        result.contains(TEAM_KEY)
    })
    .await;

    let screenshot = screenshot_path();
    session.save_screenshot(&screenshot).await;
    assert!(
        answered,
        "the result pane never showed team {TEAM_KEY}; it shows:\n{result}\nscreenshot: {}\nserver log:\n{}",
        screenshot.display(),
        std::fs::read_to_string(&server_log).unwrap_or_default(),
    );

    // A subscription runs over the WebSocket: an incident reported elsewhere shows in the pane.
    let subscription = "subscription { incidentEvents { kind incident { title } } }";
    session
        .script(
            "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(arguments[0]); return null;",
            json!([subscription]),
        )
        .await;
    session
        .command(Method::POST, &format!("element/{button}/click"), json!({}))
        .await
        .expect("click the execute button");
    let subscribed = poll(PAGE_TIMEOUT, async || {
        let metrics = http.get(format!("{origin}/metrics")).send().await.expect("GET /metrics").text().await;
        metrics.is_ok_and(|m| m.lines().any(|l| l == "taio_subscriptions_active 1"))
    })
    .await;
    if !subscribed {
        session.save_screenshot(&screenshot.with_file_name("graphiql-subscription.png")).await;
        let pane = session.script(RESULT_TEXT, json!([])).await;
        let editor = session
            .script(
                "return document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue();",
                json!([]),
            )
            .await;
        panic!("GraphiQL never opened the subscription; the editor holds {editor}, the result pane shows {pane}");
    }
    let graphql = |query: &'static str, variables: Value| {
        let request = http.post(format!("{origin}/graphql")).bearer_auth(&token);
        async move {
            let body: Value = request
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await
                .expect("POST /graphql")
                .json()
                .await
                .expect("JSON");
            assert!(body.get("errors").is_none(), "{body}");
            body["data"].clone()
        }
    };
    let me = graphql("{ me { teams { team { id } } } }", json!({})).await;
    let team = me["me"]["teams"][0]["team"]["id"].clone();
    graphql(
        "mutation($team: ID!) { reportIncident(input: { teamId: $team, title: \"Seen live in GraphiQL\" }) { id } }",
        json!({ "team": team }),
    )
    .await;
    let mut live = String::new();
    let shown = poll(PAGE_TIMEOUT, async || {
        live = session.script(RESULT_TEXT, json!([])).await.as_str().unwrap_or_default().to_owned();
        live.contains("Seen live in GraphiQL") && live.contains("REPORTED")
    })
    .await;
    session.save_screenshot(&screenshot.with_file_name("graphiql-subscription.png")).await;
    assert!(shown, "the subscription's event never showed in the result pane; it shows:\n{live}");

    // `data:` URLs (GraphiQL's embedded fonts) are listed too; they never reach the network.
    let entries = session.script(RESOURCE_URLS, json!([])).await;
    let resources: Vec<&str> = entries
        .as_array()
        .expect("resource list")
        .iter()
        .filter_map(Value::as_str)
        .filter(|url| !url.starts_with("data:"))
        .collect();
    assert!(
        resources.iter().any(|url| url.ends_with("/assets/vendor/graphiql.min.js")),
        "the page did not load the vendored GraphiQL: {resources:?}"
    );
    let local = format!("{origin}/");
    let foreign: Vec<&str> = resources.iter().copied().filter(|url| !url.starts_with(local.as_str())).collect();
    assert!(foreign.is_empty(), "the page loaded resources from elsewhere than {origin}: {foreign:?}");
}

/// Runs a `taio` command line to completion and returns its standard output.
async fn taio(args: &[&str]) -> String {
    let output = Command::new(TAIO).args(args).stdin(Stdio::null()).output().await.expect("run taio");
    assert!(
        output.status.success(),
        "`taio {}` failed with {}:\n{}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stderr),
    );
    String::from_utf8(output.stdout).expect("taio prints UTF-8")
}

async fn wait_until_healthy(http: &reqwest::Client, origin: &str, server: &mut Child, log: &Path) {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        if let Ok(response) = http.get(format!("{origin}/healthz")).send().await
            && response.status().is_success()
        {
            return;
        }
        if let Some(status) = server.try_wait().expect("poll `taio serve`") {
            panic!("`taio serve` exited with {status}:\n{}", std::fs::read_to_string(log).unwrap_or_default());
        }
        assert!(
            Instant::now() < deadline,
            "`taio serve` was not healthy within {STARTUP_TIMEOUT:?}:\n{}",
            std::fs::read_to_string(log).unwrap_or_default(),
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Binds port 0 to let the OS choose a free port, then releases it for the real listener.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind a free port").local_addr().expect("local address").port()
}

/// `<target>/browser/graphiql.png`; `<target>` is `CARGO_TARGET_DIR` or the workspace's `target`.
fn screenshot_path() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace.join("target"), |dir| workspace.join(dir));
    target.join("browser").join("graphiql.png")
}

/// A unique directory under the system temp dir, removed on drop.
struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    fn new() -> Self {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_nanos();
        let path = std::env::temp_dir().join(format!("taio-browser-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("create scratch dir");
        Self { path }
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Where chromedriver and Chromium are installed.
struct Browser {
    chromedriver: PathBuf,
    chromium: PathBuf,
}

impl Browser {
    fn find() -> Option<Self> {
        let chromium = executable("chromium").or_else(|| executable("chromium-browser"))?;
        Some(Self { chromedriver: executable("chromedriver")?, chromium })
    }

    /// Starts chromedriver on a free port and waits until it accepts sessions.
    async fn start_driver(&self, http: &reqwest::Client) -> (Child, u16) {
        let port = free_port();
        let mut driver = Command::new(&self.chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn chromedriver");
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Ok(status) = webdriver(http, Method::GET, &format!("http://127.0.0.1:{port}/status"), None).await
                && status["ready"] == json!(true)
            {
                return (driver, port);
            }
            if let Some(status) = driver.try_wait().expect("poll chromedriver") {
                panic!("chromedriver exited with {status}");
            }
            assert!(Instant::now() < deadline, "chromedriver was not ready within {STARTUP_TIMEOUT:?}");
            tokio::time::sleep(POLL).await;
        }
    }
}

/// A WebDriver session, deleted on drop so that Chromium quits even when an assertion fails.
struct Session {
    http: reqwest::Client,
    driver_port: u16,
    id: String,
}

impl Session {
    async fn start(http: &reqwest::Client, driver_port: u16, chromium: &Path) -> Self {
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": chromium.to_string_lossy(),
                        "args": [
                            "--headless=new",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-background-networking",
                            "--disable-component-update",
                            "--disable-sync",
                            "--no-first-run",
                            "--no-proxy-server",
                            "--window-size=1280,900",
                        ],
                    },
                },
            },
        });
        let url = format!("http://127.0.0.1:{driver_port}/session");
        let session = webdriver(http, Method::POST, &url, Some(capabilities))
            .await
            .unwrap_or_else(|error| panic!("Chromium did not start: {error}"));
        let id = session["sessionId"].as_str().expect("new session has an id").to_owned();
        Self { http: http.clone(), driver_port, id }
    }

    /// Sends a session command such as `url` or `element/{id}/click`.
    async fn command(&self, method: Method, command: &str, body: Value) -> Result<Value, String> {
        let url = format!("http://127.0.0.1:{}/session/{}/{command}", self.driver_port, self.id);
        let body = (method != Method::GET).then_some(body);
        webdriver(&self.http, method, &url, body).await
    }

    async fn navigate(&self, url: &str) {
        self.command(Method::POST, "url", json!({ "url": url }))
            .await
            .unwrap_or_else(|error| panic!("could not open {url}: {error}"));
    }

    async fn script(&self, script: &str, args: Value) -> Value {
        self.command(Method::POST, "execute/sync", json!({ "script": script, "args": args }))
            .await
            .unwrap_or_else(|error| panic!("script failed: {error}\n{script}"))
    }

    /// Waits for an element matching a CSS selector and returns its WebDriver reference.
    async fn find(&self, selector: &str, timeout: Duration) -> String {
        let query = json!({ "using": "css selector", "value": selector });
        let mut found = None;
        poll(timeout, async || {
            found = self.command(Method::POST, "element", query.clone()).await.ok();
            found.is_some()
        })
        .await;
        let element = found.unwrap_or_else(|| panic!("no element matches {selector} after {timeout:?}"));
        element[ELEMENT_KEY].as_str().expect("element reference").to_owned()
    }

    async fn save_screenshot(&self, path: &Path) {
        let encoded = self.command(Method::GET, "screenshot", Value::Null).await.expect("take a screenshot");
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().expect("screenshot is base64 text"))
            .expect("screenshot is valid base64");
        std::fs::create_dir_all(path.parent().expect("screenshot directory")).expect("create screenshot directory");
        std::fs::write(path, png).expect("write screenshot");
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Blocking on purpose: drop cannot await, and it also runs when an assertion fails.
        let _ = delete_session(self.driver_port, &self.id);
    }
}
