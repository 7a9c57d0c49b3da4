//! Team dashboards (DOMAIN.md §6, issue 4) proved end to end on every backend: a seeded, generated
//! history of incidents is driven through the real API on a real socket, each step at a time the
//! test chose on a settable clock; the test keeps its own record of everything it did and
//! recomputes every dashboard figure naively from that record (never with the product's metrics
//! code), then compares figure by figure, naming each mismatch with both values.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "dashboard/figures.rs"]
mod figures;
#[path = "dashboard/harness.rs"]
mod harness;
#[path = "dashboard/model.rs"]
mod model;
#[path = "support/server.rs"]
mod server;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

use figures::{Ask, Check, DASHBOARD, actual, default_policy, expected};
use harness::{
    Backend, LEAD, OPS_LEAD, People, R1, R2, R3, Rng, VIEWER, backends, execute, people, set_portfolio, set_sla, ts,
};
use model::{ActSpec, CLOSED, Classif, D1, D3, D4, D5, D6, D7, Gen, PLANNED, TeamTag, World};

/// The seed of the generated history.
const SEED: u64 = 0x7a10_2026_0604_d45b;

/// Wednesday 3 June 2026, 08:00 UTC: the generated history starts here.
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 3, 8, 0, 0).unwrap()
}

/// Asks for a dashboard and reads it into comparable form.
async fn dashboard(
    b: &Backend,
    token: &str,
    team: &str,
    period: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> figures::Figures {
    let variables = match period {
        Some((from, to)) => json!({ "team": team, "from": ts(from), "to": ts(to) }),
        None => json!({ "team": team }),
    };
    actual(&b.data(token, DASHBOARD, variables).await["teamDashboard"])
}

/// Fails with every mismatch, one per line.
fn report(check: &Check) {
    for line in &check.mismatches {
        eprintln!("MISMATCH {line}");
    }
    assert!(
        check.mismatches.is_empty(),
        "{} dashboard figures differ from the independent computation:\n{}",
        check.mismatches.len(),
        check.mismatches.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// 1. Every figure against an independent computation
// ---------------------------------------------------------------------------------------------

/// Two incidents whose D-5 → D-4 move falls in the period while nothing else about them does:
/// reported before it, no action performed in it, and first closed outside it.
fn containment_failing_quietly(rng: &mut Rng, world: &mut World, from: DateTime<Utc>, to: DateTime<Utc>) {
    let hour = Duration::hours(1);
    let declare = Classif::declaring("CONFIRMED", "malicious-code/infected-system", "HIGH", "MEDIUM");
    let mut report = ActSpec::new(R1, D7, &["F-1"]);
    report.outcome = Some("SUCCEEDED");

    // Contained before the period, re-infected in it, closed after it.
    let mut g = Gen::new(rng, world, TeamTag::Soc, from - Duration::days(3) + Duration::seconds(17));
    g.report(R1, "INTERNAL_MONITORING", "AMBER", None);
    g.t += hour;
    g.acknowledge(R1, None);
    g.t += hour;
    g.classify(R1, declare);
    g.t += hour;
    g.transition(R1, D4, None);
    g.t += Duration::hours(20);
    g.transition(R1, D5, None);
    g.t = from + Duration::days(2);
    g.transition(R1, D4, None);
    g.t = to + Duration::days(1);
    g.transition(R1, D5, None);
    g.t += hour;
    g.transition(R1, D7, None);
    g.t += hour;
    g.action(report.clone());
    g.t += hour;
    g.close("RESOLVED", None);

    // Closed before the period, reopened in it, re-infected, closed again in it (closedAt keeps
    // the first close).
    let mut g = Gen::new(rng, world, TeamTag::Soc, from - Duration::days(10) + Duration::seconds(29));
    g.report(R3, "VENDOR", "GREEN", None);
    g.t += hour;
    g.acknowledge(R3, None);
    g.t += hour;
    g.classify(R3, declare);
    for stage in [D4, D5, D7] {
        g.t += Duration::hours(6);
        g.transition(R3, stage, None);
    }
    g.t += hour;
    g.action(ActSpec { by: R3, ..report });
    g.t = from - Duration::days(5);
    g.close("RESOLVED", None);
    g.t = from + Duration::days(1);
    g.reopen(Some(D5));
    for stage in [D4, D5, D7] {
        g.t += Duration::hours(2);
        g.transition(R3, stage, None);
    }
    g.t += hour;
    g.close("RESOLVED", None);
}

/// Steps exactly on the edges: of the period (`from` is in it, `to` is not), of a week (Monday
/// 00:00 UTC) and of a month.
fn edges(rng: &mut Rng, world: &mut World, from: DateTime<Utc>, to: DateTime<Utc>) {
    let hour = Duration::hours(1);
    let declare = Classif::declaring("SUSPECTED", "fraud/phishing", "MEDIUM", "HIGH");
    let back = |by: usize, stage: &'static str, services: &[&'static str], back: Duration| ActSpec {
        back: Some(back),
        effort: Some(45),
        ..ActSpec::new(by, stage, services)
    };

    // Reported at `from`; actions performed at `from`, at the first instant of July, and at `to`;
    // a failed containment at `to`.
    let mut g = Gen::new(rng, world, TeamTag::Soc, from);
    g.report(R2, "USER_REPORT", "CLEAR", None);
    g.t += hour;
    g.action(back(R2, D1, &["B-1", "B-3"], hour));
    g.acknowledge(R2, None);
    g.t += hour;
    g.classify(R2, declare);
    g.t += hour;
    g.transition(R2, D4, None);
    g.t += hour;
    g.transition(R2, D5, None);
    g.t = Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).unwrap() + hour;
    g.action(back(R3, D6, &["I-5"], hour));
    g.t = to;
    g.transition(R2, D4, None);
    g.t += hour;
    g.action(back(R1, D4, &["G-3"], hour));

    // Contained before `from`, failing exactly at `from`; left open.
    let mut g = Gen::new(rng, world, TeamTag::Soc, from - Duration::days(1));
    g.report(R1, "THREAT_INTEL", "GREEN", None);
    g.t += hour;
    g.acknowledge(R1, Some(R3));
    g.t += hour;
    g.classify(R1, declare);
    g.t += hour;
    g.transition(R3, D4, None);
    g.t += hour;
    g.transition(R3, D5, None);
    g.t = from;
    g.transition(R3, D4, None);

    // Reported at `to`: open, but not reported in the period.
    let mut g = Gen::new(rng, world, TeamTag::Soc, to);
    g.report(R3, "OTHER", "AMBER", None);

    // Reported at a Monday's first instant, closed at the next Monday's.
    let monday = Utc.with_ymd_and_hms(2026, 6, 29, 0, 0, 0).unwrap();
    let mut g = Gen::new(rng, world, TeamTag::Soc, monday);
    g.report(R1, "INTERNAL_MONITORING", "AMBER", None);
    g.t += hour;
    g.acknowledge(R1, None);
    g.t = monday + Duration::weeks(1);
    g.close("FALSE_POSITIVE", None);
}

/// The generated history: 60 random SOC incidents over nine weeks, six scripted ones (quiet failed
/// containments, exact edges), and 6 random OPS ones that must never count for SOC.
fn history(from: DateTime<Utc>, to: DateTime<Utc>) -> World {
    let mut rng = Rng::new(SEED);
    let mut world = World::default();
    let mut offsets: Vec<u64> = (0..60).map(|_| rng.below(63 * 86_400_000_000)).collect();
    offsets.sort_unstable();
    for offset in offsets {
        let at = start() + Duration::microseconds(i64::try_from(offset).unwrap());
        Gen::new(&mut rng, &mut world, TeamTag::Soc, at).life();
    }
    containment_failing_quietly(&mut rng, &mut world, from, to);
    edges(&mut rng, &mut world, from, to);
    let mut offsets: Vec<u64> = (0..6).map(|_| 10 * 86_400_000_000 + rng.below(40 * 86_400_000_000)).collect();
    offsets.sort_unstable();
    for offset in offsets {
        let at = start() + Duration::microseconds(i64::try_from(offset).unwrap());
        Gen::new(&mut rng, &mut world, TeamTag::Ops, at).life();
    }
    world
}

const SLA_FIRST: [(&str, &str, i64); 5] = [
    ("P1", "ACKNOWLEDGE", 600),
    ("P2", "TRIAGE", 7200),
    ("P3", "CONTAIN", 2 * 86_400),
    ("P4", "CLOSE", 10 * 86_400),
    ("P2", "RECOVER", 100_000),
];
const SLA_SECOND: [(&str, &str, i64); 2] = [("P2", "RECOVER", 50_000), ("P1", "CLOSE", 3 * 86_400)];

const PORTFOLIO_FIRST: [(&str, &str); 19] = [
    ("A-9", "IN_HOUSE"),
    ("A-10", "IN_HOUSE"),
    ("C-1", "IN_HOUSE"),
    ("C-4", "IN_HOUSE"),
    ("G-2", "IN_HOUSE"),
    ("G-4", "IN_HOUSE"),
    ("B-3", "IN_HOUSE"),
    ("I-7", "IN_HOUSE"),
    ("E-4", "IN_HOUSE"),
    ("F-1", "IN_HOUSE"),
    ("D-1", "IN_HOUSE"),
    ("H-2", "IN_HOUSE"),
    ("C-2", "OUTSOURCED"),
    ("C-3", "OUTSOURCED"),
    ("E-9", "OUTSOURCED"),
    ("D-2", "OUTSOURCED"),
    ("G-11", "NOT_PROVIDED"),
    ("B-1", "NOT_PROVIDED"),
    ("D-3", "NOT_PROVIDED"),
];
const PORTFOLIO_SECOND: [(&str, &str); 2] = [("C-3", "NOT_PROVIDED"), ("B-1", "IN_HOUSE")];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_figure_matches_an_independent_computation() {
    let from =
        start() + Duration::days(17) + Duration::hours(13) + Duration::minutes(37) + Duration::microseconds(12_345_678);
    let to = start() + Duration::days(52) + Duration::hours(5);
    let world = history(from, to);
    let now = world.steps.iter().map(|s| s.at).max().unwrap() + Duration::hours(1);

    let mut policy = default_policy();
    for (p, c, s) in SLA_FIRST.iter().chain(&SLA_SECOND) {
        policy.insert(format!("{p}/{c}"), *s);
    }
    let mut portfolio: BTreeMap<String, String> = BTreeMap::new();
    for (code, provision) in PORTFOLIO_FIRST.iter().chain(&PORTFOLIO_SECOND) {
        portfolio.insert((*code).to_owned(), (*provision).to_owned());
    }
    let no_portfolio = BTreeMap::new();
    let defaults = default_policy();

    let mut check = Check::default();
    let mut described = false;
    for b in backends(start() - Duration::days(2)).await {
        let people: People = people(&b.db).await;
        let n = b.name;
        b.clock.set(start() - Duration::days(1));
        set_sla(&b, &people, &SLA_FIRST).await;
        let returned = set_sla(&b, &people, &SLA_SECOND).await;
        check.eq(&format!("[{n}]"), "setSlaPolicy returns the policy in force", &policy, &returned);
        set_portfolio(&b, &people, &PORTFOLIO_FIRST).await;
        let returned = set_portfolio(&b, &people, &PORTFOLIO_SECOND).await;
        check.eq(&format!("[{n}]"), "setServicePortfolio returns the whole portfolio", &portfolio, &returned);

        let ids = execute(&b, &people, &world).await;
        b.clock.set(now);

        let soc = people.soc.clone();
        let ask = |viewer: usize, lead: bool, from: DateTime<Utc>, to: DateTime<Utc>| Ask {
            team: TeamTag::Soc,
            viewer,
            lead,
            from,
            to,
            now,
            policy: &policy,
            portfolio: &portfolio,
        };
        let main = ask(LEAD, true, from, to);
        let want = expected(&world, &ids, &people, &main);
        if !described {
            described = true;
            describe(&world, &want, from, to, now);
        }
        let viewers = [
            ("lead", LEAD, true),
            ("responder", R1, false),
            ("responder of both teams", R2, false),
            ("viewer", VIEWER, false),
        ];
        for (who, viewer, lead) in viewers {
            let got = dashboard(&b, &people.tokens[viewer], &soc, Some((from, to))).await;
            let want = expected(&world, &ids, &people, &ask(viewer, lead, from, to));
            check.dashboard(&format!("[{n}] SOC as {who}, period cutting the data:"), &want, &got);
        }

        // The default period: the last 90 days.
        let got = dashboard(&b, &people.tokens[LEAD], &soc, None).await;
        let want = expected(&world, &ids, &people, &ask(LEAD, true, now - Duration::days(90), now));
        check.dashboard(&format!("[{n}] SOC as lead, default period:"), &want, &got);

        // Half a period: 90 days before `to`, or from `from` until now.
        let variables = json!({ "team": soc, "to": ts(to) });
        let got = actual(&b.data(&people.tokens[LEAD], DASHBOARD, variables).await["teamDashboard"]);
        let want = expected(&world, &ids, &people, &ask(LEAD, true, to - Duration::days(90), to));
        check.dashboard(&format!("[{n}] SOC as lead, only `to` given:"), &want, &got);
        let variables = json!({ "team": soc, "from": ts(from) });
        let got = actual(&b.data(&people.tokens[LEAD], DASHBOARD, variables).await["teamDashboard"]);
        let want = expected(&world, &ids, &people, &ask(LEAD, true, from, now));
        check.dashboard(&format!("[{n}] SOC as lead, only `from` given:"), &want, &got);

        // A period before anything happened: only the backlog and the settings show.
        let (early_from, early_to) = (start() - Duration::days(30), start() - Duration::days(9));
        let got = dashboard(&b, &people.tokens[LEAD], &soc, Some((early_from, early_to))).await;
        let want = expected(&world, &ids, &people, &ask(LEAD, true, early_from, early_to));
        check.dashboard(&format!("[{n}] SOC as lead, empty period:"), &want, &got);

        // The other team sees its own incidents only, with the default policy and no portfolio.
        let got = dashboard(&b, &people.tokens[OPS_LEAD], &people.ops, Some((from, to))).await;
        let ops = Ask { team: TeamTag::Ops, viewer: OPS_LEAD, policy: &defaults, portfolio: &no_portfolio, ..main };
        let want = expected(&world, &ids, &people, &ops);
        check.dashboard(&format!("[{n}] OPS as its lead:"), &want, &got);
    }
    report(&check);
}

/// What the generated history exercises, so that a passing run means something; fails when the
/// seed stops producing a case the comparison depends on.
fn describe(world: &World, want: &figures::Figures, from: DateTime<Utc>, to: DateTime<Utc>, now: DateTime<Utc>) {
    let soc: Vec<_> = world.incidents.iter().filter(|i| i.team == TeamTag::Soc).collect();
    let actions: usize = world.incidents.iter().map(|i| i.actions.len()).sum();
    let superseding = world.incidents.iter().flat_map(|i| &i.actions).filter(|a| a.supersedes.is_some()).count();
    let before = soc.iter().filter(|i| i.reported_at < from).count();
    let after = world.steps.iter().filter(|s| s.at >= to).count();
    let open_before = soc.iter().filter(|i| i.open && i.reported_at < from).count();
    let running: i64 = want.sla.values().map(|r| r[3]).sum();
    let breached: i64 = want.sla.values().map(|r| r[2]).sum();
    let pending = want.by_stage.iter().find(|(s, _)| s == D6).map_or(0, |(_, r)| r[4]);
    let on_hold = want.by_stage.iter().find(|(s, _)| s == "D2").map_or(0, |(_, r)| r[3]);
    let closed_states = soc.iter().filter(|i| i.state() == CLOSED).count();
    let planned = world.incidents.iter().flat_map(|i| &i.actions).filter(|a| a.outcome == Some(PLANNED)).count();
    eprintln!(
        "history: {} incidents ({} SOC, {before} reported before the period, {open_before} of those open), {} requests \
         ({after} after the period), {actions} actions ({superseding} corrections, {planned} planned); now {now}; \
         SOC: {} open, {closed_states} closed, quality {:?}, {breached} breaches, {running} running breaches, \
         {pending} pending notifications, {on_hold} on hold, {} services exercised, {} exercised undeclared, \
         {} declared unexercised",
        world.incidents.len(),
        soc.len(),
        world.steps.len(),
        want.open,
        want.quality,
        want.exercised,
        want.exercised_not_declared.len(),
        want.declared_not_exercised.len(),
    );
    let [_, false_positives, _, reopened, failed] = want.quality;
    for (what, n) in [
        ("incidents reported before the period", i64::try_from(before).unwrap()),
        ("requests after the period", i64::try_from(after).unwrap()),
        ("false positives", false_positives),
        ("reopened incidents", reopened),
        ("failed containments", failed),
        ("SLA breaches", breached),
        ("running SLA breaches", running),
        ("pending notifications", pending),
        ("incidents on hold", on_hold),
        ("corrections", i64::try_from(superseding).unwrap()),
        ("services exercised but not declared", i64::try_from(want.exercised_not_declared.len()).unwrap()),
        ("services declared but not exercised", i64::try_from(want.declared_not_exercised.len()).unwrap()),
    ] {
        assert!(n > 0, "the generated history has no {what}: change the seed");
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Restricted incidents
// ---------------------------------------------------------------------------------------------

/// Incidents that some members may not see: restricted by a lead, TLP:RED from the report or
/// after classification, restricted then lifted, restricted with a participant.
fn restricted_history() -> World {
    let mut rng = Rng::new(SEED ^ 0xfeed);
    let mut world = World::default();
    let at = |hours: i64| start() + Duration::hours(hours);
    let act = |by: usize, stage: &'static str, services: &[&'static str]| ActSpec {
        effort: Some(30),
        ..ActSpec::new(by, stage, services)
    };

    // I0: ordinary, R2's.
    let mut g = Gen::new(&mut rng, &mut world, TeamTag::Soc, at(0));
    g.report(R2, "USER_REPORT", "AMBER", None);
    g.soon();
    g.acknowledge(R2, None);
    g.soon();
    g.action(act(R2, D4, &["C-1", "G-4"]));

    // I1: restricted, the lead's.
    let mut g = Gen::new(&mut rng, &mut world, TeamTag::Soc, at(4));
    g.report(LEAD, "THREAT_INTEL", "AMBER", None);
    g.soon();
    g.acknowledge(LEAD, None);
    g.soon();
    g.action(act(LEAD, D3, &["A-9", "C-1"]));
    g.soon();
    g.restrict(true);

    // I2: TLP:RED from the report, owned by R2.
    let mut g = Gen::new(&mut rng, &mut world, TeamTag::Soc, at(8));
    g.report(LEAD, "EXTERNAL_CSIRT", "RED", None);
    g.soon();
    g.acknowledge(LEAD, Some(R2));
    g.soon();
    g.action(act(R2, D3, &["E-4"]));

    // I3: restricted, owned by R1.
    let mut g = Gen::new(&mut rng, &mut world, TeamTag::Soc, at(12));
    g.report(LEAD, "VENDOR", "GREEN", None);
    g.soon();
    g.acknowledge(LEAD, Some(R1));
    g.soon();
    g.restrict(true);
    g.soon();
    g.action(act(R1, D4, &["F-1"]));

    // I4: restricted, then lifted.
    let mut g = Gen::new(&mut rng, &mut world, TeamTag::Soc, at(16));
    g.report(R1, "USER_REPORT", "AMBER", None);
    g.soon();
    g.acknowledge(R1, None);
    g.soon();
    g.restrict(true);
    g.soon();
    g.restrict(false);
    g.soon();
    g.action(act(R1, D3, &["B-3"]));

    // I5: restricted, R1 named on it.
    let mut g = Gen::new(&mut rng, &mut world, TeamTag::Soc, at(20));
    g.report(LEAD, "LAW_ENFORCEMENT", "AMBER", None);
    g.soon();
    g.acknowledge(LEAD, None);
    g.soon();
    g.restrict(true);
    g.soon();
    g.participant(R1);
    g.soon();
    g.action(act(LEAD, D4, &["C-1", "I-7"]));

    // I6: TLP:RED by classification, then closed as a false positive.
    let mut g = Gen::new(&mut rng, &mut world, TeamTag::Soc, at(24));
    g.report(R2, "INTERNAL_MONITORING", "AMBER", None);
    g.soon();
    g.acknowledge(R2, None);
    g.soon();
    g.classify(R2, Classif { tlp: Some("RED"), severity: Some("LOW"), ..Classif::default() });
    g.soon();
    g.action(act(R2, D3, &["G-4"]));
    g.soon();
    g.close("FALSE_POSITIVE", None);
    world
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restricted_incidents_count_only_for_those_who_may_see_them() {
    let world = restricted_history();
    let (from, to) = (start() - Duration::days(1), start() + Duration::days(30));
    let now = start() + Duration::days(2);
    let policy = default_policy();
    let portfolio = BTreeMap::new();
    let literal = |pairs: &[(&str, i64)]| pairs.iter().map(|(c, n)| ((*c).to_owned(), *n)).collect::<Vec<_>>();
    // Who sees what: openIncidents and the services their actions exercised.
    let views = [
        (
            "lead",
            LEAD,
            true,
            6,
            literal(&[("A-9", 1), ("B-3", 1), ("C-1", 3), ("E-4", 1), ("F-1", 1), ("G-4", 2), ("I-7", 1)]),
        ),
        (
            "responder R1 (owner of I3, named on I5)",
            R1,
            false,
            4,
            literal(&[("B-3", 1), ("C-1", 2), ("F-1", 1), ("G-4", 1), ("I-7", 1)]),
        ),
        ("responder R2 (owner of I2 and I6)", R2, false, 3, literal(&[("B-3", 1), ("C-1", 1), ("E-4", 1), ("G-4", 2)])),
        ("viewer", VIEWER, false, 2, literal(&[("B-3", 1), ("C-1", 1), ("G-4", 1)])),
    ];
    let mut check = Check::default();
    for b in backends(start() - Duration::days(1)).await {
        let people = people(&b.db).await;
        let n = b.name;
        let ids = execute(&b, &people, &world).await;
        b.clock.set(now);
        for (who, viewer, lead, open, services) in &views {
            let label = format!("[{n}] restricted, as {who}:");
            let got = dashboard(&b, &people.tokens[*viewer], &people.soc, Some((from, to))).await;
            check.eq(&label, "openIncidents (literal)", *open, got.open);
            check.eq(&label, "coverage.services (literal)", services, &got.services);
            check.eq(
                &label,
                "coverage.exercisedCount (literal)",
                i64::try_from(services.len()).unwrap(),
                got.exercised,
            );
            let ask = Ask {
                team: TeamTag::Soc,
                viewer: *viewer,
                lead: *lead,
                from,
                to,
                now,
                policy: &policy,
                portfolio: &portfolio,
            };
            check.dashboard(&label, &expected(&world, &ids, &people, &ask), &got);
        }
    }
    report(&check);
}

// ---------------------------------------------------------------------------------------------
// 3. Errors
// ---------------------------------------------------------------------------------------------

const SMALL_DASHBOARD: &str = "query($team: ID!, $from: DateTime, $to: DateTime) {
  teamDashboard(teamId: $team, from: $from, to: $to) {
    openIncidents slaPolicy { priority clock targetSeconds } coverage { portfolio { service { code } provision } }
  }
}";
const SET_SLA: &str =
    "mutation($input: SetSlaPolicyInput!) { setSlaPolicy(input: $input) { priority clock targetSeconds } }";
const SET_PORTFOLIO: &str =
    "mutation($input: SetServicePortfolioInput!) { setServicePortfolio(input: $input) { service { code } provision } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_inputs_and_settings_are_checked() {
    let now = start();
    let mut check = Check::default();
    for b in backends(now).await {
        let people = people(&b.db).await;
        let n = b.name;
        let label = format!("[{n}]");
        let lead = people.tokens[LEAD].as_str();
        let period =
            |from: DateTime<Utc>, to: DateTime<Utc>| json!({ "team": people.soc, "from": ts(from), "to": ts(to) });
        let years = |y: i64| Duration::days(365 * y);

        for (what, variables) in [
            ("an empty period (from = to)", period(now, now)),
            ("a reversed period (from > to)", period(now, now - Duration::days(1))),
            ("a period over three years", period(now - years(3) - Duration::days(30), now)),
            ("a period of four years", period(now - years(4), now)),
        ] {
            let (code, _) = b.error(lead, SMALL_DASHBOARD, variables).await;
            check.eq(&label, &format!("teamDashboard over {what}"), "BAD_USER_INPUT", code.as_str());
        }
        let year = b.data(lead, SMALL_DASHBOARD, period(now - years(1), now)).await;
        check.eq(
            &label,
            "a one-year dashboard answers",
            0,
            year["teamDashboard"]["openIncidents"].as_i64().unwrap_or(-1),
        );

        for (what, token, team) in [
            ("the SOC lead asking for OPS", lead, people.ops.clone()),
            ("the SOC viewer asking for OPS", people.tokens[VIEWER].as_str(), people.ops.clone()),
            ("the SOC lead asking for a team that does not exist", lead, uuid::Uuid::new_v4().to_string()),
        ] {
            let (code, _) = b.error(token, SMALL_DASHBOARD, json!({ "team": team })).await;
            check.eq(&label, &format!("teamDashboard for {what}"), "NOT_FOUND", code.as_str());
        }

        let sla = |targets: Value| json!({ "input": { "teamId": people.soc, "targets": targets } });
        for (what, target) in [("0", 0), ("negative", -60), ("over a year", 367 * 86_400)] {
            let targets = json!([
                { "priority": "P1", "clock": "ACKNOWLEDGE", "targetSeconds": 60 },
                { "priority": "P2", "clock": "TRIAGE", "targetSeconds": target },
            ]);
            let (code, _) = b.error(lead, SET_SLA, sla(targets)).await;
            check.eq(&label, &format!("setSlaPolicy with a {what} target"), "BAD_USER_INPUT", code.as_str());
        }
        let one = json!([{ "priority": "P1", "clock": "ACKNOWLEDGE", "targetSeconds": 60 }]);
        for (who, person) in [("a responder", R1), ("a viewer", VIEWER)] {
            let (code, _) = b.error(&people.tokens[person], SET_SLA, sla(one.clone())).await;
            check.eq(&label, &format!("setSlaPolicy by {who}"), "FORBIDDEN", code.as_str());
        }

        let portfolio = |entries: Value| json!({ "input": { "teamId": people.soc, "services": entries } });
        let entries = json!([{ "code": "C-1", "provision": "IN_HOUSE" }, { "code": "Z-9", "provision": "OUTSOURCED" }]);
        let (code, body) = b.error(lead, SET_PORTFOLIO, portfolio(entries)).await;
        check.eq(&label, "setServicePortfolio with an unknown code", "UNKNOWN_SERVICE", code.as_str());
        check.eq(
            &label,
            "setServicePortfolio names the unknown code",
            json!(["Z-9"]),
            body["errors"][0]["extensions"]["unknownServices"].clone(),
        );
        let (code, _) = b
            .error(&people.tokens[R1], SET_PORTFOLIO, portfolio(json!([{ "code": "C-1", "provision": "IN_HOUSE" }])))
            .await;
        check.eq(&label, "setServicePortfolio by a responder", "FORBIDDEN", code.as_str());

        // Nothing refused was stored.
        let after = b.data(lead, SMALL_DASHBOARD, json!({ "team": people.soc })).await;
        let policy: BTreeMap<String, i64> = after["teamDashboard"]["slaPolicy"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    format!("{}/{}", t["priority"].as_str().unwrap(), t["clock"].as_str().unwrap()),
                    t["targetSeconds"].as_i64().unwrap(),
                )
            })
            .collect();
        check.eq(&label, "the SLA policy after refused changes", &default_policy(), &policy);
        check.eq(
            &label,
            "the portfolio after refused changes",
            &json!([]),
            &after["teamDashboard"]["coverage"]["portfolio"],
        );
    }
    report(&check);
}
