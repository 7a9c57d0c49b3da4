//! The dashboard as a pure function of the facts, the period and the team's settings.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};

use super::model::{
    Backlog, ClockKind, ClockStats, Coverage, Dashboard, DashboardFacts, Period, Provision, Quality, SlaBreach,
    SlaTarget, StageBacklog, StageTime, Stats, WeekFlow, Workload,
};
use crate::catalog::{Catalog, ServiceCode};
use crate::id::IncidentId;
use crate::incident::{Determination, Incident, Stage, Status, WorkflowState};

/// Count, median and 90th percentile by the nearest-rank method: the p-th percentile of n sorted
/// values is the value at rank ⌈p·n/100⌉ (1-based).
#[must_use]
pub fn stats(mut values: Vec<i64>) -> Stats {
    values.sort_unstable();
    let rank = |p: usize| -> Option<i64> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let r = (p * n).div_ceil(100).max(1);
        values.get(r - 1).copied()
    };
    Stats { count: values.len() as u64, median: rank(50), p90: rank(90) }
}

/// Monday 00:00 UTC of the ISO week holding `at`.
#[must_use]
pub fn week_start(at: DateTime<Utc>) -> DateTime<Utc> {
    let date = at.date_naive() - Duration::days(i64::from(at.weekday().num_days_from_monday()));
    date.and_time(NaiveTime::MIN).and_utc()
}

/// Computes the dashboard. `facts` holds what the caller may see; `now` stops running clocks.
#[must_use]
pub fn compute(
    facts: &DashboardFacts,
    period: Period,
    now: DateTime<Utc>,
    policy: &[SlaTarget],
    portfolio: &BTreeMap<ServiceCode, Provision>,
    catalog: &Catalog,
) -> Dashboard {
    let open: Vec<&Incident> = facts.incidents.iter().filter(|i| i.status == Status::Open).collect();
    let reported: Vec<&Incident> = facts.incidents.iter().filter(|i| period.contains(i.reported_at)).collect();
    let actions_in_period: Vec<_> = facts.actions.iter().filter(|a| period.contains(a.performed_at)).collect();
    Dashboard {
        period,
        generated_at: now,
        backlog: backlog(&open, facts),
        flow: flow(facts, period),
        clocks: ClockKind::ALL.iter().map(|&clock| clock_stats(clock, &reported)).collect(),
        time_in_stage: time_in_stage(facts, &reported),
        sla_policy: policy.to_vec(),
        sla: sla(policy, &reported, now),
        quality: quality(facts, &reported, period),
        workload: workload(&open, &actions_in_period),
        coverage: coverage(&actions_in_period, portfolio, catalog),
    }
}

fn backlog(open: &[&Incident], facts: &DashboardFacts) -> Backlog {
    let mut by_severity = BTreeMap::new();
    let mut by_priority = BTreeMap::new();
    let mut by_owner = BTreeMap::new();
    for i in open {
        *by_severity.entry(i.triage.severity).or_default() += 1;
        *by_priority.entry(i.triage.priority).or_default() += 1;
        *by_owner.entry(i.owner_id).or_default() += 1;
    }
    let open_ids: BTreeSet<IncidentId> = open.iter().map(|i| i.id).collect();
    let pending: Vec<_> =
        facts.actions.iter().filter(|a| a.planned_notification && open_ids.contains(&a.incident)).collect();
    let by_stage = Stage::ALL
        .iter()
        .map(|&stage| {
            let mut entry = StageBacklog { stage: Some(stage), ..StageBacklog::default() };
            match stage {
                Stage::D2 => {
                    let handled: Vec<_> = open.iter().filter(|i| i.milestones.acknowledged_at.is_some()).collect();
                    entry.count = handled.len() as u64;
                    entry.owned = handled.iter().filter(|i| i.owner_id.is_some()).count() as u64;
                    entry.unowned = entry.count - entry.owned;
                    entry.on_hold = handled.iter().filter(|i| i.on_hold.is_some()).count() as u64;
                }
                Stage::D6 => {
                    entry.pending_notifications = pending.len() as u64;
                    entry.count = pending.iter().map(|a| a.incident).collect::<BTreeSet<_>>().len() as u64;
                }
                _ => entry.count = open.iter().filter(|i| i.stage == stage).count() as u64,
            }
            entry
        })
        .collect();
    Backlog {
        total: open.len() as u64,
        by_stage,
        by_severity,
        by_priority,
        by_owner,
        oldest: open.iter().min_by_key(|i| (i.reported_at, i.id)).map(|i| (*i).clone()),
    }
}

fn flow(facts: &DashboardFacts, period: Period) -> Vec<WeekFlow> {
    let mut weeks: BTreeMap<DateTime<Utc>, WeekFlow> = BTreeMap::new();
    let mut week = week_start(period.from);
    while week < period.to {
        weeks.insert(week, WeekFlow { week_start: week, opened: 0, closed: 0 });
        week += Duration::weeks(1);
    }
    for i in &facts.incidents {
        if period.contains(i.reported_at)
            && let Some(w) = weeks.get_mut(&week_start(i.reported_at))
        {
            w.opened += 1;
        }
        if let Some(closed) = i.milestones.closed_at
            && period.contains(closed)
            && let Some(w) = weeks.get_mut(&week_start(closed))
        {
            w.closed += 1;
        }
    }
    weeks.into_values().collect()
}

fn clock_stats(clock: ClockKind, reported: &[&Incident]) -> ClockStats {
    let values: Vec<(&Incident, i64)> = reported.iter().filter_map(|i| clock.seconds(i).map(|s| (*i, s))).collect();
    let mut by_priority: BTreeMap<_, Vec<i64>> = BTreeMap::new();
    let mut by_severity: BTreeMap<_, Vec<i64>> = BTreeMap::new();
    for (i, seconds) in &values {
        if let Some(p) = i.triage.priority {
            by_priority.entry(p).or_default().push(*seconds);
        }
        if let Some(s) = i.triage.severity {
            by_severity.entry(s).or_default().push(*seconds);
        }
    }
    ClockStats {
        clock,
        overall: stats(values.iter().map(|(_, s)| *s).collect()),
        by_priority: by_priority.into_iter().map(|(k, v)| (k, stats(v))).collect(),
        by_severity: by_severity.into_iter().map(|(k, v)| (k, stats(v))).collect(),
    }
}

fn time_in_stage(facts: &DashboardFacts, reported: &[&Incident]) -> Vec<StageTime> {
    let ids: BTreeSet<IncidentId> = reported.iter().map(|i| i.id).collect();
    let mut per_incident: HashMap<IncidentId, Vec<_>> = HashMap::new();
    for t in facts.transitions.iter().filter(|t| ids.contains(&t.incident)) {
        per_incident.entry(t.incident).or_default().push(*t);
    }
    let mut stays: BTreeMap<WorkflowState, Vec<i64>> = BTreeMap::new();
    for transitions in per_incident.values() {
        for pair in transitions.windows(2) {
            if pair[0].to != WorkflowState::Closed {
                stays.entry(pair[0].to).or_default().push((pair[1].at - pair[0].at).num_seconds());
            }
        }
    }
    [WorkflowState::D1, WorkflowState::D3, WorkflowState::D4, WorkflowState::D5, WorkflowState::D7]
        .into_iter()
        .map(|state| StageTime { state, stats: stats(stays.remove(&state).unwrap_or_default()) })
        .collect()
}

fn sla(policy: &[SlaTarget], reported: &[&Incident], now: DateTime<Utc>) -> Vec<SlaBreach> {
    policy
        .iter()
        .map(|target| {
            let mut breach = SlaBreach {
                clock: target.clock,
                priority: target.priority,
                target_seconds: target.target_seconds,
                measured: 0,
                breached: 0,
                running_breached: 0,
            };
            for i in reported.iter().filter(|i| i.triage.priority == Some(target.priority)) {
                match target.clock.seconds(i) {
                    Some(seconds) => {
                        breach.measured += 1;
                        if seconds > target.target_seconds {
                            breach.breached += 1;
                        }
                    }
                    None if i.status == Status::Open => {
                        breach.measured += 1;
                        if (now - i.reported_at).num_seconds() > target.target_seconds {
                            breach.running_breached += 1;
                        }
                    }
                    None => {}
                }
            }
            breach
        })
        .collect()
}

fn quality(facts: &DashboardFacts, reported: &[&Incident], period: Period) -> Quality {
    let closed: Vec<_> = reported.iter().filter(|i| i.milestones.closed_at.is_some()).collect();
    Quality {
        reported: reported.len() as u64,
        false_positives: reported.iter().filter(|i| i.triage.determination == Determination::FalsePositive).count()
            as u64,
        closed: closed.len() as u64,
        reopened: closed.iter().filter(|i| i.reopen_count > 0).count() as u64,
        failed_containments: facts
            .transitions
            .iter()
            .filter(|t| t.from == Some(WorkflowState::D5) && t.to == WorkflowState::D4 && period.contains(t.at))
            .count() as u64,
    }
}

fn workload(open: &[&Incident], actions: &[&super::model::ActionFact]) -> BTreeMap<crate::id::PersonId, Workload> {
    let mut people: BTreeMap<_, Workload> = BTreeMap::new();
    for i in open {
        if let Some(owner) = i.owner_id {
            people.entry(owner).or_default().open_owned += 1;
        }
    }
    for a in actions {
        let w = people.entry(a.performed_by).or_default();
        w.actions += 1;
        w.effort_minutes += i64::from(a.effort_minutes.unwrap_or(0));
    }
    people
}

fn coverage(
    actions: &[&super::model::ActionFact],
    portfolio: &BTreeMap<ServiceCode, Provision>,
    catalog: &Catalog,
) -> Coverage {
    let mut coverage = Coverage {
        catalog_services: catalog.service_count() as u64,
        portfolio: portfolio.clone(),
        ..Coverage::default()
    };
    for a in actions {
        let month = a.performed_at.format("%Y-%m").to_string();
        for code in &a.services {
            *coverage.services.entry(code.clone()).or_default() += 1;
            *coverage.stage_matrix.entry((a.stage, code.clone())).or_default() += 1;
            *coverage.category_months.entry((code.category().letter(), month.clone())).or_default() += 1;
        }
    }
    let provided = |code: &ServiceCode| matches!(portfolio.get(code), Some(Provision::InHouse | Provision::Outsourced));
    coverage.declared_not_exercised = catalog
        .services()
        .map(|s| s.code.clone())
        .filter(|c| provided(c) && !coverage.services.contains_key(c))
        .collect();
    coverage.exercised_not_declared = coverage.services.keys().filter(|c| !provided(c)).cloned().collect();
    coverage
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let s = stats((1..=10).collect());
        assert_eq!((s.count, s.median, s.p90), (10, Some(5), Some(9)));
        let s = stats(vec![7]);
        assert_eq!((s.median, s.p90), (Some(7), Some(7)));
        assert_eq!(stats(Vec::new()), Stats { count: 0, median: None, p90: None });
    }

    #[test]
    fn a_week_starts_on_monday_at_midnight_utc() {
        let thursday = DateTime::parse_from_rfc3339("2026-11-26T15:30:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(week_start(thursday).to_rfc3339(), "2026-11-23T00:00:00+00:00");
    }

    #[test]
    fn the_default_policy_covers_every_clock_and_priority() {
        assert_eq!(super::super::model::default_sla().len(), 5 * 4);
    }
}
