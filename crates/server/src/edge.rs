//! Settings of the HTTP and GraphQL edge: request limits, timeouts, introspection, GraphiQL, CORS,
//! Prometheus metrics.

use std::time::Duration;

use axum::http::HeaderValue;
use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args};
use taio_graphql::SchemaOptions;
use taio_persistence::DatabaseConfig;

/// Default `--max-aliases`.
pub const DEFAULT_MAX_ALIASES: usize = 100;
/// Default `--max-fields`.
pub const DEFAULT_MAX_FIELDS: usize = 1_000;
/// Default `--max-body-bytes`: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Default `--request-timeout`.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default `--database-acquire-timeout`.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Fewest characters a `--metrics-token` may have.
pub const MIN_METRICS_TOKEN_LENGTH: usize = 16;
/// Default `--database-statement-timeout`: shorter than a request, so that a slow statement fails
/// as a statement rather than as the whole request.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(20);

/// Default `--subscription-buffer`.
pub const DEFAULT_SUBSCRIPTION_BUFFER: usize = 1024;
/// Default `--events-poll`.
pub const DEFAULT_EVENTS_POLL: Duration = Duration::from_secs(1);
/// Default `--subscription-recheck`.
pub const DEFAULT_SUBSCRIPTION_RECHECK: Duration = Duration::from_secs(30);

/// Default `--max-subscriptions-per-connection`.
pub const DEFAULT_SUBSCRIPTIONS_PER_CONNECTION: usize = 32;
/// Default `--websocket-init-timeout`.
pub const DEFAULT_WEBSOCKET_INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// Edge settings of `taio serve`.
#[derive(Debug, Args, Clone, PartialEq, Eq)]
pub struct EdgeArgs {
    /// Production mode: turns introspection, field suggestions and GraphiQL off (each can be
    /// turned back on by its own flag).
    #[arg(long, env = "TAIO_PRODUCTION", value_parser = BoolishValueParser::new())]
    pub production: bool,
    /// Serve GraphiQL at `/` and `/graphiql` [default: true, false with --production].
    #[arg(long, env = "TAIO_GRAPHIQL", num_args = 0..=1, default_missing_value = "true",
          value_parser = BoolishValueParser::new(), value_name = "BOOL")]
    pub graphiql: Option<bool>,
    /// Answer introspection queries (`__schema`, `__type`) [default: true, false with
    /// --production].
    #[arg(long, env = "TAIO_INTROSPECTION", num_args = 0..=1, default_missing_value = "true",
          value_parser = BoolishValueParser::new(), value_name = "BOOL")]
    pub introspection: Option<bool>,
    /// Suggest field names ("Did you mean …?") in validation errors [default: true, false with
    /// --production].
    #[arg(long, env = "TAIO_FIELD_SUGGESTIONS", num_args = 0..=1, default_missing_value = "true",
          value_parser = BoolishValueParser::new(), value_name = "BOOL")]
    pub field_suggestions: Option<bool>,
    /// Deepest selection nesting a query may have.
    #[arg(long, env = "TAIO_MAX_DEPTH", default_value_t = taio_graphql::MAX_DEPTH)]
    pub max_depth: usize,
    /// Highest complexity a query may have: one per field, lists counted `first` times (20 when
    /// not given).
    #[arg(long, env = "TAIO_MAX_COMPLEXITY", default_value_t = taio_graphql::MAX_COMPLEXITY)]
    pub max_complexity: usize,
    /// Deepest nesting of selection sets and fragment spreads, checked before validation.
    #[arg(long, env = "TAIO_MAX_RECURSIVE_DEPTH", default_value_t = taio_graphql::MAX_RECURSIVE_DEPTH)]
    pub max_recursive_depth: usize,
    /// Most directives on one field, fragment spread or inline fragment.
    #[arg(long, env = "TAIO_MAX_DIRECTIVES", default_value_t = taio_graphql::MAX_DIRECTIVES)]
    pub max_directives: usize,
    /// Most aliases in a document, fragments expanded.
    #[arg(long, env = "TAIO_MAX_ALIASES", default_value_t = DEFAULT_MAX_ALIASES)]
    pub max_aliases: usize,
    /// Most field selections in a document, fragments expanded.
    #[arg(long, env = "TAIO_MAX_FIELDS", default_value_t = DEFAULT_MAX_FIELDS)]
    pub max_fields: usize,
    /// Largest request body accepted, in bytes; larger ones get 413.
    #[arg(long, env = "TAIO_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Longest a GraphQL request may take, e.g. `30s`, `500ms`, `2m`; then it fails with `TIMEOUT`.
    #[arg(long, env = "TAIO_REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// Longest a request waits for a pooled database connection; then it fails with
    /// `UNAVAILABLE`.
    #[arg(long, env = "TAIO_DATABASE_ACQUIRE_TIMEOUT", default_value = "5s", value_parser = parse_duration)]
    pub database_acquire_timeout: Duration,
    /// Longest one SQL statement may run (PostgreSQL `statement_timeout`).
    #[arg(long, env = "TAIO_DATABASE_STATEMENT_TIMEOUT", default_value = "20s", value_parser = parse_duration)]
    pub database_statement_timeout: Duration,
    /// An origin allowed to call `/graphql` from a browser, e.g. `https://soc.example.com`;
    /// repeat the flag or separate origins with commas. Without one, cross-origin calls are
    /// refused.
    #[arg(long = "cors-origin", env = "TAIO_CORS_ORIGIN", value_delimiter = ',', value_parser = parse_origin)]
    pub cors_origins: Vec<String>,
    /// Clients reach Taiō over HTTPS (TLS terminated here or by a proxy in front): send
    /// `Strict-Transport-Security`.
    #[arg(long, env = "TAIO_BEHIND_TLS", value_parser = BoolishValueParser::new())]
    pub behind_tls: bool,
    /// Serve Prometheus metrics at `/metrics`. They include open incidents per team key: in
    /// production, set --metrics-token or keep the port on an internal network.
    #[arg(long, env = "TAIO_METRICS", default_value_t = true, num_args = 0..=1, default_missing_value = "true",
          action = ArgAction::Set, value_parser = BoolishValueParser::new(), value_name = "BOOL")]
    pub metrics: bool,
    /// A bearer token `/metrics` then requires (`Authorization: Bearer <token>`), at least 16
    /// characters; without it `/metrics` is open to whoever reaches the port.
    #[arg(long, env = "TAIO_METRICS_TOKEN", hide_env_values = true, value_parser = MetricsToken::parse)]
    pub metrics_token: Option<MetricsToken>,
    /// How many events a subscriber may fall behind the live feed before its subscription ends
    /// with `SUBSCRIPTION_LAGGED` (it then resumes from its cursor).
    #[arg(long, env = "TAIO_SUBSCRIPTION_BUFFER", default_value_t = DEFAULT_SUBSCRIPTION_BUFFER,
          value_parser = parse_buffer)]
    pub subscription_buffer: usize,
    /// Longest the event fan-out waits before reading the log again when no wake-up came (a
    /// safety net: commits and PostgreSQL notifications wake it at once).
    #[arg(long, env = "TAIO_EVENTS_POLL", default_value = "1s", value_parser = parse_duration)]
    pub events_poll: Duration,
    /// How often an open subscription checks that its token still works and its teams are still
    /// the caller's.
    #[arg(long, env = "TAIO_SUBSCRIPTION_RECHECK", default_value = "30s", value_parser = parse_duration)]
    pub subscription_recheck: Duration,
    /// Most subscriptions one WebSocket connection may have open at once; more are refused with
    /// `TOO_MANY_SUBSCRIPTIONS`.
    #[arg(long, env = "TAIO_MAX_SUBSCRIPTIONS_PER_CONNECTION", default_value_t = DEFAULT_SUBSCRIPTIONS_PER_CONNECTION,
          value_parser = parse_per_connection)]
    pub max_subscriptions_per_connection: usize,
    /// How long a WebSocket connection may take to send `connection_init` before it is dropped.
    #[arg(long, env = "TAIO_WEBSOCKET_INIT_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub websocket_init_timeout: Duration,
}

/// The bearer token that guards `/metrics`; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct MetricsToken(String);

impl MetricsToken {
    /// Accepts at least [`MIN_METRICS_TOKEN_LENGTH`] visible ASCII characters.
    ///
    /// # Errors
    /// A message saying what is wrong with the token (without repeating it).
    pub fn parse(value: &str) -> Result<Self, String> {
        if !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("the metrics token must be visible ASCII characters, without spaces".to_owned());
        }
        if value.len() < MIN_METRICS_TOKEN_LENGTH {
            return Err(format!("the metrics token must have at least {MIN_METRICS_TOKEN_LENGTH} characters"));
        }
        Ok(Self(value.to_owned()))
    }

    /// Whether `presented` is this token, compared in time that does not depend on where they
    /// differ.
    #[must_use]
    pub fn matches(&self, presented: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), presented.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0_u8, |diff, (x, y)| diff | (x ^ y)) == 0
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(***)")
    }
}

impl Default for EdgeArgs {
    /// The same values as `taio serve` with no edge flags.
    fn default() -> Self {
        Self {
            production: false,
            graphiql: None,
            introspection: None,
            field_suggestions: None,
            max_depth: taio_graphql::MAX_DEPTH,
            max_complexity: taio_graphql::MAX_COMPLEXITY,
            max_recursive_depth: taio_graphql::MAX_RECURSIVE_DEPTH,
            max_directives: taio_graphql::MAX_DIRECTIVES,
            max_aliases: DEFAULT_MAX_ALIASES,
            max_fields: DEFAULT_MAX_FIELDS,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            database_acquire_timeout: DEFAULT_ACQUIRE_TIMEOUT,
            database_statement_timeout: DEFAULT_STATEMENT_TIMEOUT,
            cors_origins: Vec::new(),
            behind_tls: false,
            metrics: true,
            metrics_token: None,
            subscription_buffer: DEFAULT_SUBSCRIPTION_BUFFER,
            events_poll: DEFAULT_EVENTS_POLL,
            subscription_recheck: DEFAULT_SUBSCRIPTION_RECHECK,
            websocket_init_timeout: DEFAULT_WEBSOCKET_INIT_TIMEOUT,
            max_subscriptions_per_connection: DEFAULT_SUBSCRIPTIONS_PER_CONNECTION,
        }
    }
}

impl EdgeArgs {
    /// Whether GraphiQL is served.
    #[must_use]
    pub fn graphiql_enabled(&self) -> bool {
        self.graphiql.unwrap_or(!self.production)
    }

    /// Whether introspection queries are answered.
    #[must_use]
    pub fn introspection_enabled(&self) -> bool {
        self.introspection.unwrap_or(!self.production)
    }

    /// Whether validation errors suggest field names.
    #[must_use]
    pub fn suggestions_enabled(&self) -> bool {
        self.field_suggestions.unwrap_or(!self.production)
    }

    /// The schema's limits and switches.
    #[must_use]
    pub fn schema_options(&self) -> SchemaOptions {
        SchemaOptions {
            introspection: self.introspection_enabled(),
            suggestions: self.suggestions_enabled(),
            max_depth: self.max_depth,
            max_complexity: self.max_complexity,
            max_recursive_depth: self.max_recursive_depth,
            max_directives: self.max_directives,
        }
    }

    /// How the event fan-out runs.
    #[must_use]
    pub fn hub_options(&self) -> taio_graphql::HubOptions {
        taio_graphql::HubOptions {
            buffer: self.subscription_buffer,
            poll: self.events_poll,
            recheck: self.subscription_recheck,
            per_connection: self.max_subscriptions_per_connection,
        }
    }

    /// Sets the pool's timeouts in `config`.
    pub fn apply_to(&self, config: &mut DatabaseConfig) {
        config.acquire_timeout = self.database_acquire_timeout;
        config.statement_timeout = self.database_statement_timeout;
    }
}

/// Parses a per-connection subscription limit: 1 to 1,000.
fn parse_per_connection(value: &str) -> Result<usize, String> {
    match value.trim().parse::<usize>() {
        Ok(n) if (1..=1_000).contains(&n) => Ok(n),
        _ => Err("expected a number of subscriptions from 1 to 1000".to_owned()),
    }
}

/// Parses a subscription buffer size: 1 to 1,000,000 events.
fn parse_buffer(value: &str) -> Result<usize, String> {
    match value.trim().parse::<usize>() {
        Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
        _ => Err("expected a number of events from 1 to 1000000".to_owned()),
    }
}

/// Parses `500ms`, `30s`, `2m` or a bare number of seconds.
fn parse_duration(value: &str) -> Result<Duration, String> {
    let value = value.trim();
    let (number, unit) = value.find(|c: char| !c.is_ascii_digit()).map_or((value, ""), |at| value.split_at(at));
    let amount: u64 = number.parse().map_err(|_| format!("`{value}` is not a duration such as 30s, 500ms or 2m"))?;
    let duration = match unit.trim() {
        "ms" => Duration::from_millis(amount),
        "" | "s" => Duration::from_secs(amount),
        "m" => Duration::from_secs(amount.saturating_mul(60)),
        other => return Err(format!("unknown unit `{other}` in `{value}`: use ms, s or m")),
    };
    if duration.is_zero() {
        return Err("a timeout must be longer than zero".to_owned());
    }
    Ok(duration)
}

/// Accepts a browser origin: `http` or `https`, a host and an optional port, nothing else.
fn parse_origin(value: &str) -> Result<String, String> {
    let value = value.trim();
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or_else(|| format!("`{value}` is not an origin: write it as https://host[:port]"))?;
    let valid = !rest.is_empty()
        && rest.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        && HeaderValue::from_str(value).is_ok();
    if valid { Ok(value.to_owned()) } else { Err(format!("`{value}` is not an origin: no path, no wildcard")) }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Command {
        #[command(flatten)]
        edge: EdgeArgs,
    }

    fn parse(args: &[&str]) -> Result<EdgeArgs, clap::Error> {
        Command::try_parse_from(std::iter::once("taio").chain(args.iter().copied())).map(|c| c.edge)
    }

    #[test]
    fn the_defaults_are_what_the_command_line_gives_without_flags() {
        assert_eq!(parse(&[]).unwrap(), EdgeArgs::default());
    }

    #[test]
    fn production_turns_introspection_suggestions_and_graphiql_off() {
        let edge = parse(&["--production"]).unwrap();
        assert!(!edge.introspection_enabled());
        assert!(!edge.suggestions_enabled());
        assert!(!edge.graphiql_enabled());
        let default = EdgeArgs::default();
        assert!(default.introspection_enabled() && default.suggestions_enabled() && default.graphiql_enabled());
    }

    #[test]
    fn a_single_switch_overrides_production() {
        let edge = parse(&["--production", "--introspection"]).unwrap();
        assert!(edge.introspection_enabled());
        assert!(!edge.graphiql_enabled());
    }

    #[test]
    fn graphiql_can_be_turned_off_alone() {
        let edge = parse(&["--graphiql=false"]).unwrap();
        assert!(!edge.graphiql_enabled());
        assert!(edge.introspection_enabled());
    }

    #[test]
    fn cors_origins_are_repeatable_and_comma_separated() {
        let edge =
            parse(&["--cors-origin", "https://a.example", "--cors-origin=https://b.example,http://c:8080"]).unwrap();
        assert_eq!(edge.cors_origins, ["https://a.example", "https://b.example", "http://c:8080"]);
    }

    #[test]
    fn an_origin_with_a_path_or_a_wildcard_is_refused() {
        assert!(parse(&["--cors-origin", "https://a.example/app"]).is_err());
        assert!(parse(&["--cors-origin", "*"]).is_err());
        assert!(parse(&["--cors-origin", "a.example"]).is_err());
    }

    #[test]
    fn the_database_timeouts_reach_the_pool() {
        let edge = parse(&["--database-acquire-timeout", "200ms", "--database-statement-timeout=3s"]).unwrap();
        let mut config = DatabaseConfig::new("sqlite::memory:");
        edge.apply_to(&mut config);
        assert_eq!(config.acquire_timeout, Duration::from_millis(200));
        assert_eq!(config.statement_timeout, Duration::from_secs(3));
    }

    #[test]
    fn metrics_are_on_unless_turned_off() {
        assert!(parse(&[]).unwrap().metrics);
        assert!(parse(&["--metrics"]).unwrap().metrics);
        assert!(!parse(&["--metrics=false"]).unwrap().metrics);
        assert!(parse(&["--production"]).unwrap().metrics);
    }

    #[test]
    fn a_metrics_token_is_long_never_printed_and_compared_whole() {
        assert!(parse(&["--metrics-token", "short"]).is_err());
        assert!(parse(&["--metrics-token", "has a space in it, long enough"]).is_err());
        let edge = parse(&["--metrics-token", "0123456789abcdef-scrape"]).unwrap();
        let token = edge.metrics_token.clone().unwrap();
        assert!(token.matches("0123456789abcdef-scrape"));
        assert!(!token.matches("0123456789abcdef-scrapE"));
        assert!(!token.matches("0123456789abcdef"));
        assert!(!format!("{edge:?}").contains("0123456789abcdef"));
    }

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("1h").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
