//! Prometheus metrics: request counters and latency histograms kept in memory, gauges read from
//! the database when `/metrics` is scraped, and their text exposition (format 0.0.4).
//!
//! Label values stay few. An operation is labelled with its name only when the name is a plain
//! identifier of at most 64 characters and one of the first [`MAX_OPERATION_NAMES`] names seen
//! executing; every other name is `other`. Requests refused before their operation could be read
//! (no token, a body that is not JSON, a document that does not parse) are `unknown`, and an
//! operation without a name is `anonymous`.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use taio_persistence::{OpenIncidentCount, PoolUse};

use crate::app::AppState;

/// The media type of the text exposition format.
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Most distinct operation names labelled by name; later ones are `other`.
pub(crate) const MAX_OPERATION_NAMES: usize = 200;

/// Longest operation name labelled by name.
const MAX_NAME_LENGTH: usize = 64;

/// Upper bounds of the latency buckets, in seconds: from a cached read to the default request
/// timeout.
const BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// The label of a request whose operation was never read.
const UNKNOWN: &str = "unknown";
/// The label of an operation without a name.
const ANONYMOUS: &str = "anonymous";
/// The label of a name past the cap, or not a plain identifier.
const OTHER: &str = "other";

/// The kind of a GraphQL operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) enum OperationType {
    Query,
    Mutation,
    Subscription,
    /// Not read, or not in the document.
    #[default]
    Unknown,
}

impl OperationType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Query => "query",
            Self::Mutation => "mutation",
            Self::Subscription => "subscription",
            Self::Unknown => UNKNOWN,
        }
    }
}

impl From<async_graphql::parser::types::OperationType> for OperationType {
    fn from(value: async_graphql::parser::types::OperationType) -> Self {
        use async_graphql::parser::types::OperationType as Parsed;
        match value {
            Parsed::Query => Self::Query,
            Parsed::Mutation => Self::Mutation,
            Parsed::Subscription => Self::Subscription,
        }
    }
}

/// How a GraphQL request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Outcome {
    /// Executed without errors.
    Ok,
    /// Executed with errors, or failed on the server's side (timeout, database unavailable).
    Error,
    /// Refused before execution: not a valid request, past a limit, or invalid against the schema.
    Rejected,
    /// No valid token.
    Unauthenticated,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Error => "error",
            Self::Rejected => "rejected",
            Self::Unauthenticated => "unauthenticated",
        }
    }
}

/// What the GraphQL handler learns about one request as it goes; read once it has answered (or
/// timed out).
#[derive(Debug, Default)]
pub(crate) struct Observation {
    inner: Mutex<Observed>,
}

#[derive(Debug, Default, Clone)]
struct Observed {
    /// `None` until read; then the operation's name, `None` when it has none.
    operation: Option<Option<String>>,
    kind: OperationType,
    outcome: Option<Outcome>,
}

impl Observation {
    fn lock(&self) -> MutexGuard<'_, Observed> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The operation the request selects: its name (if any) and kind.
    pub(crate) fn operation(&self, name: Option<&str>, kind: OperationType) {
        let mut observed = self.lock();
        observed.operation = Some(name.map(|n| n.chars().take(MAX_NAME_LENGTH + 1).collect()));
        observed.kind = kind;
    }

    /// How the request ended; the first outcome given stands.
    pub(crate) fn outcome(&self, outcome: Outcome) {
        self.lock().outcome.get_or_insert(outcome);
    }

    /// The outcome given, or else the one `status` implies: 401 is unauthenticated, 5xx an error,
    /// anything else a refusal (a request that executed always has an outcome).
    fn finish(&self, status: StatusCode) -> Observed {
        let mut observed = self.lock().clone();
        observed.outcome.get_or_insert(if status == StatusCode::UNAUTHORIZED {
            Outcome::Unauthenticated
        } else if status.is_server_error() {
            Outcome::Error
        } else {
            Outcome::Rejected
        });
        observed
    }
}

/// A latency histogram: counts per bucket (not cumulative), their sum and their number.
#[derive(Debug, Clone, Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[bucket] += 1;
        }
        self.sum += seconds;
        self.count += 1;
    }
}

/// The counters and histograms kept between scrapes.
#[derive(Debug, Default)]
struct Series {
    names: BTreeSet<String>,
    requests: BTreeMap<(String, OperationType, Outcome), u64>,
    durations: BTreeMap<(String, OperationType), Histogram>,
    http: BTreeMap<(&'static str, u16), u64>,
}

impl Series {
    /// The label for operation `name`: the name itself when it is a plain identifier already
    /// labelled, or new and `admit`ted while there is room.
    fn label(&mut self, name: &str, admit: bool) -> String {
        if !is_plain_name(name) {
            return OTHER.to_owned();
        }
        if self.names.contains(name) {
            return name.to_owned();
        }
        if admit && self.names.len() < MAX_OPERATION_NAMES {
            self.names.insert(name.to_owned());
            return name.to_owned();
        }
        OTHER.to_owned()
    }
}

/// Whether `name` matches `[A-Za-z_][A-Za-z0-9_]{0,63}`.
fn is_plain_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= MAX_NAME_LENGTH
}

/// The process's metrics registry.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    series: Mutex<Series>,
    websockets: AtomicI64,
}

/// What is read from the database at scrape time.
#[derive(Debug, Clone, Default)]
pub(crate) struct Snapshot {
    /// Statements run since the pool was opened.
    pub statements: u64,
    /// The pool, when the driver tells.
    pub pool: Option<PoolUse>,
    /// Open incidents by team, stage and severity; `None` when the database did not answer.
    pub open_incidents: Option<Vec<OpenIncidentCount>>,
    /// Open subscriptions on this server.
    pub subscriptions: i64,
    /// The position of the last event this server broadcast to its subscribers.
    pub events_broadcast: i64,
}

impl Metrics {
    /// Counts a WebSocket connection as open.
    pub(crate) fn websocket_opened(&self) {
        self.websockets.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a WebSocket connection as closed.
    pub(crate) fn websocket_closed(&self) {
        self.websockets.fetch_sub(1, Ordering::Relaxed);
    }

    fn lock(&self) -> MutexGuard<'_, Series> {
        self.series.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one GraphQL request that answered `status` after `elapsed`. A new operation name is
    /// admitted only by a request that was executed, so refused documents cannot take the slots.
    pub(crate) fn record_graphql(&self, observation: &Observation, status: StatusCode, elapsed: Duration) {
        let observed = observation.finish(status);
        let outcome = observed.outcome.unwrap_or(Outcome::Rejected);
        let mut series = self.lock();
        let operation = match &observed.operation {
            None => UNKNOWN.to_owned(),
            Some(None) => ANONYMOUS.to_owned(),
            Some(Some(name)) => series.label(name, matches!(outcome, Outcome::Ok | Outcome::Error)),
        };
        *series.requests.entry((operation.clone(), observed.kind, outcome)).or_default() += 1;
        series.durations.entry((operation, observed.kind)).or_default().observe(elapsed.as_secs_f64());
    }

    /// Counts one answer of a route other than `/graphql`.
    fn record_http(&self, route: &'static str, status: StatusCode) {
        *self.lock().http.entry((route, status.as_u16())).or_default() += 1;
    }

    /// The exposition of every metric, with `snapshot` for the database's.
    pub(crate) fn render(&self, snapshot: &Snapshot) -> String {
        let mut out = String::new();
        let series = self.lock();

        family(&mut out, "taio_build_info", "gauge", "Always 1; the version of the running Taiō.");
        sample(&mut out, "taio_build_info", &[("version", env!("CARGO_PKG_VERSION"))], 1);

        family(
            &mut out,
            "taio_graphql_requests_total",
            "counter",
            "GraphQL requests by operation, operation type and outcome (ok, error, rejected, unauthenticated).",
        );
        for ((operation, kind, outcome), count) in &series.requests {
            let labels = [("operation", operation.as_str()), ("type", kind.as_str()), ("outcome", outcome.as_str())];
            sample(&mut out, "taio_graphql_requests_total", &labels, *count);
        }

        family(
            &mut out,
            "taio_graphql_request_duration_seconds",
            "histogram",
            "Time to answer a GraphQL request, in seconds, by operation and operation type.",
        );
        for ((operation, kind), histogram) in &series.durations {
            let labels = [("operation", operation.as_str()), ("type", kind.as_str())];
            let mut cumulative = 0;
            for (bound, count) in BUCKETS.iter().zip(histogram.buckets) {
                cumulative += count;
                let le = bound.to_string();
                sample(
                    &mut out,
                    "taio_graphql_request_duration_seconds_bucket",
                    &[labels[0], labels[1], ("le", &le)],
                    cumulative,
                );
            }
            sample(
                &mut out,
                "taio_graphql_request_duration_seconds_bucket",
                &[labels[0], labels[1], ("le", "+Inf")],
                histogram.count,
            );
            sample(&mut out, "taio_graphql_request_duration_seconds_sum", &labels, histogram.sum);
            sample(&mut out, "taio_graphql_request_duration_seconds_count", &labels, histogram.count);
        }

        family(
            &mut out,
            "taio_http_requests_total",
            "counter",
            "Requests to routes other than /graphql, by route and status.",
        );
        for ((route, status), count) in &series.http {
            sample(&mut out, "taio_http_requests_total", &[("route", route), ("status", &status.to_string())], *count);
        }
        drop(series);

        family(&mut out, "taio_websocket_connections", "gauge", "Open WebSocket connections at /graphql/ws.");
        sample(&mut out, "taio_websocket_connections", &[], self.websockets.load(Ordering::Relaxed));
        family(&mut out, "taio_subscriptions_active", "gauge", "Open GraphQL subscriptions on this server.");
        sample(&mut out, "taio_subscriptions_active", &[], snapshot.subscriptions);
        family(
            &mut out,
            "taio_event_log_position",
            "gauge",
            "Position of the last incident event this server broadcast to its subscribers.",
        );
        sample(&mut out, "taio_event_log_position", &[], snapshot.events_broadcast);

        family(&mut out, "taio_db_statements_total", "counter", "SQL statements run since the pool was opened.");
        sample(&mut out, "taio_db_statements_total", &[], snapshot.statements);

        family(&mut out, "taio_db_pool_connections", "gauge", "Open database connections, idle or in use.");
        if let Some(pool) = snapshot.pool {
            sample(&mut out, "taio_db_pool_connections", &[("state", "idle")], pool.idle);
            sample(&mut out, "taio_db_pool_connections", &[("state", "in_use")], pool.in_use());
        }
        family(&mut out, "taio_db_pool_max_connections", "gauge", "The most connections the pool may open.");
        if let Some(pool) = snapshot.pool {
            sample(&mut out, "taio_db_pool_max_connections", &[], pool.max);
        }

        family(&mut out, "taio_db_up", "gauge", "1 when the database answered this scrape's query, else 0.");
        sample(&mut out, "taio_db_up", &[], u8::from(snapshot.open_incidents.is_some()));

        family(
            &mut out,
            "taio_open_incidents",
            "gauge",
            "Open incidents by team key, stage and severity (none while unclassified).",
        );
        for count in snapshot.open_incidents.iter().flatten() {
            let severity = count.severity.as_deref().map_or_else(|| "none".to_owned(), str::to_ascii_lowercase);
            let labels = [("team", count.team.as_str()), ("stage", count.stage.as_str()), ("severity", &severity)];
            sample(&mut out, "taio_open_incidents", &labels, count.count);
        }
        out
    }
}

/// Writes the `# HELP` and `# TYPE` lines of a metric family.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Writes one sample line: `name{label="value",…} value`.
fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (label, text)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{label}=\"{}\"", escape_label_value(text));
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

/// A label value as the text format requires: backslash, double quote and line feed escaped.
pub(crate) fn escape_label_value(value: &str) -> Cow<'_, str> {
    if !value.contains(['\\', '"', '\n']) {
        return Cow::Borrowed(value);
    }
    let mut escaped = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            c => escaped.push(c),
        }
    }
    Cow::Owned(escaped)
}

/// A `# HELP` text as the text format requires: backslash and line feed escaped.
fn escape_help(value: &str) -> Cow<'_, str> {
    if !value.contains(['\\', '\n']) {
        return Cow::Borrowed(value);
    }
    Cow::Owned(value.replace('\\', "\\\\").replace('\n', "\\n"))
}

/// `GET /metrics`: the exposition, behind the metrics token when one is set.
pub(crate) async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.edge.metrics_token {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim);
        if !presented.is_some_and(|presented| token.matches(presented)) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"taio-metrics\""))],
                "send Authorization: Bearer <metrics token>\n",
            )
                .into_response();
        }
    }
    let gauges = state.database.gauges();
    let open_incidents = match tokio::time::timeout(state.edge.request_timeout, gauges.open_incidents()).await {
        Ok(Ok(counts)) => Some(counts),
        Ok(Err(error)) => {
            tracing::warn!(%error, "metrics: counting open incidents failed");
            None
        }
        Err(_) => {
            tracing::warn!("metrics: counting open incidents timed out");
            None
        }
    };
    let snapshot = Snapshot {
        statements: state.database.statement_count(),
        pool: gauges.pool(),
        open_incidents,
        subscriptions: state.services.events.active_subscriptions(),
        events_broadcast: state.services.events.broadcast_up_to().value(),
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        state.metrics.render(&snapshot),
    )
        .into_response()
}

/// Middleware counting the answers of every route but `/graphql` (whose requests are counted by
/// operation), labelled by route pattern so that unknown paths add no series.
pub(crate) async fn count_http(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = route_of(request.uri().path());
    let response = next.run(request).await;
    if let Some(route) = route {
        state.metrics.record_http(route, response.status());
    }
    response
}

/// The route a path is served by; `None` for `/graphql`.
fn route_of(path: &str) -> Option<&'static str> {
    Some(match path {
        "/graphql" => return None,
        "/graphql/ws" => "/graphql/ws",
        "/" => "/",
        "/graphiql" => "/graphiql",
        "/dashboard" => "/dashboard",
        "/healthz" => "/healthz",
        "/readyz" => "/readyz",
        "/metrics" => "/metrics",
        _ if path.starts_with("/assets/") => "/assets",
        _ => OTHER,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed(name: Option<&str>, kind: OperationType, outcome: Outcome) -> Observation {
        let observation = Observation::default();
        observation.operation(name, kind);
        observation.outcome(outcome);
        observation
    }

    fn render(metrics: &Metrics) -> String {
        metrics.render(&Snapshot::default())
    }

    #[test]
    fn backslashes_quotes_and_line_feeds_in_label_values_are_escaped() {
        assert_eq!(escape_label_value("SOC"), "SOC");
        assert_eq!(escape_label_value(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape_label_value("line\nbreak"), r"line\nbreak");
        assert_eq!(escape_label_value("\\n"), r"\\n");
        let mut out = String::new();
        sample(&mut out, "m", &[("team", "x\"} 1\ny")], 2);
        assert_eq!(out, "m{team=\"x\\\"} 1\\ny\"} 2\n");
    }

    #[test]
    fn help_texts_escape_backslashes_and_line_feeds_only() {
        assert_eq!(escape_help("a \"b\"\\c\nd"), "a \"b\"\\\\c\\nd");
    }

    #[test]
    fn only_plain_identifiers_of_at_most_64_characters_are_names() {
        assert!(is_plain_name("Board"));
        assert!(is_plain_name("_x9"));
        assert!(is_plain_name(&"a".repeat(64)));
        assert!(!is_plain_name(&"a".repeat(65)));
        assert!(!is_plain_name("9lives"));
        assert!(!is_plain_name(""));
        assert!(!is_plain_name("a-b"));
        assert!(!is_plain_name("Böard"));
        assert!(!is_plain_name("x\"}"));
    }

    #[test]
    fn names_past_the_cap_are_other() {
        let metrics = Metrics::default();
        for i in 0..MAX_OPERATION_NAMES + 5 {
            let name = format!("Op{i}");
            metrics.record_graphql(
                &observed(Some(&name), OperationType::Query, Outcome::Ok),
                StatusCode::OK,
                Duration::ZERO,
            );
        }
        let text = render(&metrics);
        assert!(text.contains("operation=\"Op199\""));
        assert!(!text.contains("operation=\"Op200\""));
        assert!(text.contains("taio_graphql_requests_total{operation=\"other\",type=\"query\",outcome=\"ok\"} 5\n"));
    }

    #[test]
    fn a_refused_request_does_not_admit_its_name() {
        let metrics = Metrics::default();
        let refused = observed(Some("Fresh"), OperationType::Query, Outcome::Rejected);
        metrics.record_graphql(&refused, StatusCode::BAD_REQUEST, Duration::ZERO);
        let executed = observed(Some("Fresh"), OperationType::Query, Outcome::Ok);
        metrics.record_graphql(&executed, StatusCode::OK, Duration::ZERO);
        metrics.record_graphql(&refused, StatusCode::BAD_REQUEST, Duration::ZERO);
        let text = render(&metrics);
        assert!(text.contains("{operation=\"other\",type=\"query\",outcome=\"rejected\"} 1\n"));
        assert!(text.contains("{operation=\"Fresh\",type=\"query\",outcome=\"rejected\"} 1\n"));
        assert!(text.contains("{operation=\"Fresh\",type=\"query\",outcome=\"ok\"} 1\n"));
    }

    #[test]
    fn without_an_outcome_the_status_decides() {
        let metrics = Metrics::default();
        for status in [StatusCode::UNAUTHORIZED, StatusCode::GATEWAY_TIMEOUT, StatusCode::OK] {
            metrics.record_graphql(&Observation::default(), status, Duration::ZERO);
        }
        let text = render(&metrics);
        for outcome in ["unauthenticated", "error", "rejected"] {
            let line = format!("{{operation=\"unknown\",type=\"unknown\",outcome=\"{outcome}\"}} 1\n");
            assert!(text.contains(&line), "{line} in\n{text}");
        }
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_end_with_the_count() {
        let metrics = Metrics::default();
        for millis in [1, 30, 30, 2_000, 60_000] {
            let observation = observed(None, OperationType::Mutation, Outcome::Ok);
            metrics.record_graphql(&observation, StatusCode::OK, Duration::from_millis(millis));
        }
        let text = render(&metrics);
        let prefix = "taio_graphql_request_duration_seconds_bucket{operation=\"anonymous\",type=\"mutation\",le=";
        for (le, count) in [("0.005", 1), ("0.025", 1), ("0.05", 3), ("2.5", 4), ("30", 4), ("+Inf", 5)] {
            let line = format!("{prefix}\"{le}\"}} {count}\n");
            assert!(text.contains(&line), "{line} in\n{text}");
        }
        let series = "{operation=\"anonymous\",type=\"mutation\"} ";
        assert!(text.contains(&format!("taio_graphql_request_duration_seconds_count{series}5\n")));
        let sum = text
            .lines()
            .find_map(|line| line.strip_prefix(&format!("taio_graphql_request_duration_seconds_sum{series}")))
            .and_then(|value| value.parse::<f64>().ok());
        assert!(sum.is_some_and(|sum| (sum - 62.061).abs() < 1e-9), "{sum:?}");
    }

    #[test]
    fn open_incidents_are_labelled_with_a_lowercase_severity_or_none() {
        let snapshot = Snapshot {
            statements: 7,
            pool: Some(PoolUse { open: 3, idle: 2, max: 10 }),
            open_incidents: Some(vec![
                OpenIncidentCount { team: "SOC".into(), stage: "D1".into(), severity: None, count: 2 },
                OpenIncidentCount { team: "CSIRT".into(), stage: "D3".into(), severity: Some("HIGH".into()), count: 1 },
            ]),
            subscriptions: 4,
            events_broadcast: 812,
        };
        let text = Metrics::default().render(&snapshot);
        for line in [
            "taio_open_incidents{team=\"SOC\",stage=\"D1\",severity=\"none\"} 2\n",
            "taio_open_incidents{team=\"CSIRT\",stage=\"D3\",severity=\"high\"} 1\n",
            "taio_db_pool_connections{state=\"idle\"} 2\n",
            "taio_db_pool_connections{state=\"in_use\"} 1\n",
            "taio_db_pool_max_connections 10\n",
            "taio_db_statements_total 7\n",
            "taio_subscriptions_active 4\n",
            "taio_event_log_position 812\n",
            "taio_websocket_connections 0\n",
            "taio_db_up 1\n",
            "# TYPE taio_open_incidents gauge\n",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
    }

    #[test]
    fn every_family_has_help_and_type_once() {
        let text = render(&Metrics::default());
        let types: Vec<&str> = text.lines().filter(|l| l.starts_with("# TYPE ")).collect();
        let helps = text.lines().filter(|l| l.starts_with("# HELP ")).count();
        assert_eq!(types.len(), helps);
        let names: BTreeSet<&str> = types.iter().filter_map(|l| l.split(' ').nth(2)).collect();
        assert_eq!(names.len(), types.len());
        assert!(text.contains("taio_db_up 0\n"), "no database answer is reported as down");
    }
}
