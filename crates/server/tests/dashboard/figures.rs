//! Every dashboard figure, computed naively from the test's own record (never from the product's
//! metrics code), read from the API's answer into the same shape, and compared figure by figure.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};
use serde_json::Value;

use super::harness::{People, parse_time};
use super::model::{CLOSED, D1, D2, D3, D4, D5, D6, D7, Inc, PLANNED, STAGES, TeamTag, World};

/// Every catalog code in catalog order (DOMAIN §1: A 13, B 4, C 4, D 7, E 9, F 5, G 13, H 2, I 7).
pub fn catalog() -> Vec<String> {
    [('A', 13), ('B', 4), ('C', 4), ('D', 7), ('E', 9), ('F', 5), ('G', 13), ('H', 2), ('I', 7)]
        .iter()
        .flat_map(|(c, n)| (1..=*n).map(move |i| format!("{c}-{i}")))
        .collect()
}

pub const CLOCKS: [&str; 5] = ["ACKNOWLEDGE", "TRIAGE", "CONTAIN", "RECOVER", "CLOSE"];

/// The targets a team gets when it sets none (the product's documented defaults, per priority:
/// acknowledge, triage, contain, recover, close).
pub fn default_policy() -> BTreeMap<String, i64> {
    let h = |hours: i64| hours * 3600;
    let table = [
        ("P1", [900, h(1), h(4), h(24), h(24 * 7)]),
        ("P2", [h(1), h(4), h(24), h(72), h(24 * 14)]),
        ("P3", [h(4), h(24), h(72), h(24 * 7), h(24 * 30)]),
        ("P4", [h(24), h(72), h(24 * 7), h(24 * 14), h(24 * 60)]),
    ];
    let mut policy = BTreeMap::new();
    for (priority, targets) in table {
        for (clock, target) in CLOCKS.iter().zip(targets) {
            policy.insert(format!("{priority}/{clock}"), target);
        }
    }
    policy
}

/// (count, median, p90) in seconds.
pub type St = (i64, Option<i64>, Option<i64>);

/// Nearest rank: the p-th percentile of n sorted values is the one at rank ⌈p·n/100⌉.
fn nearest_rank(mut values: Vec<i64>) -> St {
    values.sort_unstable();
    let n = values.len();
    let at = |p: usize| {
        if n == 0 {
            return None;
        }
        let mut rank = p * n / 100;
        if rank * 100 < p * n {
            rank += 1;
        }
        Some(values[rank.max(1) - 1])
    };
    (i64::try_from(n).unwrap(), at(50), at(90))
}

fn count<T>(items: impl IntoIterator<Item = T>) -> i64 {
    i64::try_from(items.into_iter().count()).unwrap()
}

const NONE: &str = "(none)";

/// One dashboard in comparable form.
#[derive(Debug, Default, Clone)]
pub struct Figures {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub generated_at: Option<DateTime<Utc>>,
    pub open: i64,
    /// stage → [count, owned, unowned, onHold, pendingNotifications], D1..D7 in order.
    pub by_stage: Vec<(String, [i64; 5])>,
    pub by_severity: BTreeMap<String, i64>,
    pub by_priority: BTreeMap<String, i64>,
    pub by_owner: BTreeMap<String, i64>,
    pub oldest: Option<String>,
    pub flow: Vec<(DateTime<Utc>, i64, i64)>,
    /// "TRIAGE overall", "TRIAGE P2", "TRIAGE HIGH" → stats (groups without values left out).
    pub clocks: BTreeMap<String, St>,
    pub clock_names: Vec<String>,
    pub time_in_stage: BTreeMap<String, St>,
    pub policy: BTreeMap<String, i64>,
    pub policy_entries: usize,
    /// "P1/ACKNOWLEDGE" → [target, measured, breached, runningBreached].
    pub sla: BTreeMap<String, [i64; 4]>,
    pub sla_entries: usize,
    /// [reported, falsePositives, closed, reopened, failedContainments].
    pub quality: [i64; 5],
    pub false_positive_share: Option<f64>,
    pub reopen_rate: Option<f64>,
    /// person id → [openOwned, actions, effortMinutes].
    pub workload: BTreeMap<String, [i64; 3]>,
    pub catalog_services: i64,
    pub exercised: i64,
    pub ratio: f64,
    /// In catalog order.
    pub services: Vec<(String, i64)>,
    pub stage_matrix: BTreeMap<String, i64>,
    pub category_months: BTreeMap<String, i64>,
    pub portfolio: BTreeMap<String, String>,
    pub declared_not_exercised: BTreeSet<String>,
    pub exercised_not_declared: BTreeSet<String>,
}

/// Who asks, about what.
#[derive(Debug, Clone)]
pub struct Ask<'a> {
    pub team: TeamTag,
    pub viewer: usize,
    pub lead: bool,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub now: DateTime<Utc>,
    pub policy: &'a BTreeMap<String, i64>,
    pub portfolio: &'a BTreeMap<String, String>,
}

/// DOMAIN §5 and the restriction rule: a lead sees all of the team's incidents; others do not see
/// a restricted (or TLP:RED) one unless they own it, reported it or are named on it.
fn sees(ask: &Ask<'_>, inc: &Inc) -> bool {
    ask.lead
        || !(inc.restricted || inc.red)
        || inc.owner == Some(ask.viewer)
        || inc.reporter == ask.viewer
        || inc.participants.contains(&ask.viewer)
}

/// Monday 00:00 UTC of the week holding `at`.
fn monday(at: DateTime<Utc>) -> DateTime<Utc> {
    let day = at.date_naive() - Duration::days(i64::from(at.weekday().num_days_from_monday()));
    day.and_time(NaiveTime::MIN).and_utc()
}

fn milestone(inc: &Inc, clock: &str) -> Option<DateTime<Utc>> {
    match clock {
        "ACKNOWLEDGE" => inc.acknowledged,
        "TRIAGE" => inc.triaged,
        "CONTAIN" => inc.contained,
        "RECOVER" => inc.recovered,
        _ => inc.closed,
    }
}

/// The expected dashboard, computed from the record alone.
pub fn expected(world: &World, ids: &[String], people: &People, ask: &Ask<'_>) -> Figures {
    let during = |at: DateTime<Utc>| ask.from <= at && at < ask.to;
    let incidents: Vec<(usize, &Inc)> =
        world.incidents.iter().enumerate().filter(|(_, i)| i.team == ask.team && sees(ask, i)).collect();
    let open: Vec<&(usize, &Inc)> = incidents.iter().filter(|(_, i)| i.open).collect();
    let reported: Vec<&Inc> = incidents.iter().map(|(_, i)| *i).filter(|i| during(i.reported_at)).collect();
    // Actions no other action supersedes.
    let live = |inc: &Inc| -> Vec<usize> {
        let superseded: BTreeSet<usize> = inc.actions.iter().filter_map(|a| a.supersedes).collect();
        (0..inc.actions.len()).filter(|k| !superseded.contains(k)).collect()
    };
    let mut f = Figures {
        from: Some(ask.from),
        to: Some(ask.to),
        generated_at: Some(ask.now),
        open: count(&open),
        ..Figures::default()
    };

    // Backlog.
    for stage in STAGES {
        let mut row = [0_i64; 5];
        match stage {
            D2 => {
                let handled: Vec<_> = open.iter().filter(|(_, i)| i.acknowledged.is_some()).collect();
                row[0] = count(&handled);
                row[1] = count(handled.iter().filter(|(_, i)| i.owner.is_some()));
                row[2] = row[0] - row[1];
                row[3] = count(handled.iter().filter(|(_, i)| i.on_hold));
            }
            D6 => {
                for (_, inc) in &open {
                    let pending = count(
                        live(inc)
                            .into_iter()
                            .filter(|k| inc.actions[*k].stage == D6 && inc.actions[*k].outcome == Some(PLANNED)),
                    );
                    row[4] += pending;
                    row[0] += i64::from(pending > 0);
                }
            }
            _ => row[0] = count(open.iter().filter(|(_, i)| i.stage == stage)),
        }
        f.by_stage.push((stage.to_owned(), row));
    }
    for (_, inc) in &open {
        *f.by_severity.entry(inc.severity.unwrap_or(NONE).to_owned()).or_default() += 1;
        *f.by_priority.entry(inc.priority.unwrap_or(NONE).to_owned()).or_default() += 1;
        let owner = inc.owner.map_or_else(|| NONE.to_owned(), |o| people.ids[o].clone());
        *f.by_owner.entry(owner).or_default() += 1;
    }
    f.oldest = open.iter().min_by_key(|(k, i)| (i.reported_at, ids[*k].clone())).map(|(k, _)| ids[*k].clone());

    // Flow.
    let mut week = monday(ask.from);
    while week < ask.to {
        let end = week + Duration::weeks(1);
        let in_week = |at: DateTime<Utc>| during(at) && week <= at && at < end;
        let opened = count(incidents.iter().filter(|(_, i)| in_week(i.reported_at)));
        let closed = count(incidents.iter().filter(|(_, i)| i.closed.is_some_and(in_week)));
        f.flow.push((week, opened, closed));
        week = end;
    }

    // Clocks, over the incidents reported in the period.
    for clock in CLOCKS {
        f.clock_names.push(clock.to_owned());
        let values: Vec<(&Inc, i64)> = reported
            .iter()
            .filter_map(|i| milestone(i, clock).map(|at| (*i, (at - i.reported_at).num_seconds())))
            .collect();
        f.clocks.insert(format!("{clock} overall"), nearest_rank(values.iter().map(|(_, s)| *s).collect()));
        let mut groups: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for (inc, seconds) in &values {
            if let Some(p) = inc.priority {
                groups.entry(format!("{clock} priority {p}")).or_default().push(*seconds);
            }
            if let Some(s) = inc.severity {
                groups.entry(format!("{clock} severity {s}")).or_default().push(*seconds);
            }
        }
        for (key, values) in groups {
            f.clocks.insert(key, nearest_rank(values));
        }
    }
    f.clock_names.sort();

    // Time in stage: finished stays, from consecutive transitions.
    let mut stays: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for inc in &reported {
        for pair in inc.transitions.windows(2) {
            let ((_, entered, since), (_, _, until)) = (pair[0], pair[1]);
            if entered != CLOSED {
                stays.entry(entered).or_default().push((until - since).num_seconds());
            }
        }
    }
    for state in [D1, D3, D4, D5, D7] {
        f.time_in_stage.insert(state.to_owned(), nearest_rank(stays.remove(state).unwrap_or_default()));
    }

    // SLA.
    f.policy = ask.policy.clone();
    f.policy_entries = ask.policy.len();
    f.sla_entries = ask.policy.len();
    for (key, target) in ask.policy {
        let (priority, clock) = key.split_once('/').unwrap();
        let mut row = [*target, 0, 0, 0];
        for inc in reported.iter().filter(|i| i.priority == Some(priority)) {
            if let Some(at) = milestone(inc, clock) {
                row[1] += 1;
                row[2] += i64::from((at - inc.reported_at).num_seconds() > *target);
            } else if inc.open {
                row[1] += 1;
                row[3] += i64::from((ask.now - inc.reported_at).num_seconds() > *target);
            }
        }
        f.sla.insert(key.clone(), row);
    }

    // Quality.
    let closed: Vec<&&Inc> = reported.iter().filter(|i| i.closed.is_some()).collect();
    let false_positives = count(reported.iter().filter(|i| i.determination == "FALSE_POSITIVE"));
    let reopened = count(closed.iter().filter(|i| i.reopens > 0));
    let failed = count(
        incidents
            .iter()
            .flat_map(|(_, i)| i.transitions.iter())
            .filter(|(from, to, at)| *from == Some(D5) && *to == D4 && during(*at)),
    );
    f.quality = [count(&reported), false_positives, count(&closed), reopened, failed];
    #[allow(clippy::cast_precision_loss)]
    let share = |part: i64, whole: i64| (whole > 0).then(|| part as f64 / whole as f64);
    f.false_positive_share = share(false_positives, count(&reported));
    f.reopen_rate = share(reopened, count(&closed));

    // Workload and coverage, over live actions performed in the period.
    for (_, inc) in &open {
        if let Some(owner) = inc.owner {
            f.workload.entry(people.ids[owner].clone()).or_default()[0] += 1;
        }
    }
    let mut uses: BTreeMap<String, i64> = BTreeMap::new();
    for (_, inc) in &incidents {
        for k in live(inc) {
            let action = &inc.actions[k];
            if !during(action.performed_at) {
                continue;
            }
            let row = f.workload.entry(people.ids[action.by].clone()).or_default();
            row[1] += 1;
            row[2] += action.effort.unwrap_or(0);
            let month = action.performed_at.format("%Y-%m").to_string();
            for code in &action.services {
                *uses.entry((*code).to_owned()).or_default() += 1;
                *f.stage_matrix.entry(format!("{} {code}", action.stage)).or_default() += 1;
                *f.category_months.entry(format!("{} {month}", &code[..1])).or_default() += 1;
            }
        }
    }
    let catalog = catalog();
    f.catalog_services = count(&catalog);
    f.exercised = count(&uses);
    #[allow(clippy::cast_precision_loss)]
    let ratio = uses.len() as f64 / catalog.len() as f64;
    f.ratio = ratio;
    f.services = catalog.iter().filter_map(|c| uses.get(c).map(|n| (c.clone(), *n))).collect();
    f.portfolio = ask.portfolio.clone();
    let provided =
        |code: &String| matches!(ask.portfolio.get(code).map(String::as_str), Some("IN_HOUSE" | "OUTSOURCED"));
    f.declared_not_exercised = catalog.iter().filter(|c| provided(c) && !uses.contains_key(*c)).cloned().collect();
    f.exercised_not_declared = uses.keys().filter(|c| !provided(c)).cloned().collect();
    f
}

/// The selection that asks for every field of a team dashboard.
pub const DASHBOARD: &str = "
fragment S on DurationStats { count medianSeconds p90Seconds }
query($team: ID!, $from: DateTime, $to: DateTime) {
  teamDashboard(teamId: $team, from: $from, to: $to) {
    from to generatedAt openIncidents
    backlogByStage { stage count owned unowned onHold pendingNotifications }
    backlogBySeverity { severity count }
    backlogByPriority { priority count }
    backlogByOwner { owner { id name } count }
    oldestOpenIncident { id key reportedAt }
    flow { weekStart opened closed }
    clocks { clock overall { ...S } byPriority { priority stats { ...S } } bySeverity { severity stats { ...S } } }
    timeInStage { state stats { ...S } }
    slaPolicy { priority clock targetSeconds }
    slaBreaches { clock priority targetSeconds measured breached runningBreached }
    quality { reported falsePositives falsePositiveShare closed reopened reopenRate failedContainments }
    workload { person { id name } openOwned actions effortMinutes }
    coverage {
      catalogServices exercisedCount ratio
      services { service { code category titleEn titleJa } count }
      stageMatrix { stage code count }
      categoryMonths { category month count }
      portfolio { service { code } provision }
      declaredNotExercised { code }
      exercisedNotDeclared { code }
    }
  }
}";

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

fn string(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}")).to_owned()
}

fn list(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not a list: {v}"))
}

fn stats(v: &Value) -> St {
    (int(&v["count"]), v["medianSeconds"].as_i64(), v["p90Seconds"].as_i64())
}

fn key_or_none(v: &Value) -> String {
    v.as_str().map_or_else(|| NONE.to_owned(), str::to_owned)
}

/// The API's answer in comparable form.
pub fn actual(d: &Value) -> Figures {
    let mut f = Figures {
        from: Some(parse_time(&d["from"])),
        to: Some(parse_time(&d["to"])),
        generated_at: Some(parse_time(&d["generatedAt"])),
        open: int(&d["openIncidents"]),
        ..Figures::default()
    };
    for b in list(&d["backlogByStage"]) {
        let row = [
            b["count"].clone(),
            b["owned"].clone(),
            b["unowned"].clone(),
            b["onHold"].clone(),
            b["pendingNotifications"].clone(),
        ];
        f.by_stage.push((string(&b["stage"]), row.map(|v| int(&v))));
    }
    for b in list(&d["backlogBySeverity"]) {
        f.by_severity.insert(key_or_none(&b["severity"]), int(&b["count"]));
    }
    for b in list(&d["backlogByPriority"]) {
        f.by_priority.insert(key_or_none(&b["priority"]), int(&b["count"]));
    }
    for b in list(&d["backlogByOwner"]) {
        f.by_owner.insert(key_or_none(&b["owner"]["id"]), int(&b["count"]));
    }
    f.oldest = d["oldestOpenIncident"]["id"].as_str().map(str::to_owned);
    for w in list(&d["flow"]) {
        f.flow.push((parse_time(&w["weekStart"]), int(&w["opened"]), int(&w["closed"])));
    }
    for c in list(&d["clocks"]) {
        let clock = string(&c["clock"]);
        f.clocks.insert(format!("{clock} overall"), stats(&c["overall"]));
        for p in list(&c["byPriority"]) {
            f.clocks.insert(format!("{clock} priority {}", string(&p["priority"])), stats(&p["stats"]));
        }
        for s in list(&c["bySeverity"]) {
            f.clocks.insert(format!("{clock} severity {}", string(&s["severity"])), stats(&s["stats"]));
        }
        f.clock_names.push(clock);
    }
    f.clock_names.sort();
    for t in list(&d["timeInStage"]) {
        f.time_in_stage.insert(string(&t["state"]), stats(&t["stats"]));
    }
    let policy = list(&d["slaPolicy"]);
    f.policy_entries = policy.len();
    for t in policy {
        f.policy.insert(format!("{}/{}", string(&t["priority"]), string(&t["clock"])), int(&t["targetSeconds"]));
    }
    let sla = list(&d["slaBreaches"]);
    f.sla_entries = sla.len();
    for s in sla {
        f.sla.insert(
            format!("{}/{}", string(&s["priority"]), string(&s["clock"])),
            [int(&s["targetSeconds"]), int(&s["measured"]), int(&s["breached"]), int(&s["runningBreached"])],
        );
    }
    let q = &d["quality"];
    f.quality = [
        int(&q["reported"]),
        int(&q["falsePositives"]),
        int(&q["closed"]),
        int(&q["reopened"]),
        int(&q["failedContainments"]),
    ];
    f.false_positive_share = q["falsePositiveShare"].as_f64();
    f.reopen_rate = q["reopenRate"].as_f64();
    for w in list(&d["workload"]) {
        f.workload
            .insert(string(&w["person"]["id"]), [int(&w["openOwned"]), int(&w["actions"]), int(&w["effortMinutes"])]);
    }
    let c = &d["coverage"];
    f.catalog_services = int(&c["catalogServices"]);
    f.exercised = int(&c["exercisedCount"]);
    f.ratio = c["ratio"].as_f64().unwrap_or(f64::NAN);
    f.services = list(&c["services"]).iter().map(|s| (string(&s["service"]["code"]), int(&s["count"]))).collect();
    for m in list(&c["stageMatrix"]) {
        f.stage_matrix.insert(format!("{} {}", string(&m["stage"]), string(&m["code"])), int(&m["count"]));
    }
    for m in list(&c["categoryMonths"]) {
        f.category_months.insert(format!("{} {}", string(&m["category"]), string(&m["month"])), int(&m["count"]));
    }
    for p in list(&c["portfolio"]) {
        f.portfolio.insert(string(&p["service"]["code"]), string(&p["provision"]));
    }
    f.declared_not_exercised = list(&c["declaredNotExercised"]).iter().map(|s| string(&s["code"])).collect();
    f.exercised_not_declared = list(&c["exercisedNotDeclared"]).iter().map(|s| string(&s["code"])).collect();
    f
}

/// Collects mismatches, each naming the figure and both values.
#[derive(Debug, Default)]
pub struct Check {
    pub mismatches: Vec<String>,
}

impl Check {
    pub fn eq<T: PartialEq + Debug>(&mut self, label: &str, name: &str, expected: T, actual: T) {
        if expected != actual {
            self.mismatches.push(format!("{label} {name}: expected {expected:?}, got {actual:?}"));
        }
    }

    fn map<V: PartialEq + Debug>(
        &mut self,
        label: &str,
        name: &str,
        expected: &BTreeMap<String, V>,
        actual: &BTreeMap<String, V>,
    ) {
        let keys: BTreeSet<&String> = expected.keys().chain(actual.keys()).collect();
        for key in keys {
            self.eq(label, &format!("{name}[{key}]"), expected.get(key), actual.get(key));
        }
    }

    fn float(&mut self, label: &str, name: &str, expected: Option<f64>, actual: Option<f64>) {
        let same = match (expected, actual) {
            (Some(e), Some(a)) => (e - a).abs() <= 1e-12,
            (None, None) => true,
            _ => false,
        };
        if !same {
            self.mismatches.push(format!("{label} {name}: expected {expected:?}, got {actual:?}"));
        }
    }

    /// Compares every figure.
    pub fn dashboard(&mut self, label: &str, e: &Figures, a: &Figures) {
        self.eq(label, "from", e.from, a.from);
        self.eq(label, "to", e.to, a.to);
        self.eq(label, "generatedAt", e.generated_at, a.generated_at);
        self.eq(label, "openIncidents", e.open, a.open);
        let names = |rows: &[(String, [i64; 5])]| rows.iter().map(|(s, _)| s.clone()).collect::<Vec<_>>();
        self.eq(label, "backlogByStage stages (D1..D7, in order)", names(&e.by_stage), names(&a.by_stage));
        let fields = ["count", "owned", "unowned", "onHold", "pendingNotifications"];
        for (stage, row) in &e.by_stage {
            let got = a.by_stage.iter().find(|(s, _)| s == stage).map(|(_, r)| *r);
            for (k, field) in fields.iter().enumerate() {
                self.eq(label, &format!("backlogByStage[{stage}].{field}"), Some(row[k]), got.map(|r| r[k]));
            }
        }
        let nonzero =
            |m: &BTreeMap<String, i64>| m.iter().filter(|(_, v)| **v != 0).map(|(k, v)| (k.clone(), *v)).collect();
        self.map(label, "backlogBySeverity", &nonzero(&e.by_severity), &nonzero(&a.by_severity));
        self.map(label, "backlogByPriority", &nonzero(&e.by_priority), &nonzero(&a.by_priority));
        self.map(label, "backlogByOwner", &nonzero(&e.by_owner), &nonzero(&a.by_owner));
        self.eq(label, "oldestOpenIncident", &e.oldest, &a.oldest);
        let weeks = |f: &[(DateTime<Utc>, i64, i64)]| f.iter().map(|w| w.0).collect::<Vec<_>>();
        self.eq(label, "flow weeks", weeks(&e.flow), weeks(&a.flow));
        for (week, opened, closed) in &e.flow {
            let got = a.flow.iter().find(|w| w.0 == *week);
            self.eq(label, &format!("flow[{}].opened", week.date_naive()), Some(*opened), got.map(|w| w.1));
            self.eq(label, &format!("flow[{}].closed", week.date_naive()), Some(*closed), got.map(|w| w.2));
        }
        self.eq(label, "clocks listed", &e.clock_names, &a.clock_names);
        // Group rows with no values may be listed or not; overall rows must be there.
        let present = |m: &BTreeMap<String, St>| {
            m.iter().filter(|(k, v)| v.0 != 0 || k.ends_with("overall")).map(|(k, v)| (k.clone(), *v)).collect()
        };
        self.map(label, "clocks", &present(&e.clocks), &present(&a.clocks));
        self.map(label, "timeInStage", &e.time_in_stage, &a.time_in_stage);
        self.eq(label, "slaPolicy entries", e.policy_entries, a.policy_entries);
        self.map(label, "slaPolicy", &e.policy, &a.policy);
        self.eq(label, "slaBreaches entries", e.sla_entries, a.sla_entries);
        let fields = ["targetSeconds", "measured", "breached", "runningBreached"];
        let keys: BTreeSet<&String> = e.sla.keys().chain(a.sla.keys()).collect();
        for key in keys {
            for (k, field) in fields.iter().enumerate() {
                let (want, got) = (e.sla.get(key).map(|r| r[k]), a.sla.get(key).map(|r| r[k]));
                self.eq(label, &format!("slaBreaches[{key}].{field}"), want, got);
            }
        }
        let fields = ["reported", "falsePositives", "closed", "reopened", "failedContainments"];
        for (k, field) in fields.iter().enumerate() {
            self.eq(label, &format!("quality.{field}"), e.quality[k], a.quality[k]);
        }
        self.float(label, "quality.falsePositiveShare", e.false_positive_share, a.false_positive_share);
        self.float(label, "quality.reopenRate", e.reopen_rate, a.reopen_rate);
        let busy = |m: &BTreeMap<String, [i64; 3]>| {
            m.iter().filter(|(_, r)| **r != [0, 0, 0]).map(|(k, r)| (k.clone(), *r)).collect()
        };
        let (ew, aw): (BTreeMap<String, [i64; 3]>, BTreeMap<String, [i64; 3]>) = (busy(&e.workload), busy(&a.workload));
        let keys: BTreeSet<&String> = ew.keys().chain(aw.keys()).collect();
        for key in keys {
            for (k, field) in ["openOwned", "actions", "effortMinutes"].iter().enumerate() {
                self.eq(
                    label,
                    &format!("workload[{key}].{field}"),
                    ew.get(key).map(|r| r[k]),
                    aw.get(key).map(|r| r[k]),
                );
            }
        }
        self.eq(label, "coverage.catalogServices", e.catalog_services, a.catalog_services);
        self.eq(label, "coverage.exercisedCount", e.exercised, a.exercised);
        self.float(label, "coverage.ratio", Some(e.ratio), Some(a.ratio));
        let order = |s: &[(String, i64)]| s.iter().map(|(c, _)| c.clone()).collect::<Vec<_>>();
        self.eq(label, "coverage.services (codes, in catalog order)", order(&e.services), order(&a.services));
        let counts = |s: &[(String, i64)]| s.iter().cloned().collect::<BTreeMap<String, i64>>();
        self.map(label, "coverage.services", &counts(&e.services), &counts(&a.services));
        self.map(label, "coverage.stageMatrix", &e.stage_matrix, &a.stage_matrix);
        self.map(label, "coverage.categoryMonths", &e.category_months, &a.category_months);
        self.map(label, "coverage.portfolio", &e.portfolio, &a.portfolio);
        self.eq(label, "coverage.declaredNotExercised", &e.declared_not_exercised, &a.declared_not_exercised);
        self.eq(label, "coverage.exercisedNotDeclared", &e.exercised_not_declared, &a.exercised_not_declared);
    }
}
