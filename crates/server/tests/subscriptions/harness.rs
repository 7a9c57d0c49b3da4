//! `taio serve` processes on a test database, a GraphQL-over-HTTP client for them, and a
//! WebSocket client speaking `graphql-transport-ws` (and the older `graphql-ws`).

#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener as StdListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A `taio serve` process, killed when dropped.
pub struct Server {
    child: Option<Child>,
    /// Where it listens.
    pub address: SocketAddr,
    /// An HTTP client for it.
    pub http: reqwest::Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> SocketAddr {
    let listener = StdListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address")
}

impl Server {
    /// Starts `taio serve` on `database_url` with extra flags, and waits until it is ready.
    pub async fn start(database_url: &str, flags: &[&str]) -> Self {
        let address = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_taio"))
            .arg("serve")
            .args(["--listen", &address.to_string(), "--database-url", database_url])
            .args(flags)
            .env("TAIO_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start taio serve");
        let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(60)).build().expect("client");
        let server = Self { child: Some(child), address, http };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = server.http.get(format!("http://{address}/readyz")).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return server;
            }
            assert!(Instant::now() < deadline, "taio serve on {address} did not become ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends SIGTERM and waits up to `wait` for the process to exit; whether it did.
    pub async fn terminate(&mut self, wait: Duration) -> bool {
        let Some(child) = &mut self.child else { return false };
        let signalled = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        assert!(signalled.is_ok_and(|s| s.success()), "kill -TERM");
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            if child.try_wait().expect("the server's status").is_some() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// A handle on a server started elsewhere in the test (not stopped when dropped).
    pub fn attach(address: SocketAddr) -> Self {
        let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(60)).build().expect("client");
        Self { child: None, address, http }
    }

    /// Runs a GraphQL operation as `token` and returns its `data`, failing on any error.
    pub async fn gql(&self, token: &str, query: &str, variables: Value) -> Value {
        let body = self.gql_response(token, query, variables).await;
        assert!(body.get("errors").is_none(), "{query}: {body}");
        body["data"].clone()
    }

    /// Runs a GraphQL operation as `token` and returns the whole response.
    pub async fn gql_response(&self, token: &str, query: &str, variables: Value) -> Value {
        self.http
            .post(format!("http://{}/graphql", self.address))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("POST /graphql")
            .json()
            .await
            .expect("a JSON body")
    }

    /// `/metrics` as text.
    pub async fn metrics(&self) -> String {
        self.http
            .get(format!("http://{}/metrics", self.address))
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("text")
    }

    /// One gauge's value from `/metrics`.
    pub async fn gauge(&self, name: &str) -> i64 {
        let text = self.metrics().await;
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} not in /metrics:\n{text}"))
    }

    /// `ws://…/graphql/ws`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/graphql/ws", self.address)
    }
}

/// Which GraphQL-over-WebSocket protocol a client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `graphql-transport-ws` (the `graphql-ws` library, GraphiQL).
    TransportWs,
    /// The older `graphql-ws` (subscriptions-transport-ws).
    LegacyWs,
}

impl Protocol {
    fn header(self) -> &'static str {
        match self {
            Self::TransportWs => "graphql-transport-ws",
            Self::LegacyWs => "graphql-ws",
        }
    }
}

/// A GraphQL WebSocket client.
pub struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    protocol: Protocol,
}

/// What a subscription sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// A result: `data` and perhaps `errors`.
    Next(Value),
    /// The subscription ended.
    Complete,
    /// The server closed the connection (code, reason).
    Closed(Option<u16>, String),
}

impl WsClient {
    /// Opens a connection and sends `connection_init` with `payload`, without waiting for the
    /// answer.
    pub async fn open(url: &str, protocol: Protocol, payload: Value, receive_buffer: Option<u32>) -> Self {
        let mut client = Self::handshake(url, protocol, receive_buffer).await;
        let init = json!({ "type": "connection_init", "payload": payload });
        client.socket.send(Message::text(init.to_string())).await.expect("send connection_init");
        client
    }

    /// Opens a connection and sends nothing.
    pub async fn handshake(url: &str, protocol: Protocol, receive_buffer: Option<u32>) -> Self {
        let mut request = url.into_client_request().expect("a WebSocket request");
        request.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_static(protocol.header()));
        let host = request.uri().authority().expect("an authority").as_str().to_owned();
        let address: SocketAddr = host.parse().expect("a socket address");
        let socket = TcpSocket::new_v4().expect("a socket");
        if let Some(size) = receive_buffer {
            socket.set_recv_buffer_size(size).expect("receive buffer");
        }
        let stream = socket.connect(address).await.expect("connect");
        let (socket, response) =
            tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream)).await.expect("WebSocket handshake");
        let chosen = response.headers().get("sec-websocket-protocol").and_then(|v| v.to_str().ok());
        assert_eq!(chosen, Some(protocol.header()), "the server speaks the protocol asked for");
        Self { socket, protocol }
    }

    /// Opens a connection authenticated with `token` and waits for `connection_ack`.
    pub async fn connect(url: &str, protocol: Protocol, token: &str) -> Self {
        Self::connect_with(url, protocol, token, None).await
    }

    /// As [`Self::connect`], with the socket's receive buffer set to `receive_buffer` bytes.
    pub async fn connect_with(url: &str, protocol: Protocol, token: &str, receive_buffer: Option<u32>) -> Self {
        let mut client = Self::open(url, protocol, json!({ "token": token }), receive_buffer).await;
        let ack = client.message(Duration::from_secs(30)).await;
        assert_eq!(ack.as_ref().map(|m| m["type"].clone()), Some(json!("connection_ack")), "{ack:?}");
        client
    }

    /// Starts subscription `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let kind = match self.protocol {
            Protocol::TransportWs => "subscribe",
            Protocol::LegacyWs => "start",
        };
        let message = json!({ "id": id, "type": kind, "payload": { "query": query, "variables": variables } });
        self.socket.send(Message::text(message.to_string())).await.expect("send subscribe");
    }

    /// Stops subscription `id`.
    pub async fn stop(&mut self, id: &str) {
        let kind = match self.protocol {
            Protocol::TransportWs => "complete",
            Protocol::LegacyWs => "stop",
        };
        let message = json!({ "id": id, "type": kind });
        self.socket.send(Message::text(message.to_string())).await.expect("send stop");
    }

    /// The next protocol message (pings answered, keep-alives skipped); `None` when the socket
    /// closed, with the close frame as `{"type": "close", "code": …, "reason": …}`.
    pub async fn message(&mut self, wait: Duration) -> Option<Value> {
        loop {
            let frame = tokio::time::timeout(wait, self.socket.next()).await.expect("a message in time");
            match frame {
                None | Some(Err(_)) => return None,
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(&text).expect("a JSON message");
                    match value["type"].as_str() {
                        Some("ping") => {
                            let pong = json!({ "type": "pong" }).to_string();
                            self.socket.send(Message::text(pong)).await.expect("send pong");
                        }
                        Some("ka") => {}
                        _ => return Some(value),
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    let (code, reason) =
                        frame.map_or((None, String::new()), |f| (Some(u16::from(f.code)), f.reason.to_string()));
                    return Some(json!({ "type": "close", "code": code, "reason": reason }));
                }
                Some(Ok(_)) => {}
            }
        }
    }

    /// The next delivery of any subscription.
    pub async fn delivery(&mut self, wait: Duration) -> Delivery {
        match self.message(wait).await {
            None => Delivery::Closed(None, String::new()),
            Some(m) => match m["type"].as_str() {
                Some("next" | "data") => Delivery::Next(m["payload"].clone()),
                Some("complete") => Delivery::Complete,
                Some("close") => Delivery::Closed(
                    m["code"].as_u64().and_then(|c| u16::try_from(c).ok()),
                    m["reason"].as_str().unwrap_or_default().to_owned(),
                ),
                Some("error") => Delivery::Next(json!({ "errors": m["payload"] })),
                _ => panic!("unexpected message {m}"),
            },
        }
    }

    /// Collects `count` events of subscription deliveries, failing on errors or an early end.
    pub async fn events(&mut self, count: usize, wait: Duration) -> Vec<Value> {
        let mut events = Vec::with_capacity(count);
        while events.len() < count {
            match self.delivery(wait).await {
                Delivery::Next(payload) => {
                    assert!(payload.get("errors").is_none(), "after {} events: {payload}", events.len());
                    events.push(payload["data"]["incidentEvents"].clone());
                }
                other => panic!("after {} of {count} events: {other:?}", events.len()),
            }
        }
        events
    }

    /// Asserts nothing arrives within `wait`.
    pub async fn quiet_for(&mut self, wait: Duration) {
        match tokio::time::timeout(wait, self.socket.next()).await {
            Err(_) => {}
            Ok(frame) => panic!("expected silence, got {frame:?}"),
        }
    }

    /// Closes the connection.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

/// The events subscription the tests use.
pub const EVENTS: &str = "subscription($team: ID, $incident: ID, $after: String) {
  incidentEvents(teamId: $team, incidentId: $incident, after: $after) {
    cursor kind incidentId teamId version changedFields fromState toState actionId actionStage
    actor { name }
    incident { id key version stage status }
  }
}";

pub const REPORT: &str = "mutation($team: ID!, $title: String!) {
  reportIncident(input: { teamId: $team, title: $title, source: INTERNAL_MONITORING }) { id version }
}";

pub const ACTION: &str = "mutation($incident: ID!, $summary: String!) {
  recordAction(input: { incidentId: $incident, kind: NOTE, summary: $summary, services: [\"C-4\"] }) { id }
}";

pub const ACKNOWLEDGE: &str = "mutation($incident: ID!, $version: Int!) {
  acknowledgeIncident(input: { incidentId: $incident, expectedVersion: $version }) { version }
}";

/// The cursor's position.
pub fn position(cursor: &Value) -> i64 {
    cursor
        .as_str()
        .and_then(|c| c.strip_prefix("ev:"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a cursor: {cursor}"))
}
