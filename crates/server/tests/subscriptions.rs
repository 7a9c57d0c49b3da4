//! Live incident events end to end: `taio serve` processes on a real database, mutations over
//! HTTP, subscribers over WebSocket. On PostgreSQL two servers share the database (events made on
//! one reach subscribers of the other); on SQLite one server does both.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "subscriptions/harness.rs"]
mod harness;

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use harness::{ACKNOWLEDGE, ACTION, Delivery, EVENTS, Protocol, REPORT, Server, WsClient, position};
use serde_json::{Value, json};
use taio_core::team::DirectoryRepository;
use taio_persistence::testing::{TestDatabase, postgres, scalar, team_fixture, test_databases};

const WAIT: Duration = Duration::from_secs(60);

/// One server on SQLite; two on PostgreSQL, the first for subscribers and the second for writes.
async fn servers(db: &TestDatabase, flags: &[&str]) -> (Server, Option<Server>) {
    let first = Server::start(&db.url, flags).await;
    let second = if db.backend == "postgres" { Some(Server::start(&db.url, flags).await) } else { None };
    (first, second)
}

async fn cursor(server: &Server, token: &str) -> String {
    server.gql(token, "{ eventCursor }", json!({})).await["eventCursor"].as_str().unwrap().to_owned()
}

/// What a mutation changed, as the event about it must say: (incident id, version).
type Change = (String, i64);

async fn report(server: &Server, token: &str, team: &str, title: &str) -> Change {
    let data = server.gql(token, REPORT, json!({ "team": team, "title": title })).await;
    (data["reportIncident"]["id"].as_str().unwrap().to_owned(), data["reportIncident"]["version"].as_i64().unwrap())
}

async fn act(server: &Server, token: &str, incident: &str, version: i64) -> Change {
    server.gql(token, ACTION, json!({ "incident": incident, "summary": format!("step {version}") })).await;
    (incident.to_owned(), version)
}

fn change_of(event: &Value) -> Change {
    (event["incidentId"].as_str().unwrap().to_owned(), event["version"].as_i64().unwrap())
}

/// Waits until `server` counts `expected` open subscriptions.
async fn subscriptions_become(server: &Server, expected: i64) {
    let deadline = Instant::now() + WAIT;
    while server.gauge("taio_subscriptions_active").await != expected {
        assert!(Instant::now() < deadline, "taio_subscriptions_active never became {expected}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn thousands_of_changes_made_on_one_server_reach_a_subscriber_of_another_in_order_exactly_once() {
    const WRITERS: usize = 8;
    const ACTIONS: i64 = 248;
    let Some(db) = postgres().await else { return };
    let fixture = team_fixture(&db.database, "SOC").await;
    let team = fixture.team.id.to_string();
    let token = fixture.lead.token.clone();
    let (subscribed, writer) = servers(&db, &[]).await;
    let writer = writer.expect("two servers on PostgreSQL");

    let start = cursor(&writer, &token).await;
    let mut client = WsClient::connect(&subscribed.ws_url(), Protocol::TransportWs, &token).await;
    client.subscribe("all", EVENTS, json!({ "team": team, "after": start })).await;

    let began = Instant::now();
    let mut tasks = Vec::new();
    for n in 0..WRITERS {
        let (token, team) = (token.clone(), team.clone());
        let address = writer.address;
        tasks.push(tokio::spawn(async move {
            let server = Server::attach(address);
            let (incident, _) = report(&server, &token, &team, &format!("Beacon from host {n}")).await;
            let mut made = vec![(incident.clone(), 1)];
            server.gql(&token, ACKNOWLEDGE, json!({ "incident": incident, "version": 1 })).await;
            made.push((incident.clone(), 2));
            for version in 3..3 + ACTIONS {
                made.push(act(&server, &token, &incident, version).await);
            }
            made
        }));
    }
    // A second subscriber joins from the same cursor while the writes go on: it reads its backlog
    // from the log and then joins the live feed, which by then repeats part of what it read.
    let backlog = position(&json!(start)) + 600;
    while position(&json!(cursor(&writer, &token).await)) < backlog {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut late = WsClient::connect(&subscribed.ws_url(), Protocol::TransportWs, &token).await;
    late.subscribe("late", EVENTS, json!({ "team": team, "after": start })).await;
    let mut made: HashSet<Change> = HashSet::new();
    for task in tasks {
        made.extend(task.await.unwrap());
    }
    let written = began.elapsed();
    let total = made.len();
    assert_eq!(total, WRITERS * (2 + usize::try_from(ACTIONS).unwrap()));

    let events = client.events(total, WAIT).await;
    let delivered = began.elapsed();
    client.quiet_for(Duration::from_millis(500)).await;
    let late_events = late.events(total, WAIT).await;
    late.quiet_for(Duration::from_millis(500)).await;

    for (who, events) in [("the first subscriber", &events), ("the late subscriber", &late_events)] {
        assert_exactly_once(who, events, &start, &made);
    }
    assert_eq!(scalar(&db.database, "SELECT COUNT(*) FROM incident_events").await, i64::try_from(total).unwrap());
    println!(
        "{total} changes by {WRITERS} writers on one server: written in {:.2} s ({:.0}/s); \
         all delivered to a subscriber of the other server {:.0} ms after the last write",
        written.as_secs_f64(),
        total as f64 / written.as_secs_f64(),
        (delivered - written).as_secs_f64() * 1000.0
    );
    client.close().await;
    late.close().await;
}

/// `events` are exactly the changes `made`, each once, numbered from just after `start` in
/// commit order, and each incident's in version order.
fn assert_exactly_once(who: &str, events: &[Value], start: &str, made: &HashSet<Change>) {
    let total = made.len();
    let positions: Vec<i64> = events.iter().map(|e| position(&e["cursor"])).collect();
    let first = position(&json!(start)) + 1;
    let expected: Vec<i64> = (first..first + i64::try_from(total).unwrap()).collect();
    assert_eq!(positions, expected, "{who}: every event once, in commit order, without a gap");
    let received: HashSet<Change> = events.iter().map(change_of).collect();
    assert_eq!(received.len(), total, "{who}: no change delivered twice");
    assert_eq!(&received, made, "{who}: exactly the changes that were made");
    let mut versions: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (incident, version) in events.iter().map(change_of) {
        versions.entry(incident).or_default().push(version);
    }
    for list in versions.values() {
        let in_order: Vec<i64> = (1..=i64::try_from(list.len()).unwrap()).collect();
        assert_eq!(*list, in_order, "{who}: each incident's events in version order");
    }
    assert!(events.iter().all(|e| e["incident"]["version"].as_i64() >= e["version"].as_i64()), "{who}");
}

/// Writers on `server`, each reporting an incident and recording `actions` actions on it.
fn spawn_writers(
    server: &Server,
    token: &str,
    team: &str,
    writers: usize,
    actions: i64,
) -> Vec<tokio::task::JoinHandle<Vec<Change>>> {
    (0..writers)
        .map(|n| {
            let (token, team, address) = (token.to_owned(), team.to_owned(), server.address);
            tokio::spawn(async move {
                let server = Server::attach(address);
                let (incident, _) = report(&server, &token, &team, &format!("Beacon from host {n}")).await;
                let mut made = vec![(incident.clone(), 1)];
                for version in 2..2 + actions {
                    made.push(act(&server, &token, &incident, version).await);
                }
                made
            })
        })
        .collect()
}

/// With its notifications lost (its listener points nowhere), a server still delivers every event,
/// found by its poll, and a subscriber that catches up from the log faster than that server's
/// reader follows it skips what the late broadcast repeats.
#[tokio::test]
async fn a_server_that_misses_notifications_still_delivers_every_event_once() {
    let Some(db) = postgres().await else { return };
    let fixture = team_fixture(&db.database, "SOC").await;
    let team = fixture.team.id.to_string();
    let token = fixture.lead.token.clone();
    let deaf = Server::start(
        &db.url,
        &["--database-listen-url", "postgres://postgres@127.0.0.1:1/nowhere", "--events-poll", "2s"],
    )
    .await;
    let writer = Server::start(&db.url, &[]).await;
    let start = cursor(&writer, &token).await;
    let mut early = WsClient::connect(&deaf.ws_url(), Protocol::TransportWs, &token).await;
    early.subscribe("early", EVENTS, json!({ "team": team, "after": start })).await;
    let tasks = spawn_writers(&writer, &token, &team, 4, 99);
    while position(&json!(cursor(&writer, &token).await)) < position(&json!(start)) + 150 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut late = WsClient::connect(&deaf.ws_url(), Protocol::TransportWs, &token).await;
    late.subscribe("late", EVENTS, json!({ "team": team, "after": start })).await;
    let mut made: HashSet<Change> = HashSet::new();
    for task in tasks {
        made.extend(task.await.unwrap());
    }
    // Once writes stop, the late subscriber has caught up from the log while the deaf server's
    // reader, polling, broadcasts the last of them afterwards.
    let late_events = late.events(made.len(), WAIT).await;
    let early_events = early.events(made.len(), WAIT).await;
    late.quiet_for(Duration::from_secs(3)).await;
    early.quiet_for(Duration::from_millis(500)).await;
    assert_exactly_once("the early subscriber", &early_events, &start, &made);
    assert_exactly_once("the late subscriber", &late_events, &start, &made);
}

#[tokio::test]
async fn a_subscriber_that_resumes_with_after_receives_exactly_what_it_missed() {
    for db in test_databases().await {
        let b = db.backend;
        let fixture = team_fixture(&db.database, "SOC").await;
        let team = fixture.team.id.to_string();
        let token = fixture.responder.token.clone();
        let (subscribed, other) = servers(&db, &[]).await;
        let writer = other.as_ref().unwrap_or(&subscribed);
        let (incident, _) = report(writer, &token, &team, "Ransom note on a file share").await;
        let mut version = 1;
        let mut next_changes = |count: usize| {
            let changes: Vec<i64> = (0..count)
                .map(|_| {
                    version += 1;
                    version
                })
                .collect();
            changes
        };

        let start = cursor(writer, &token).await;
        let mut client = WsClient::connect(&subscribed.ws_url(), Protocol::TransportWs, &token).await;
        client.subscribe("1", EVENTS, json!({ "team": team, "after": start })).await;
        for v in next_changes(20) {
            act(writer, &token, &incident, v).await;
        }
        let seen = client.events(20, WAIT).await;
        let last = seen.last().unwrap()["cursor"].as_str().unwrap().to_owned();
        client.close().await;
        subscriptions_become(&subscribed, 0).await;

        let missed = next_changes(30);
        for v in &missed {
            act(writer, &token, &incident, *v).await;
        }
        let mut client = WsClient::connect(&subscribed.ws_url(), Protocol::TransportWs, &token).await;
        client.subscribe("2", EVENTS, json!({ "team": team, "after": last })).await;
        let resumed = client.events(30, WAIT).await;
        let versions: Vec<i64> = resumed.iter().map(|e| e["version"].as_i64().unwrap()).collect();
        assert_eq!(versions, missed, "{b}: exactly the missed events, in order");
        let positions: Vec<i64> = resumed.iter().map(|e| position(&e["cursor"])).collect();
        let after = position(&json!(last));
        assert_eq!(positions, (after + 1..=after + 30).collect::<Vec<_>>(), "{b}");
        client.quiet_for(Duration::from_millis(500)).await;

        let live = next_changes(5);
        for v in &live {
            act(writer, &token, &incident, *v).await;
        }
        let followed = client.events(5, WAIT).await;
        let versions: Vec<i64> = followed.iter().map(|e| e["version"].as_i64().unwrap()).collect();
        assert_eq!(versions, live, "{b}: after catching up it follows live events");
        assert_eq!(subscribed.gauge("taio_subscriptions_active").await, 1, "{b}");
        client.close().await;
        subscriptions_become(&subscribed, 0).await;
        assert_eq!(subscribed.gauge("taio_websocket_connections").await, 0, "{b}: closed connections are released");
    }
}

#[tokio::test]
async fn a_subscriber_that_stops_reading_is_told_where_to_resume_and_misses_nothing() {
    const CHANGES: i64 = 400;
    for db in test_databases().await {
        let b = db.backend;
        let fixture = team_fixture(&db.database, "SOC").await;
        let team = fixture.team.id.to_string();
        let token = fixture.lead.token.clone();
        let (subscribed, other) = servers(&db, &["--subscription-buffer", "4"]).await;
        let writer = other.as_ref().unwrap_or(&subscribed);
        // A large description makes each event large, so that the socket's buffers fill quickly.
        let description = "Indicators of compromise follow. ".repeat(600);
        let data = writer
            .gql(
                &token,
                "mutation($team: ID!, $d: String!) { reportIncident(input: { teamId: $team, title: \"Worm\", description: $d }) { id } }",
                json!({ "team": team, "d": description }),
            )
            .await;
        let incident = data["reportIncident"]["id"].as_str().unwrap().to_owned();
        let start = cursor(writer, &token).await;
        let heavy = "subscription($team: ID, $after: String) {
          incidentEvents(teamId: $team, after: $after) { cursor version incident { description } } }";
        let mut client = WsClient::connect_with(&subscribed.ws_url(), Protocol::TransportWs, &token, Some(4096)).await;
        client.subscribe("slow", heavy, json!({ "team": team, "after": start })).await;
        subscriptions_become(&subscribed, 1).await;
        for v in 2..2 + CHANGES {
            act(writer, &token, &incident, v).await;
        }

        let mut versions = Vec::new();
        let resume_after = loop {
            match client.delivery(WAIT).await {
                Delivery::Next(payload) if payload.get("errors").is_some() => {
                    let error = &payload["errors"][0];
                    assert_eq!(error["extensions"]["code"], "SUBSCRIPTION_LAGGED", "{b}: {payload}");
                    break error["extensions"]["resumeAfter"].as_str().unwrap().to_owned();
                }
                Delivery::Next(payload) => {
                    versions.push(payload["data"]["incidentEvents"]["version"].as_i64().unwrap())
                }
                other => panic!("{b}: the subscription ended without saying why: {other:?}"),
            }
        };
        assert!(versions.len() < usize::try_from(CHANGES).unwrap(), "{b}: it fell behind");
        assert_eq!(client.delivery(WAIT).await, Delivery::Complete, "{b}: the lagged subscription ends");
        if let Some(v) = versions.last() {
            let last_event = position(&json!(start)) + (v - 1);
            assert_eq!(position(&json!(resume_after)), last_event, "{b}: resume right after the last event received");
        }
        client.subscribe("resumed", heavy, json!({ "team": team, "after": resume_after })).await;
        let rest = usize::try_from(CHANGES).unwrap() - versions.len();
        let resumed = client.events(rest, WAIT).await;
        versions.extend(resumed.iter().map(|e| e["version"].as_i64().unwrap()));
        assert_eq!(versions, (2..2 + CHANGES).collect::<Vec<_>>(), "{b}: received before and after, each once");
        client.close().await;
    }
}

#[tokio::test]
async fn restricted_incidents_reach_only_subscribers_who_may_see_them() {
    for db in test_databases().await {
        let b = db.backend;
        let fixture = team_fixture(&db.database, "SOC").await;
        let team = fixture.team.id.to_string();
        let (server, _) = servers(&db, &[]).await;
        let lead = &fixture.lead.token;
        let start = cursor(&server, lead).await;
        let mut lead_client = WsClient::connect(&server.ws_url(), Protocol::TransportWs, lead).await;
        lead_client.subscribe("l", EVENTS, json!({ "team": team, "after": start })).await;
        let mut responder = WsClient::connect(&server.ws_url(), Protocol::TransportWs, &fixture.responder.token).await;
        responder.subscribe("r", EVENTS, json!({ "team": team, "after": start })).await;
        // The older protocol, with the token as an Authorization value.
        let mut viewer = WsClient::open(
            &server.ws_url(),
            Protocol::LegacyWs,
            json!({ "Authorization": format!("Bearer {}", fixture.viewer.token) }),
            None,
        )
        .await;
        assert_eq!(viewer.message(WAIT).await.map(|m| m["type"].clone()), Some(json!("connection_ack")), "{b}");
        viewer.subscribe("v", EVENTS, json!({ "after": start })).await;

        let secret = server
            .gql(
                lead,
                "mutation($team: ID!) { reportIncident(input: { teamId: $team, title: \"Insider\", tlp: RED }) { id } }",
                json!({ "team": team }),
            )
            .await["reportIncident"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        act(&server, lead, &secret, 2).await;
        let (open, _) = report(&server, lead, &team, "Phishing").await;
        act(&server, lead, &open, 2).await;

        let all = lead_client.events(4, WAIT).await;
        let ids: Vec<&str> = all.iter().map(|e| e["incidentId"].as_str().unwrap()).collect();
        assert_eq!(ids, vec![secret.as_str(), secret.as_str(), open.as_str(), open.as_str()], "{b}: leads see all");
        for client in [&mut responder, &mut viewer] {
            let shown = client.events(2, WAIT).await;
            let ids: Vec<&str> = shown.iter().map(|e| e["incidentId"].as_str().unwrap()).collect();
            assert_eq!(ids, vec![open.as_str(), open.as_str()], "{b}: the TLP:RED incident is not shown");
            client.quiet_for(Duration::from_millis(300)).await;
        }
    }
}

#[tokio::test]
async fn subscriptions_refuse_bad_tokens_foreign_teams_and_malformed_cursors_with_codes() {
    for db in test_databases().await {
        let b = db.backend;
        let soc = team_fixture(&db.database, "SOC").await;
        let cert = team_fixture(&db.database, "CERT").await;
        let (server, _) = servers(&db, &[]).await;

        for protocol in [Protocol::TransportWs, Protocol::LegacyWs] {
            let mut refused =
                WsClient::open(&server.ws_url(), protocol, json!({ "token": "taio_not_a_token" }), None).await;
            let answer = refused.message(WAIT).await;
            let kind = answer.as_ref().and_then(|m| m["type"].as_str().map(str::to_owned));
            assert!(
                matches!(kind.as_deref(), Some("close" | "connection_error")),
                "{b} {protocol:?}: no acknowledgement for a bad token: {answer:?}"
            );
            let mut anonymous = WsClient::open(&server.ws_url(), protocol, json!({}), None).await;
            let answer = anonymous.message(WAIT).await;
            assert_ne!(answer.as_ref().map(|m| m["type"].clone()), Some(json!("connection_ack")), "{b}: {answer:?}");
        }

        // Events pruned: a cursor from before them is expired; the current one is fine.
        report(&server, &cert.lead.token, &cert.team.id.to_string(), "Soon pruned").await;
        let pruned = db.database.prune_events(chrono::Utc::now() + chrono::Duration::seconds(1)).await.unwrap();
        assert_eq!(pruned.events, 1, "{b}");
        let mut client = WsClient::connect(&server.ws_url(), Protocol::TransportWs, &cert.lead.token).await;
        client.subscribe("current", EVENTS, json!({ "after": cursor(&server, &cert.lead.token).await })).await;
        subscriptions_become(&server, 1).await;
        client.stop("current").await;
        assert_eq!(client.delivery(WAIT).await, Delivery::Complete, "{b}");
        let cases = [
            (json!({ "after": "ev:0" }), "CURSOR_EXPIRED"),
            (json!({ "team": soc.team.id.to_string() }), "NOT_FOUND"),
            (json!({ "incident": uuid::Uuid::new_v4().to_string() }), "NOT_FOUND"),
            (json!({ "team": "not-an-id" }), "BAD_USER_INPUT"),
            (json!({ "after": "ev:-4" }), "BAD_USER_INPUT"),
            (json!({ "after": "cursor" }), "BAD_USER_INPUT"),
        ];
        for (n, (variables, code)) in cases.into_iter().enumerate() {
            client.subscribe(&n.to_string(), EVENTS, variables.clone()).await;
            match client.delivery(WAIT).await {
                Delivery::Next(payload) => {
                    assert_eq!(payload["errors"][0]["extensions"]["code"], code, "{b} {variables}: {payload}");
                }
                other => panic!("{b} {variables}: {other:?}"),
            }
            assert_eq!(client.delivery(WAIT).await, Delivery::Complete, "{b} {variables}");
        }
        let aliases: String = (0..5_100).map(|n| format!("c{n}: cursor ")).collect();
        let deep = format!("subscription {{ incidentEvents {{ {aliases}}} }}");
        for (query, code) in [
            ("subscription { incidentEvents { noSuchField } }", "GRAPHQL_VALIDATION_FAILED"),
            (deep.as_str(), "QUERY_TOO_COMPLEX"),
        ] {
            client.subscribe("invalid", query, json!({})).await;
            match client.delivery(WAIT).await {
                Delivery::Next(payload) => {
                    assert_eq!(payload["errors"][0]["extensions"]["code"], code, "{b} {query}: {payload}");
                }
                other => panic!("{b} {query}: {other:?}"),
            }
            assert_eq!(client.delivery(WAIT).await, Delivery::Complete, "{b}");
        }
        client.close().await;
    }
}

#[tokio::test]
async fn a_connection_may_hold_only_so_many_subscriptions_and_stopping_one_frees_its_place() {
    let db = taio_persistence::testing::sqlite().await;
    let fixture = team_fixture(&db.database, "SOC").await;
    let server = Server::start(&db.url, &["--max-subscriptions-per-connection", "2"]).await;
    let token = &fixture.lead.token;
    let mut client = WsClient::connect(&server.ws_url(), Protocol::TransportWs, token).await;
    client.subscribe("a", EVENTS, json!({})).await;
    client.subscribe("b", EVENTS, json!({})).await;
    subscriptions_become(&server, 2).await;
    client.subscribe("c", EVENTS, json!({})).await;
    match client.delivery(WAIT).await {
        Delivery::Next(payload) => {
            assert_eq!(payload["errors"][0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS", "{payload}");
            assert_eq!(payload["errors"][0]["extensions"]["max"], 2, "{payload}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(client.delivery(WAIT).await, Delivery::Complete);
    client.stop("a").await;
    assert_eq!(client.delivery(WAIT).await, Delivery::Complete, "the stop is confirmed");
    subscriptions_become(&server, 1).await;
    client.subscribe("d", EVENTS, json!({})).await;
    subscriptions_become(&server, 2).await;
    let mut other = WsClient::connect(&server.ws_url(), Protocol::TransportWs, token).await;
    other.subscribe("a", EVENTS, json!({})).await;
    subscriptions_become(&server, 3).await;
    client.quiet_for(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn a_server_with_open_subscriptions_stops_promptly_on_sigterm() {
    let db = taio_persistence::testing::sqlite().await;
    let fixture = team_fixture(&db.database, "SOC").await;
    let mut server = Server::start(&db.url, &[]).await;
    let mut client = WsClient::connect(&server.ws_url(), Protocol::TransportWs, &fixture.lead.token).await;
    client.subscribe("1", EVENTS, json!({})).await;
    subscriptions_become(&server, 1).await;
    assert!(server.terminate(Duration::from_secs(20)).await, "taio serve kept running for its subscribers");
    let after = client.message(WAIT).await;
    assert!(after.as_ref().is_none_or(|m| m["type"] == "close"), "the socket ends with the server: {after:?}");
}

#[tokio::test]
async fn a_connection_that_never_sends_connection_init_is_dropped() {
    let db = taio_persistence::testing::sqlite().await;
    let server = Server::start(&db.url, &["--websocket-init-timeout", "1s"]).await;
    let mut silent = WsClient::handshake(&server.ws_url(), Protocol::TransportWs, None).await;
    assert_eq!(server.gauge("taio_websocket_connections").await, 1);
    let answer = silent.message(Duration::from_secs(30)).await;
    assert!(answer.as_ref().is_none_or(|m| m["type"] == "close"), "dropped without an acknowledgement: {answer:?}");
    let deadline = Instant::now() + WAIT;
    while server.gauge("taio_websocket_connections").await != 0 {
        assert!(Instant::now() < deadline, "the connection was released");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_revoked_token_ends_its_subscription_with_unauthenticated() {
    for db in test_databases().await {
        let b = db.backend;
        let fixture = team_fixture(&db.database, "SOC").await;
        let (server, _) = servers(&db, &["--subscription-recheck", "1s"]).await;
        let mut client = WsClient::connect(&server.ws_url(), Protocol::TransportWs, &fixture.responder.token).await;
        client.subscribe("1", EVENTS, json!({ "team": fixture.team.id.to_string() })).await;
        subscriptions_become(&server, 1).await;
        let token = fixture.responder.viewer.token_id.unwrap();
        db.database.directory().revoke_token(token, chrono::Utc::now(), None).await.unwrap();
        match client.delivery(WAIT).await {
            Delivery::Next(payload) => {
                assert_eq!(payload["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{b}: {payload}");
            }
            other => panic!("{b}: {other:?}"),
        }
        assert_eq!(client.delivery(WAIT).await, Delivery::Complete, "{b}");
        subscriptions_become(&server, 0).await;
        client.close().await;
    }
}
