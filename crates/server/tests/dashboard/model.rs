//! The test's own record of a history, and the generator that plans it: every planned step
//! updates the record the way DOMAIN.md §2–§4 says the product does, so that the record, not the
//! API, is what the expected dashboard is computed from.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};

use super::harness::{LEAD, OPS_LEAD, OPS_R, R1, R2, R3, Rng, ts};

pub const D1: &str = "D1";
pub const D2: &str = "D2";
pub const D3: &str = "D3";
pub const D4: &str = "D4";
pub const D5: &str = "D5";
pub const D6: &str = "D6";
pub const D7: &str = "D7";
pub const CLOSED: &str = "CLOSED";
pub const STAGES: [&str; 7] = [D1, D2, D3, D4, D5, D6, D7];

pub const PLANNED: &str = "PLANNED";
const SOURCES: [&str; 7] =
    ["INTERNAL_MONITORING", "USER_REPORT", "EXTERNAL_CSIRT", "VENDOR", "LAW_ENFORCEMENT", "THREAT_INTEL", "OTHER"];
const TLPS: [&str; 4] = ["CLEAR", "GREEN", "AMBER", "AMBER_STRICT"];
const SEVERITIES: [&str; 4] = ["LOW", "MEDIUM", "HIGH", "CRITICAL"];
const URGENCIES: [&str; 3] = ["LOW", "MEDIUM", "HIGH"];
const PRIORITIES: [&str; 4] = ["P1", "P2", "P3", "P4"];
const CATEGORIES: [&str; 7] = [
    "intrusions/system-compromise",
    "malicious-code/infected-system",
    "fraud/phishing",
    "availability/ddos",
    "information-content-security/data-leak",
    "intrusion-attempts/brute-force",
    "information-gathering/scanner",
];
const AUDIENCES: [&str; 5] = ["RESPONDERS", "MANAGEMENT", "AFFECTED_PARTIES", "REGULATOR", "CUSTOMERS"];
/// The services the generated actions exercise (a part of the catalog, so that coverage is partial).
pub const POOL: [&str; 32] = [
    "A-1", "A-5", "A-6", "A-7", "A-9", "A-10", "A-11", "B-1", "B-2", "B-3", "B-4", "C-1", "C-2", "C-3", "C-4", "E-1",
    "E-2", "E-3", "E-4", "E-9", "F-1", "F-2", "F-3", "G-2", "G-3", "G-4", "G-9", "G-11", "I-1", "I-5", "I-6", "I-7",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamTag {
    Soc,
    Ops,
}

/// An action as recorded.
#[derive(Debug, Clone)]
pub struct Act {
    pub stage: &'static str,
    pub services: Vec<&'static str>,
    pub by: usize,
    pub performed_at: DateTime<Utc>,
    pub effort: Option<i64>,
    pub outcome: Option<&'static str>,
    pub supersedes: Option<usize>,
}

/// An incident as the test knows it, after everything it did.
#[derive(Debug, Clone)]
pub struct Inc {
    pub team: TeamTag,
    pub reporter: usize,
    pub reported_at: DateTime<Utc>,
    pub open: bool,
    pub stage: &'static str,
    pub owner: Option<usize>,
    pub on_hold: bool,
    pub restricted: bool,
    pub red: bool,
    pub participants: Vec<usize>,
    pub determination: &'static str,
    pub category: Option<&'static str>,
    pub severity: Option<&'static str>,
    pub urgency: Option<&'static str>,
    pub priority: Option<&'static str>,
    pub overridden: bool,
    pub declared: bool,
    pub report_recorded: bool,
    pub acknowledged: Option<DateTime<Utc>>,
    pub triaged: Option<DateTime<Utc>>,
    pub contained: Option<DateTime<Utc>>,
    pub recovered: Option<DateTime<Utc>>,
    pub closed: Option<DateTime<Utc>>,
    pub reopens: i64,
    /// (from, to, at), in order.
    pub transitions: Vec<(Option<&'static str>, &'static str, DateTime<Utc>)>,
    pub actions: Vec<Act>,
}

impl Inc {
    pub fn state(&self) -> &'static str {
        if self.open { self.stage } else { CLOSED }
    }

    fn ready_to_declare(&self) -> bool {
        matches!(self.determination, "CONFIRMED" | "SUSPECTED")
            && self.category.is_some()
            && self.severity.is_some()
            && self.urgency.is_some()
    }

    fn acknowledge(&mut self, owner: usize, at: DateTime<Utc>) {
        self.owner = Some(owner);
        self.acknowledged.get_or_insert(at);
    }

    fn moved(&mut self, to: &'static str, at: DateTime<Utc>) {
        self.transitions.push((Some(self.state()), to, at));
    }
}

/// What a step does through the API.
#[derive(Debug, Clone)]
pub enum Op {
    Report { source: &'static str, tlp: &'static str, reported_at: Option<DateTime<Utc>> },
    Acknowledge { owner: Option<usize> },
    Classify(Value),
    Transition { to: &'static str, reason: bool, classification: Option<Value> },
    Close { resolution: &'static str, duplicate_of: Option<usize> },
    Reopen { to: Option<&'static str> },
    Hold(bool),
    Reassign(usize),
    Restrict(bool),
    Participant(usize),
    Action { local: usize, input: Value },
}

/// One request, at its time, by a person.
#[derive(Debug, Clone)]
pub struct Step {
    pub at: DateTime<Utc>,
    pub incident: usize,
    pub seq: usize,
    pub by: usize,
    pub op: Op,
}

/// Everything planned: the record and the requests that produce it.
#[derive(Debug, Clone, Default)]
pub struct World {
    pub incidents: Vec<Inc>,
    pub steps: Vec<Step>,
}

/// Triage fields to set.
#[derive(Debug, Clone, Copy, Default)]
pub struct Classif {
    pub determination: Option<&'static str>,
    pub category: Option<&'static str>,
    pub severity: Option<&'static str>,
    pub urgency: Option<&'static str>,
    pub tlp: Option<&'static str>,
    pub priority: Option<&'static str>,
}

impl Classif {
    pub fn declaring(
        determination: &'static str,
        category: &'static str,
        severity: &'static str,
        urgency: &'static str,
    ) -> Self {
        Self {
            determination: Some(determination),
            category: Some(category),
            severity: Some(severity),
            urgency: Some(urgency),
            ..Self::default()
        }
    }

    fn json(&self) -> Value {
        let mut m = Map::new();
        for (key, value) in [
            ("determination", self.determination),
            ("category", self.category),
            ("severity", self.severity),
            ("urgency", self.urgency),
            ("tlp", self.tlp),
            ("priority", self.priority),
        ] {
            if let Some(value) = value {
                m.insert(key.to_owned(), json!(value));
            }
        }
        if self.priority.is_some() {
            m.insert("priorityReason".to_owned(), json!("the duty lead raised it"));
        }
        Value::Object(m)
    }

    /// DOMAIN §3: fields given replace, the priority follows the matrix unless set by hand (once
    /// set by hand it stays until set by hand again).
    fn apply(&self, inc: &mut Inc) {
        if let Some(d) = self.determination {
            inc.determination = d;
        }
        if let Some(c) = self.category {
            inc.category = Some(c);
        }
        if let Some(s) = self.severity {
            inc.severity = Some(s);
        }
        if let Some(u) = self.urgency {
            inc.urgency = Some(u);
        }
        if let Some(t) = self.tlp {
            inc.red = t == "RED";
        }
        if let Some(p) = self.priority {
            inc.priority = Some(p);
            inc.overridden = true;
        } else if !inc.overridden {
            inc.priority = match (inc.severity, inc.urgency) {
                (Some(s), Some(u)) => Some(matrix(s, u)),
                _ => None,
            };
        }
    }
}

/// DOMAIN §3's severity × urgency table.
fn matrix(severity: &str, urgency: &str) -> &'static str {
    match (severity, urgency) {
        ("CRITICAL", "LOW") | ("HIGH", "MEDIUM") | ("MEDIUM", "HIGH") => "P2",
        ("CRITICAL", _) | ("HIGH", "HIGH") => "P1",
        ("HIGH", "LOW") | ("MEDIUM", "MEDIUM") | ("LOW", "HIGH") => "P3",
        _ => "P4",
    }
}

/// An action to record.
#[derive(Debug, Clone)]
pub struct ActSpec {
    pub by: usize,
    pub stage: &'static str,
    pub services: Vec<&'static str>,
    pub effort: Option<i64>,
    pub outcome: Option<&'static str>,
    /// Back-dated by this much (sent as `performedAt`); performed now otherwise.
    pub back: Option<Duration>,
    pub supersedes: Option<usize>,
}

impl ActSpec {
    pub fn new(by: usize, stage: &'static str, services: &[&'static str]) -> Self {
        Self { by, stage, services: services.to_vec(), effort: None, outcome: None, back: None, supersedes: None }
    }
}

/// Plans the life of one incident, step by step, updating the record as it goes.
pub struct Gen<'a> {
    pub rng: &'a mut Rng,
    pub world: &'a mut World,
    pub idx: usize,
    pub t: DateTime<Utc>,
    pub team: TeamTag,
}

impl<'a> Gen<'a> {
    pub fn new(rng: &'a mut Rng, world: &'a mut World, team: TeamTag, t: DateTime<Utc>) -> Self {
        Self { rng, world, idx: usize::MAX, t, team }
    }

    pub fn inc(&mut self) -> &mut Inc {
        &mut self.world.incidents[self.idx]
    }

    fn push(&mut self, by: usize, op: Op) {
        let seq = self.world.steps.len();
        self.world.steps.push(Step { at: self.t, incident: self.idx, seq, by, op });
    }

    fn members(&self) -> &'static [usize] {
        match self.team {
            TeamTag::Soc => &[LEAD, R1, R2, R3],
            TeamTag::Ops => &[OPS_LEAD, OPS_R, R2],
        }
    }

    fn responders(&self) -> &'static [usize] {
        match self.team {
            TeamTag::Soc => &[R1, R2, R3],
            TeamTag::Ops => &[OPS_R, R2],
        }
    }

    fn lead(&self) -> usize {
        match self.team {
            TeamTag::Soc => LEAD,
            TeamTag::Ops => OPS_LEAD,
        }
    }

    fn micros(&mut self) -> Duration {
        Duration::microseconds(i64::try_from(self.rng.below(1_000_000)).unwrap())
    }

    fn secs(&mut self, from: i64, to: i64) -> Duration {
        let span = u64::try_from(to - from).unwrap();
        Duration::seconds(from + i64::try_from(self.rng.below(span)).unwrap())
    }

    /// A main-line gap: minutes to days.
    pub fn wait(&mut self) {
        let gap = match self.rng.below(10) {
            0..=3 => self.secs(60, 3600),
            4..=6 => self.secs(3600, 12 * 3600),
            _ => self.secs(86_400, 4 * 86_400),
        };
        let micros = self.micros();
        self.t += gap + micros;
    }

    /// A short gap: one minute to three hours.
    pub fn soon(&mut self) {
        let gap = self.secs(60, 3 * 3600) + self.micros();
        self.t += gap;
    }

    // --- the operations, each one request -------------------------------------------------

    pub fn report(&mut self, reporter: usize, source: &'static str, tlp: &'static str, back: Option<Duration>) {
        let reported_at = back.map_or(self.t, |b| self.t - b);
        self.idx = self.world.incidents.len();
        self.world.incidents.push(Inc {
            team: self.team,
            reporter,
            reported_at,
            open: true,
            stage: D1,
            owner: None,
            on_hold: false,
            restricted: false,
            red: tlp == "RED",
            participants: Vec::new(),
            determination: "UNDETERMINED",
            category: None,
            severity: None,
            urgency: None,
            priority: None,
            overridden: false,
            declared: false,
            report_recorded: false,
            acknowledged: None,
            triaged: None,
            contained: None,
            recovered: None,
            closed: None,
            reopens: 0,
            transitions: vec![(None, D1, reported_at)],
            actions: Vec::new(),
        });
        self.push(reporter, Op::Report { source, tlp, reported_at: back.map(|_| reported_at) });
    }

    pub fn acknowledge(&mut self, by: usize, owner: Option<usize>) {
        let t = self.t;
        let inc = self.inc();
        assert_eq!(inc.state(), D1, "the plan acknowledges only reports");
        inc.acknowledge(owner.unwrap_or(by), t);
        inc.moved(D3, t);
        inc.stage = D3;
        self.push(by, Op::Acknowledge { owner });
    }

    pub fn classify(&mut self, by: usize, c: Classif) {
        let inc = self.inc();
        assert!(inc.open && inc.stage != D1, "the plan classifies acknowledged, open incidents");
        c.apply(inc);
        self.push(by, Op::Classify(c.json()));
    }

    pub fn transition(&mut self, by: usize, to: &'static str, classification: Option<Classif>) {
        let t = self.t;
        let inc = self.inc();
        assert!(inc.open, "the plan moves open incidents");
        let from = inc.stage;
        if let Some(c) = &classification {
            c.apply(inc);
        }
        let reason = match (from, to) {
            (D1, D3) => {
                inc.acknowledge(inc.owner.unwrap_or(by), t);
                false
            }
            (D1, D4) | (D3, D4 | D5 | D7) => {
                assert!(inc.ready_to_declare(), "the plan declares only ready incidents");
                if from == D1 {
                    inc.acknowledge(inc.owner.unwrap_or(by), t);
                }
                inc.triaged.get_or_insert(t);
                inc.declared = true;
                false
            }
            (D4, D5) => {
                inc.contained.get_or_insert(t);
                false
            }
            (D5, D7) => {
                inc.recovered.get_or_insert(t);
                false
            }
            (D4, D3) | (D5, D4) | (D7, D4 | D5) => true,
            _ => panic!("the plan moves {from} → {to}, which the state machine refuses"),
        };
        inc.moved(to, t);
        inc.stage = to;
        self.push(by, Op::Transition { to, reason, classification: classification.map(|c| c.json()) });
    }

    pub fn close(&mut self, resolution: &'static str, duplicate_of: Option<usize>) {
        let t = self.t;
        let lead = self.lead();
        let inc = self.inc();
        assert!(inc.open);
        if inc.stage == D3 {
            inc.triaged.get_or_insert(t);
        }
        match resolution {
            "FALSE_POSITIVE" => inc.determination = "FALSE_POSITIVE",
            "BENIGN" => inc.determination = "BENIGN",
            _ => {}
        }
        inc.moved(CLOSED, t);
        inc.open = false;
        inc.on_hold = false;
        inc.closed.get_or_insert(t);
        self.push(lead, Op::Close { resolution, duplicate_of });
    }

    pub fn reopen(&mut self, to: Option<&'static str>) {
        let t = self.t;
        let lead = self.lead();
        let inc = self.inc();
        assert!(!inc.open);
        inc.acknowledge(inc.owner.unwrap_or(lead), t);
        let stage = to.unwrap_or(D3);
        inc.moved(stage, t);
        inc.open = true;
        inc.stage = stage;
        inc.reopens += 1;
        self.push(lead, Op::Reopen { to });
    }

    pub fn hold(&mut self, by: usize, on: bool) {
        let inc = self.inc();
        assert!(inc.open);
        inc.on_hold = on;
        self.push(by, Op::Hold(on));
    }

    pub fn reassign(&mut self, owner: usize) {
        let lead = self.lead();
        self.inc().owner = Some(owner);
        self.push(lead, Op::Reassign(owner));
    }

    pub fn restrict(&mut self, on: bool) {
        let lead = self.lead();
        self.inc().restricted = on;
        self.push(lead, Op::Restrict(on));
    }

    pub fn participant(&mut self, person: usize) {
        let lead = self.lead();
        self.inc().participants.push(person);
        self.push(lead, Op::Participant(person));
    }

    pub fn action(&mut self, spec: ActSpec) {
        let performed_at = spec.back.map_or(self.t, |b| self.t - b);
        let inc = self.inc();
        assert!(inc.open || matches!(spec.stage, D6 | D7), "closed incidents take only D6/D7 actions");
        let local = inc.actions.len();
        if spec.stage == D7 && !matches!(spec.outcome, Some("PLANNED" | "FAILED")) {
            inc.report_recorded = true;
        }
        inc.actions.push(Act {
            stage: spec.stage,
            services: spec.services.clone(),
            by: spec.by,
            performed_at,
            effort: spec.effort,
            outcome: spec.outcome,
            supersedes: spec.supersedes,
        });
        let kind = match spec.stage {
            D1 => "EVIDENCE",
            D2 => "DECISION",
            D3 => "ANALYSIS",
            D4 => "CONTAINMENT",
            D5 => "RECOVERY",
            D6 => "COMMUNICATION",
            _ => "NOTE",
        };
        let mut input = json!({
            "stage": spec.stage,
            "kind": kind,
            "summary": format!("{kind} on {}", spec.stage),
            "services": spec.services,
        });
        if let Some(effort) = spec.effort {
            input["effortMinutes"] = json!(effort);
        }
        if let Some(outcome) = spec.outcome {
            input["outcome"] = json!(outcome);
        }
        if spec.back.is_some() {
            input["performedAt"] = json!(ts(performed_at));
        }
        if spec.stage == D6 {
            let audience = self.rng.pick(&AUDIENCES);
            input["notification"] = json!({ "audience": audience, "recipient": "CISO office" });
        }
        self.push(spec.by, Op::Action { local, input });
    }

    // --- random choices ---------------------------------------------------------------------

    fn declaring(&mut self) -> Classif {
        let mut c = Classif::declaring(
            self.rng.pick(&["CONFIRMED", "SUSPECTED"]),
            self.rng.pick(&CATEGORIES),
            self.rng.pick(&SEVERITIES),
            self.rng.pick(&URGENCIES),
        );
        if self.rng.chance(0.15) {
            c.priority = Some(self.rng.pick(&PRIORITIES));
        }
        if self.rng.chance(0.1) {
            c.tlp = Some(self.rng.pick(&TLPS));
        }
        c
    }

    fn other_classification(&mut self) -> Classif {
        let mut c = Classif::default();
        match self.rng.below(3) {
            0 => {
                c.determination = Some(self.rng.pick(&["FALSE_POSITIVE", "BENIGN", "NEAR_MISS", "UNDETERMINED"]));
                c.severity = Some(self.rng.pick(&SEVERITIES));
                c.urgency = Some(self.rng.pick(&URGENCIES));
            }
            1 => c.severity = Some(self.rng.pick(&SEVERITIES)),
            _ => {
                c.determination = Some("SUSPECTED");
                c.category = Some(self.rng.pick(&CATEGORIES));
            }
        }
        if self.rng.chance(0.1) {
            c.priority = Some(self.rng.pick(&PRIORITIES));
        }
        c
    }

    fn random_action(&mut self) {
        let (open, stage_now, count, reported_at) = {
            let inc = self.inc();
            (inc.open, inc.stage, inc.actions.len(), inc.reported_at)
        };
        let mut stage = if !open {
            self.rng.pick(&[D6, D7])
        } else if self.rng.chance(0.5) {
            stage_now
        } else {
            self.rng.pick(&STAGES)
        };
        let mut outcome = if stage == D6 {
            if self.rng.chance(0.35) {
                Some(PLANNED)
            } else {
                self.rng.pick(&[Some("SUCCEEDED"), Some("PARTIAL"), None])
            }
        } else {
            self.rng.pick(&[None, Some("SUCCEEDED"), Some("PARTIAL"), Some("FAILED"), Some(PLANNED)])
        };
        let supersedes =
            (count > 0 && self.rng.chance(0.15)).then(|| usize::try_from(self.rng.below(count as u64)).unwrap());
        if let Some(old) = supersedes {
            let old = &self.inc().actions[old];
            if old.stage == D6 && old.outcome == Some(PLANNED) {
                stage = D6;
                outcome = Some("SUCCEEDED");
            }
        }
        let mut services: Vec<&'static str> = Vec::new();
        for _ in 0..=self.rng.below(3) {
            let code = self.rng.pick(&POOL);
            if !services.contains(&code) {
                services.push(code);
            }
        }
        let members = self.members();
        let back = if self.rng.chance(0.3) {
            let max = (self.t - reported_at).num_minutes().clamp(1, 2 * 1440);
            Some(Duration::minutes(i64::try_from(self.rng.below(u64::try_from(max).unwrap())).unwrap()) + self.micros())
        } else {
            None
        };
        let spec = ActSpec {
            by: self.rng.pick(members),
            stage,
            services,
            effort: (!self.rng.chance(0.2)).then(|| i64::try_from(self.rng.below(301)).unwrap()),
            outcome,
            back,
            supersedes,
        };
        self.action(spec);
    }

    fn side_work(&mut self) {
        if self.rng.chance(0.5) {
            for _ in 0..=self.rng.below(2) {
                self.soon();
                self.random_action();
            }
        }
        let (open, acknowledged, on_hold) = {
            let inc = self.inc();
            (inc.open, inc.acknowledged.is_some(), inc.on_hold)
        };
        if open && acknowledged {
            let by = self.rng.pick(self.responders());
            if on_hold && self.rng.chance(0.35) {
                self.soon();
                self.hold(by, false);
            } else if !on_hold && self.rng.chance(0.08) {
                self.soon();
                self.hold(by, true);
            }
            if self.rng.chance(0.06) {
                self.soon();
                let owner = self.rng.pick(self.responders());
                self.reassign(owner);
            }
        }
    }

    /// An earlier incident of the same team, for a DUPLICATE resolution.
    fn original(&mut self) -> Option<usize> {
        let candidates: Vec<usize> = (0..self.idx).filter(|i| self.world.incidents[*i].team == self.team).collect();
        (!candidates.is_empty()).then(|| self.rng.pick(&candidates))
    }

    /// The random life of one incident reported at `self.t`.
    pub fn life(&mut self) {
        let reporter = self.rng.pick(self.members());
        let source = self.rng.pick(&SOURCES);
        let tlp = self.rng.pick(&TLPS);
        let back = self.rng.chance(0.3).then(|| self.secs(60, 7200) + self.micros());
        self.report(reporter, source, tlp, back);
        for _ in 0..30 {
            self.wait();
            self.side_work();
            self.soon();
            let (open, stage, reopens, declared) = {
                let inc = self.inc();
                (inc.open, inc.stage, inc.reopens, inc.declared)
            };
            if !open {
                if reopens < 2 && self.rng.chance(0.25) {
                    let to = if declared { self.rng.pick(&[None, Some(D4), Some(D5), Some(D7)]) } else { None };
                    self.reopen(to);
                    continue;
                }
                break;
            }
            let by = self.rng.pick(self.responders());
            let r = self.rng.unit();
            match stage {
                D1 => {
                    if r < 0.08 {
                        break;
                    } else if r < 0.16 {
                        let resolution = self.rng.pick(&["NOT_AN_INCIDENT", "OUT_OF_SCOPE", "DUPLICATE"]);
                        match (resolution, self.original()) {
                            ("DUPLICATE", Some(original)) => self.close("DUPLICATE", Some(original)),
                            ("DUPLICATE", None) => self.close("NOT_AN_INCIDENT", None),
                            (other, _) => self.close(other, None),
                        }
                    } else if r < 0.26 {
                        let c = self.declaring();
                        self.transition(by, D4, Some(c));
                    } else if r < 0.36 {
                        self.transition(by, D3, None);
                    } else {
                        let owner = self.rng.chance(0.5).then(|| self.rng.pick(self.responders()));
                        self.acknowledge(by, owner);
                    }
                }
                D3 => {
                    let (undetermined, unrated) = {
                        let inc = self.inc();
                        (inc.determination == "UNDETERMINED", inc.severity.is_none())
                    };
                    if (undetermined && unrated) || self.rng.chance(0.2) {
                        let c = if self.rng.chance(0.7) { self.declaring() } else { self.other_classification() };
                        self.classify(by, c);
                        self.soon();
                    }
                    let r = self.rng.unit();
                    if r < 0.12 {
                        break;
                    } else if r < 0.36 {
                        self.close_from_d3();
                    } else if self.inc().ready_to_declare() {
                        let to = match self.rng.below(100) {
                            0..=84 => D4,
                            85..=92 => D5,
                            _ => D7,
                        };
                        self.transition(by, to, None);
                    } else {
                        let c = self.declaring();
                        self.classify(by, c);
                    }
                }
                D4 => {
                    if r < 0.1 {
                        break;
                    } else if r < 0.22 {
                        self.transition(by, D3, None);
                    } else {
                        self.transition(by, D5, None);
                    }
                }
                D5 => {
                    if r < 0.1 {
                        break;
                    } else if r < 0.3 {
                        self.transition(by, D4, None);
                    } else {
                        self.transition(by, D7, None);
                    }
                }
                _ => {
                    if r < 0.08 {
                        break;
                    } else if r < 0.16 {
                        let to = self.rng.pick(&[D4, D5]);
                        self.transition(by, to, None);
                    } else {
                        if !self.inc().report_recorded || self.rng.chance(0.3) {
                            let mut report = ActSpec::new(by, D7, &["F-1", "I-6"]);
                            report.outcome = self.rng.pick(&[None, Some("SUCCEEDED")]);
                            report.effort = Some(90);
                            self.action(report);
                            self.soon();
                        }
                        self.close("RESOLVED", None);
                    }
                }
            }
        }
        let (open, acknowledged, on_hold) = {
            let inc = self.inc();
            (inc.open, inc.acknowledged.is_some(), inc.on_hold)
        };
        if open && acknowledged && !on_hold && self.rng.chance(0.3) {
            self.soon();
            let by = self.rng.pick(self.responders());
            self.hold(by, true);
        }
        if self.rng.chance(0.4) {
            self.soon();
            self.random_action();
        }
    }

    fn close_from_d3(&mut self) {
        let near_miss = self.inc().determination == "NEAR_MISS";
        if near_miss && self.rng.chance(0.5) {
            self.close("RESOLVED", None);
            return;
        }
        let r = self.rng.unit();
        if r < 0.5 {
            self.close("FALSE_POSITIVE", None);
        } else if r < 0.8 {
            self.close("BENIGN", None);
        } else if let Some(original) = self.original() {
            self.close("DUPLICATE", Some(original));
        } else {
            self.close("FALSE_POSITIVE", None);
        }
    }
}
