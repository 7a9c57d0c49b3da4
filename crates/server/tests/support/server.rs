//! The router served on a free local port for one test, with an HTTP client for it; the server
//! stops when the [`Served`] is dropped.

// Each test crate that includes this module uses part of it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use taio_server::AppState;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A running server.
pub struct Served {
    /// Where it listens.
    pub address: SocketAddr,
    /// `http://<address>`.
    pub base: String,
    /// A client that bypasses any proxy and gives up after a minute.
    pub http: reqwest::Client,
    task: JoinHandle<()>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `state` on a free port of 127.0.0.1.
pub async fn serve(state: AppState) -> Served {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a local port");
    let address = listener.local_addr().expect("local address");
    let app = taio_server::app(state);
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("the server runs");
    });
    let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(60)).build().expect("an HTTP client");
    Served { address, base: format!("http://{address}"), http, task }
}
