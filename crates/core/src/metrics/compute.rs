//! The dashboard as a pure function of the facts, the period and the team's settings.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};

use super::model::{
    Backlog, ClockKind, ClockStats, Coverage, Dashboard, DashboardFacts, IncidentFact, Period, Provision, Quality,
    SlaBreach, SlaTarget, StageBacklog, StageTime, Stats, WeekFlow, Workload,
};
use crate::catalog::{Catalog, ServiceCode};
use crate::id::PersonId;
use crate::incident::{Determination, Stage, Status, WorkflowState};

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
    let reported: Vec<&IncidentFact> = facts.incidents.iter().filter(|i| period.contains(i.reported_at)).collect();
    Dashboard {
        period,
        generated_at: now,
        backlog: backlog(facts),
        flow: flow(facts, period),
        clocks: ClockKind::ALL.iter().map(|&clock| clock_stats(clock, &reported)).collect(),
        time_in_stage: time_in_stage(facts),
        sla_policy: policy.to_vec(),
        sla: sla(policy, &reported, now),
        quality: quality(facts, &reported),
        workload: workload(facts),
        coverage: coverage(facts, portfolio, catalog),
    }
}

fn backlog(facts: &DashboardFacts) -> Backlog {
    let mut by_severity = BTreeMap::new();
    let mut by_priority = BTreeMap::new();
    let mut by_owner = BTreeMap::new();
    let mut by_stage: BTreeMap<Stage, StageBacklog> = Stage::ALL
        .iter()
        .map(|&stage| (stage, StageBacklog { stage: Some(stage), ..StageBacklog::default() }))
        .collect();
    let mut total = 0;
    for group in &facts.open {
        total += group.count;
        *by_severity.entry(group.severity).or_default() += group.count;
        *by_priority.entry(group.priority).or_default() += group.count;
        *by_owner.entry(group.owner).or_default() += group.count;
        if !matches!(group.stage, Stage::D2 | Stage::D6)
            && let Some(entry) = by_stage.get_mut(&group.stage)
        {
            entry.count += group.count;
        }
        // D-2 handling spans every acknowledged open incident, whatever its stage.
        if group.acknowledged
            && let Some(d2) = by_stage.get_mut(&Stage::D2)
        {
            d2.count += group.count;
            if group.owner.is_some() {
                d2.owned += group.count;
            } else {
                d2.unowned += group.count;
            }
            if group.on_hold {
                d2.on_hold += group.count;
            }
        }
    }
    if let Some(d6) = by_stage.get_mut(&Stage::D6) {
        d6.count = facts.pending_notification_incidents;
        d6.pending_notifications = facts.pending_notifications;
    }
    Backlog {
        total,
        by_stage: by_stage.into_values().collect(),
        by_severity,
        by_priority,
        by_owner,
        oldest: facts.oldest_open.clone(),
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

fn clock_stats(clock: ClockKind, reported: &[&IncidentFact]) -> ClockStats {
    let values: Vec<(&IncidentFact, i64)> = reported.iter().filter_map(|i| clock.seconds(i).map(|s| (*i, s))).collect();
    let mut by_priority: BTreeMap<_, Vec<i64>> = BTreeMap::new();
    let mut by_severity: BTreeMap<_, Vec<i64>> = BTreeMap::new();
    for (i, seconds) in &values {
        if let Some(p) = i.priority {
            by_priority.entry(p).or_default().push(*seconds);
        }
        if let Some(s) = i.severity {
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

/// Stays in each main-line state: from entering it to the next move of the same incident.
fn time_in_stage(facts: &DashboardFacts) -> Vec<StageTime> {
    let mut stays: BTreeMap<WorkflowState, Vec<i64>> = BTreeMap::new();
    for pair in facts.stage_entries.windows(2) {
        let (entered, left) = (&pair[0], &pair[1]);
        if entered.incident == left.incident && entered.state != WorkflowState::Closed {
            stays.entry(entered.state).or_default().push((left.at - entered.at).num_seconds());
        }
    }
    [WorkflowState::D1, WorkflowState::D3, WorkflowState::D4, WorkflowState::D5, WorkflowState::D7]
        .into_iter()
        .map(|state| StageTime { state, stats: stats(stays.remove(&state).unwrap_or_default()) })
        .collect()
}

fn sla(policy: &[SlaTarget], reported: &[&IncidentFact], now: DateTime<Utc>) -> Vec<SlaBreach> {
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
            for i in reported.iter().filter(|i| i.priority == Some(target.priority)) {
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

fn quality(facts: &DashboardFacts, reported: &[&IncidentFact]) -> Quality {
    let closed: Vec<_> = reported.iter().filter(|i| i.milestones.closed_at.is_some()).collect();
    Quality {
        reported: reported.len() as u64,
        false_positives: reported.iter().filter(|i| i.determination == Determination::FalsePositive).count() as u64,
        closed: closed.len() as u64,
        reopened: closed.iter().filter(|i| i.reopen_count > 0).count() as u64,
        failed_containments: facts.failed_containments,
    }
}

fn workload(facts: &DashboardFacts) -> BTreeMap<PersonId, Workload> {
    let mut people: BTreeMap<_, Workload> = BTreeMap::new();
    for group in &facts.open {
        if let Some(owner) = group.owner {
            people.entry(owner).or_default().open_owned += group.count;
        }
    }
    for work in &facts.work {
        let w = people.entry(work.person).or_default();
        w.actions += work.actions;
        w.effort_minutes += work.effort_minutes;
    }
    people
}

fn coverage(facts: &DashboardFacts, portfolio: &BTreeMap<ServiceCode, Provision>, catalog: &Catalog) -> Coverage {
    let mut coverage = Coverage {
        catalog_services: catalog.service_count() as u64,
        portfolio: portfolio.clone(),
        ..Coverage::default()
    };
    for used in &facts.service_uses {
        *coverage.services.entry(used.service.clone()).or_default() += used.actions;
        *coverage.stage_matrix.entry((used.stage, used.service.clone())).or_default() += used.actions;
        *coverage.category_months.entry((used.service.category().letter(), used.month.clone())).or_default() +=
            used.actions;
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
