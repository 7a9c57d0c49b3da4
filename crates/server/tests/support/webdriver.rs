//! WebDriver over plain HTTP JSON, shared by the headless-Chromium tests.

#![allow(dead_code)]

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;

/// How often a condition is polled.
const POLL: Duration = Duration::from_millis(100);

/// `DELETE /session/{id}` over a plain socket.
pub fn delete_session(driver_port: u16, id: &str) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", driver_port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{driver_port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    // chromedriver answers once Chromium has quit, but may keep the connection open: stop
    // reading at the end of the response headers.
    let mut response = Vec::new();
    let mut chunk = [0; 1024];
    while !response.windows(4).any(|window| window == b"\r\n\r\n") {
        let read = stream.read(&mut chunk)?;
        if read == 0 {
            break;
        }
        response.extend_from_slice(&chunk[..read]);
    }
    Ok(())
}

/// `/usr/bin/<name>`, else the first `<name>` on `PATH`.
pub fn executable(name: &str) -> Option<PathBuf> {
    let usr_bin = Path::new("/usr/bin").join(name);
    if usr_bin.is_file() {
        return Some(usr_bin);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| candidate.is_file())
}

/// Calls `check` until it returns true or `timeout` passes; returns its last answer.
pub async fn poll(timeout: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// One WebDriver request; returns the response's `value`, or the WebDriver error as text.
pub async fn webdriver(
    http: &reqwest::Client,
    method: Method,
    url: &str,
    body: Option<Value>,
) -> Result<Value, String> {
    let mut request = http.request(method.clone(), url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.map_err(|error| format!("{method} {url}: {error}"))?;
    let status = response.status();
    let mut payload: Value =
        response.json().await.map_err(|error| format!("{method} {url}: {status} with an unreadable body: {error}"))?;
    let value = payload.get_mut("value").map(Value::take).unwrap_or_default();
    if status.is_success() {
        Ok(value)
    } else {
        Err(format!(
            "{method} {url}: {status} {}: {}",
            value["error"].as_str().unwrap_or_default(),
            value["message"].as_str().unwrap_or_default(),
        ))
    }
}
