//! The D-stage state machine (DOMAIN §2–§3) tested through its public API: every state against
//! every command, the guards, first-occurrence milestones, priority, stage progress, and property
//! tests over random command sequences.

// clippy.toml's allow-expect-in-tests covers `#[test]` bodies, not the helpers of a test crate.
#![allow(clippy::expect_used)]

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use taio_core::IncidentError;
use taio_core::id::{IncidentId, PersonId, TeamId};
use taio_core::incident::{
    Classification, Command, Decision, Determination, Incident, IncidentCategory, IncidentKey, Milestones, NewIncident,
    Priority, ProgressState, Resolution, Severity, Source, Stage, StageProgress, Status, Tlp, Transition, Urgency,
    WorkflowState, allowed_resolutions, allowed_targets, decide, stage_progress,
};
use taio_core::{Markdown, Text};

// Building incidents and commands

fn at(minute: i64) -> DateTime<Utc> {
    let start = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().expect("a valid start time");
    start + Duration::minutes(minute)
}

fn text(value: &str) -> Text {
    Text::parse("reason", value, 500).expect("a valid text")
}

fn summary() -> Option<Markdown> {
    Markdown::parse_optional("summary", Some("Handled; see the timeline.")).expect("a valid summary")
}

fn category() -> IncidentCategory {
    IncidentCategory::parse("intrusions/system-compromise").expect("an RSIT category")
}

/// Triage that declares an incident: CONFIRMED, a category, HIGH severity and MEDIUM urgency.
fn declaration() -> Classification {
    Classification {
        determination: Some(Determination::Confirmed),
        category: Some(category()),
        severity: Some(Severity::High),
        urgency: Some(Urgency::Medium),
        ..Classification::default()
    }
}

fn another_incident() -> IncidentId {
    IncidentId::from_uuid(uuid::Uuid::from_u128(0x0192_0000_0000_7000_8000_0000_0000_0001))
}

fn acknowledge() -> Command {
    Command::Acknowledge { owner: PersonId::generate() }
}

fn classify(classification: Classification) -> Command {
    Command::Classify(classification)
}

fn move_to(to: Stage) -> Command {
    Command::Transition { to, reason: None, classification: None }
}

fn move_back(to: Stage) -> Command {
    Command::Transition { to, reason: Some(text("re-infection found on a second host")), classification: None }
}

fn fast_path(classification: Classification) -> Command {
    Command::Transition { to: Stage::D4, reason: None, classification: Some(classification) }
}

fn close(resolution: Resolution) -> Command {
    Command::Close { resolution, summary: summary(), duplicate_of: None }
}

fn close_as_duplicate_of(original: Option<IncidentId>) -> Command {
    Command::Close { resolution: Resolution::Duplicate, summary: None, duplicate_of: original }
}

fn reopen(to: Option<Stage>) -> Command {
    Command::Reopen { to, reason: Some(text("new evidence of exfiltration")) }
}

/// An incident driven through `decide` one minute at a time, with its transition history.
#[derive(Debug, Clone)]
struct Run {
    incident: Incident,
    transitions: Vec<Transition>,
    minute: i64,
    by: PersonId,
}

impl Run {
    fn new() -> Self {
        let new = NewIncident {
            id: IncidentId::generate(),
            team_id: TeamId::generate(),
            title: text("Impossible-travel logins on the VPN"),
            description: None,
            source: Source::InternalMonitoring,
            tlp: Tlp::Amber,
            reported_by: PersonId::generate(),
            reported_at: at(0),
            detected_at: None,
            created_at: at(0),
        };
        let transitions = vec![new.report_transition()];
        Self {
            incident: new.into_incident(IncidentKey::new(2026, 1)),
            transitions,
            minute: 0,
            by: PersonId::generate(),
        }
    }

    fn tick(&mut self) -> DateTime<Utc> {
        self.minute += 1;
        at(self.minute)
    }

    /// The time the next command will be applied at.
    fn next_time(&self) -> DateTime<Utc> {
        at(self.minute + 1)
    }

    fn try_apply(&mut self, command: Command) -> Result<Decision, IncidentError> {
        let when = self.tick();
        let decision = decide(&self.incident, command, when, self.by)?;
        self.incident = decision.incident.clone();
        self.transitions.extend(decision.transition.clone());
        Ok(decision)
    }

    fn apply(mut self, command: Command) -> Self {
        let from = self.incident.state();
        let label = format!("{command:?}");
        if let Err(error) = self.try_apply(command) {
            panic!("{label} was refused from {from}: {error:?}");
        }
        self
    }

    /// What the service does when a D-7 response-report action is recorded.
    fn record_report(mut self) -> Self {
        self.incident.report_recorded_at = Some(self.tick());
        self
    }

    /// Applies `command` and expects a refusal, returning it.
    fn refuse(&self, command: Command) -> IncidentError {
        match decide(&self.incident, command.clone(), self.next_time(), self.by) {
            Ok(decision) => panic!("{command:?} was accepted from {}: {decision:?}", self.incident.state()),
            Err(error) => error,
        }
    }

    fn progress(&self) -> Vec<StageProgress> {
        stage_progress(&self.incident, &self.transitions)
    }

    fn progress_of(&self, stage: Stage) -> StageProgress {
        self.progress().into_iter().find(|p| p.stage == stage).expect("every stage has a progress entry")
    }
}

fn acknowledged() -> Run {
    Run::new().apply(acknowledge())
}

fn declared() -> Run {
    acknowledged().apply(classify(declaration()))
}

fn containing() -> Run {
    declared().apply(move_to(Stage::D4))
}

fn recovering() -> Run {
    containing().apply(move_to(Stage::D5))
}

fn reporting() -> Run {
    recovering().apply(move_to(Stage::D7))
}

fn closed_resolved() -> Run {
    reporting().record_report().apply(close(Resolution::Resolved))
}

fn assert_invalid_transition(error: &IncidentError, current: &Incident) {
    match error {
        IncidentError::InvalidTransition { from, allowed, .. } => {
            assert_eq!(*from, current.state(), "the refusal names the current state");
            assert_eq!(*allowed, allowed_targets(current), "the refusal names the allowed targets");
        }
        other => panic!("expected INVALID_TRANSITION, got {other:?}"),
    }
}

fn assert_invalid_field(error: &IncidentError, field: &str) {
    match error {
        IncidentError::Invalid(rejected) => assert_eq!(rejected.field, field, "{rejected}"),
        other => panic!("expected an invalid {field}, got {other:?}"),
    }
}

// 1. Every state × every command

/// Declares a fieldless enum with the list of its values, so a new value cannot be left out of a
/// table that iterates `ALL`.
macro_rules! listed {
    ($(#[$meta:meta])* enum $name:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];
        }
    };
}

listed! {
    /// The states the table starts from, each reached through `decide`.
    enum Fixture {
        /// D-1, just reported.
        Reported,
        /// D-3 with nothing triaged.
        Triaging,
        /// D-3 with a declaring triage stored.
        ReadyToDeclare,
        /// D-3 triaged as a NEAR_MISS (complete but not declared).
        NearMiss,
        /// D-4.
        Containing,
        /// D-5.
        Recovering,
        /// D-7 with a response report recorded.
        ReportWritten,
        /// D-7 without a response report.
        ReportMissing,
        /// Closed after a declared incident was resolved.
        ClosedDeclared,
        /// Closed at intake (NOT_AN_INCIDENT), never declared.
        ClosedAtIntake,
        /// Closed from D-3 as a FALSE_POSITIVE, never declared.
        ClosedAsFalsePositive,
    }
}

listed! {
    /// The kinds of command; `kind_of` maps every `Command` onto one.
    enum Kind {
        Acknowledge,
        Classify,
        Assign,
        Transition,
        Close,
        Reopen,
    }
}

/// Fails to compile when `Command` gains a variant the table does not know.
fn kind_of(command: &Command) -> Kind {
    match command {
        Command::Acknowledge { .. } => Kind::Acknowledge,
        Command::Classify(_) => Kind::Classify,
        Command::Assign { .. } => Kind::Assign,
        Command::Transition { .. } => Kind::Transition,
        Command::Close { .. } => Kind::Close,
        Command::Reopen { .. } => Kind::Reopen,
    }
}

/// The target a refusal of `command` names.
fn refused_target(command: &Command) -> Option<WorkflowState> {
    match command {
        Command::Acknowledge { .. } => Some(WorkflowState::D3),
        Command::Classify(_) | Command::Assign { .. } => None,
        Command::Transition { to, .. } => WorkflowState::of_stage(*to),
        Command::Close { .. } => Some(WorkflowState::Closed),
        Command::Reopen { to, .. } => WorkflowState::of_stage(to.unwrap_or(Stage::D3)),
    }
}

fn reason_of(command: &Command) -> Option<Text> {
    match command {
        Command::Transition { reason, .. } | Command::Reopen { reason, .. } => reason.clone(),
        Command::Acknowledge { .. } | Command::Classify(_) | Command::Assign { .. } | Command::Close { .. } => None,
    }
}

/// What a command must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Accepted, moving to this state with a transition.
    Moves(WorkflowState),
    /// Accepted without moving and without a transition.
    Stays,
    /// Refused with INVALID_TRANSITION.
    Refused,
    /// Refused with an invalid input on this field.
    Invalid(&'static str),
}

/// A move whose outcome depends on what the request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Move {
    /// Always refused.
    No,
    /// Always accepted.
    Yes(WorkflowState),
    /// Accepted only with a reason.
    WithReason(WorkflowState),
    /// Accepted only with declaring triage fields in the same request.
    WithTriage(WorkflowState),
}

impl Move {
    fn expect(self, reason: bool, triage: bool) -> Expect {
        match self {
            Move::No => Expect::Refused,
            Move::Yes(state) => Expect::Moves(state),
            Move::WithReason(state) if reason => Expect::Moves(state),
            Move::WithTriage(state) if triage => Expect::Moves(state),
            Move::WithReason(_) | Move::WithTriage(_) => Expect::Refused,
        }
    }
}

/// One line of the table: what every command does from one state.
#[derive(Debug, Clone, Copy)]
struct Row {
    acknowledge: Expect,
    classify: Expect,
    assign: Expect,
    /// `Transition` to each stage, in `Stage::ALL` order (D1 … D7).
    transition: [Move; 7],
    /// `Close` with each resolution, in `Resolution::ALL` order; DUPLICATE names another incident.
    close: [Expect; 6],
    /// `Reopen` to the default stage, then to each stage in `Stage::ALL` order.
    reopen: [Move; 8],
}

/// DOMAIN §2, state by state.
fn row(fixture: Fixture) -> Row {
    use Expect::{Invalid, Moves, Refused, Stays};
    use Move::{No, WithReason, WithTriage, Yes};
    use WorkflowState as W;
    let closes = Moves(W::Closed);
    let wrong = Invalid("resolution");
    let shut = [Refused; 6];
    let open = [No; 8];
    let closed_work = Row {
        acknowledge: Refused,
        classify: Refused,
        assign: Refused,
        transition: [No; 7],
        close: shut,
        //       default           D1  D2  D3                D4  D5  D6  D7
        reopen: [WithReason(W::D3), No, No, WithReason(W::D3), No, No, No, No],
    };
    match fixture {
        Fixture::Reported => Row {
            acknowledge: Moves(W::D3),
            classify: Invalid("incidentId"),
            assign: Stays,
            //          D1  D2  D3         D4                  D5  D6  D7
            transition: [No, No, Yes(W::D3), WithTriage(W::D4), No, No, No],
            //     RESOLVED FALSE_POS BENIGN DUPLICATE NOT_AN_INC OUT_OF_SCOPE
            close: [wrong, wrong, wrong, closes, closes, closes],
            reopen: open,
        },
        Fixture::Triaging => Row {
            acknowledge: Refused,
            classify: Stays,
            assign: Stays,
            transition: [No, No, No, WithTriage(W::D4), WithTriage(W::D5), No, WithTriage(W::D7)],
            close: [wrong, closes, closes, closes, wrong, wrong],
            reopen: open,
        },
        Fixture::ReadyToDeclare => Row {
            acknowledge: Refused,
            classify: Stays,
            assign: Stays,
            transition: [No, No, No, Yes(W::D4), Yes(W::D5), No, Yes(W::D7)],
            close: [wrong, closes, closes, closes, wrong, wrong],
            reopen: open,
        },
        // Beyond the DOMAIN §2 table: a NEAR_MISS is never declared, so it closes as RESOLVED
        // from D-3 (allowed_resolutions).
        Fixture::NearMiss => Row {
            acknowledge: Refused,
            classify: Stays,
            assign: Stays,
            transition: [No, No, No, WithTriage(W::D4), WithTriage(W::D5), No, WithTriage(W::D7)],
            close: [closes, closes, closes, closes, wrong, wrong],
            reopen: open,
        },
        Fixture::Containing => Row {
            acknowledge: Refused,
            classify: Stays,
            assign: Stays,
            transition: [No, No, WithReason(W::D3), No, Yes(W::D5), No, No],
            close: shut,
            reopen: open,
        },
        Fixture::Recovering => Row {
            acknowledge: Refused,
            classify: Stays,
            assign: Stays,
            transition: [No, No, No, WithReason(W::D4), No, No, Yes(W::D7)],
            close: shut,
            reopen: open,
        },
        Fixture::ReportWritten => Row {
            acknowledge: Refused,
            classify: Stays,
            assign: Stays,
            transition: [No, No, No, WithReason(W::D4), WithReason(W::D5), No, No],
            close: [closes, wrong, wrong, wrong, wrong, wrong],
            reopen: open,
        },
        Fixture::ReportMissing => Row {
            acknowledge: Refused,
            classify: Stays,
            assign: Stays,
            transition: [No, No, No, WithReason(W::D4), WithReason(W::D5), No, No],
            close: [Refused, wrong, wrong, wrong, wrong, wrong],
            reopen: open,
        },
        Fixture::ClosedDeclared => Row {
            // The default, then D1 … D7.
            reopen: [
                WithReason(W::D3),
                No,
                No,
                WithReason(W::D3),
                WithReason(W::D4),
                WithReason(W::D5),
                No,
                WithReason(W::D7),
            ],
            ..closed_work
        },
        Fixture::ClosedAtIntake | Fixture::ClosedAsFalsePositive => closed_work,
    }
}

fn fixture(fixture: Fixture) -> Run {
    match fixture {
        Fixture::Reported => Run::new(),
        Fixture::Triaging => acknowledged(),
        Fixture::ReadyToDeclare => declared(),
        Fixture::NearMiss => acknowledged()
            .apply(classify(Classification { determination: Some(Determination::NearMiss), ..declaration() })),
        Fixture::Containing => containing(),
        Fixture::Recovering => recovering(),
        Fixture::ReportWritten => reporting().record_report(),
        Fixture::ReportMissing => reporting(),
        Fixture::ClosedDeclared => closed_resolved(),
        Fixture::ClosedAtIntake => Run::new().apply(close(Resolution::NotAnIncident)),
        Fixture::ClosedAsFalsePositive => acknowledged().apply(close(Resolution::FalsePositive)),
    }
}

/// The state each fixture is in.
fn state_of(fixture: Fixture) -> WorkflowState {
    match fixture {
        Fixture::Reported => WorkflowState::D1,
        Fixture::Triaging | Fixture::ReadyToDeclare | Fixture::NearMiss => WorkflowState::D3,
        Fixture::Containing => WorkflowState::D4,
        Fixture::Recovering => WorkflowState::D5,
        Fixture::ReportWritten | Fixture::ReportMissing => WorkflowState::D7,
        Fixture::ClosedDeclared | Fixture::ClosedAtIntake | Fixture::ClosedAsFalsePositive => WorkflowState::Closed,
    }
}

#[derive(Debug, Clone)]
struct Case {
    label: String,
    command: Command,
    expect: Expect,
}

/// Every command the table knows, with what it must do from `fixture`.
fn cases(fixture: Fixture, current: &Incident) -> Vec<Case> {
    let row = row(fixture);
    let mut cases = Vec::new();
    let mut push = |label: String, command: Command, expect: Expect| {
        cases.push(Case { label, command, expect });
    };
    for kind in Kind::ALL {
        match kind {
            Kind::Acknowledge => push("Acknowledge".to_owned(), acknowledge(), row.acknowledge),
            Kind::Classify => push(
                "Classify".to_owned(),
                classify(Classification { severity: Some(Severity::Critical), ..Classification::default() }),
                row.classify,
            ),
            Kind::Assign => push("Assign".to_owned(), Command::Assign { owner: PersonId::generate() }, row.assign),
            Kind::Transition => {
                for (&to, &allowed) in Stage::ALL.iter().zip(&row.transition) {
                    for reason in [false, true] {
                        for triage in [false, true] {
                            push(
                                format!("Transition to {to} (reason: {reason}, triage: {triage})"),
                                Command::Transition {
                                    to,
                                    reason: reason.then(|| text("re-scoped after new findings")),
                                    classification: triage.then(declaration),
                                },
                                allowed.expect(reason, triage),
                            );
                        }
                    }
                }
            }
            Kind::Close => {
                for (&resolution, &expect) in Resolution::ALL.iter().zip(&row.close) {
                    let duplicate_of = (resolution == Resolution::Duplicate).then(another_incident);
                    assert_ne!(duplicate_of, Some(current.id));
                    push(
                        format!("Close as {resolution}"),
                        Command::Close { resolution, summary: summary(), duplicate_of },
                        expect,
                    );
                }
            }
            Kind::Reopen => {
                let targets = std::iter::once(None).chain(Stage::ALL.iter().copied().map(Some));
                for (to, &allowed) in targets.zip(&row.reopen) {
                    for reason in [false, true] {
                        let name = to.map_or_else(|| "the default".to_owned(), |s| s.to_string());
                        push(
                            format!("Reopen to {name} (reason: {reason})"),
                            Command::Reopen { to, reason: reason.then(|| text("the attacker came back")) },
                            allowed.expect(reason, false),
                        );
                    }
                }
            }
        }
    }
    cases
}

/// Runs one case and says what is wrong with the outcome, if anything.
fn check(run: &Run, case: &Case) -> Result<(), String> {
    let current = &run.incident;
    let when = run.next_time();
    let result = decide(current, case.command.clone(), when, run.by);
    match (case.expect, result) {
        (Expect::Moves(state), Ok(decision)) => {
            check_accepted(current, &case.command, &decision, when, run.by, Some(state))
        }
        (Expect::Stays, Ok(decision)) => check_accepted(current, &case.command, &decision, when, run.by, None),
        (Expect::Refused, Err(IncidentError::InvalidTransition { from, to, allowed, message })) => {
            if from != current.state() {
                return Err(format!("the refusal names {from} as the current state"));
            }
            if to != refused_target(&case.command) {
                return Err(format!("the refusal names {to:?} as the target"));
            }
            if allowed != allowed_targets(current) {
                return Err(format!(
                    "the refusal allows {allowed:?}, allowed_targets says {:?}",
                    allowed_targets(current)
                ));
            }
            if message.is_empty() {
                return Err("the refusal has no message".to_owned());
            }
            Ok(())
        }
        (Expect::Invalid(field), Err(IncidentError::Invalid(rejected))) if rejected.field == field => Ok(()),
        (expect, Ok(decision)) => {
            Err(format!("expected {expect:?}, but it was accepted into {}", decision.incident.state()))
        }
        (expect, Err(error)) => Err(format!("expected {expect:?}, got {error:?}")),
    }
}

fn check_accepted(
    current: &Incident,
    command: &Command,
    decision: &Decision,
    when: DateTime<Utc>,
    by: PersonId,
    moved_to: Option<WorkflowState>,
) -> Result<(), String> {
    let next = &decision.incident;
    if next.version != current.version + 1 {
        return Err(format!("version went from {} to {}", current.version, next.version));
    }
    if next.updated_at != when {
        return Err("updated_at was not stamped".to_owned());
    }
    if (next.id, &next.key, next.team_id, next.reported_at, next.created_at)
        != (current.id, &current.key, current.team_id, current.reported_at, current.created_at)
    {
        return Err("the incident's identity changed".to_owned());
    }
    match (moved_to, &decision.transition) {
        (None, None) if next.state() == current.state() => Ok(()),
        (None, _) => Err(format!("expected no move, got {} with {:?}", next.state(), decision.transition)),
        (Some(state), Some(transition)) => {
            let expected = Transition {
                id: transition.id,
                incident_id: current.id,
                from: Some(current.state()),
                to: state,
                at: when,
                by,
                reason: reason_of(command),
                resolution: match command {
                    Command::Close { resolution, .. } => Some(*resolution),
                    _ => None,
                },
            };
            if next.state() != state {
                Err(format!("moved to {} instead of {state}", next.state()))
            } else if *transition != expected {
                Err(format!("recorded {transition:?}, expected {expected:?}"))
            } else {
                Ok(())
            }
        }
        (Some(state), None) => Err(format!("moved to {state} without recording a transition")),
    }
}

#[test]
fn every_state_answers_every_command_as_domain_section_2_says() {
    let mut failures = Vec::new();
    let mut kinds = BTreeSet::new();
    let mut count = 0;
    for &f in Fixture::ALL {
        let run = fixture(f);
        assert_eq!(run.incident.state(), state_of(f), "fixture {f:?}");
        for case in cases(f, &run.incident) {
            count += 1;
            kinds.insert(kind_of(&case.command));
            if let Err(problem) = check(&run, &case) {
                failures.push(format!("{f:?} ({}) + {}: {problem}", run.incident.state(), case.label));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {count} cases disagree:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), Kind::ALL.to_vec(), "every kind of command is exercised");
    // Acknowledge, Classify, Assign; Transition × stage × reason × triage; Close × resolution; Reopen × target × reason.
    let per_fixture = 3 + Stage::ALL.len() * 2 * 2 + Resolution::ALL.len() + (Stage::ALL.len() + 1) * 2;
    assert_eq!(count, Fixture::ALL.len() * per_fixture, "every fixture answers every command");
}

#[test]
fn the_table_has_a_column_for_every_stage_and_resolution() {
    let row = row(Fixture::Reported);
    assert_eq!(row.transition.len(), Stage::ALL.len(), "a transition column per stage");
    assert_eq!(row.close.len(), Resolution::ALL.len(), "a close column per resolution");
    assert_eq!(row.reopen.len(), Stage::ALL.len() + 1, "a reopen column per stage, plus the default");
    let states: BTreeSet<WorkflowState> = Fixture::ALL.iter().map(|&f| state_of(f)).collect();
    assert_eq!(states.into_iter().collect::<Vec<_>>(), WorkflowState::ALL.to_vec(), "a fixture in every state");
}

#[test]
fn allowed_targets_name_the_states_that_commands_reach() {
    for &f in Fixture::ALL {
        let run = fixture(f);
        let mut reached = BTreeSet::new();
        let mut reached_without_request_triage = BTreeSet::new();
        for case in cases(f, &run.incident) {
            let triage_in_request = matches!(case.command, Command::Transition { classification: Some(_), .. });
            let Ok(decision) = decide(&run.incident, case.command, run.next_time(), run.by) else { continue };
            if decision.transition.is_some() {
                reached.insert(decision.incident.state());
                if !triage_in_request {
                    reached_without_request_triage.insert(decision.incident.state());
                }
            }
        }
        let allowed: BTreeSet<WorkflowState> = allowed_targets(&run.incident).into_iter().collect();
        assert!(allowed.is_subset(&reached), "{f:?}: allowed {allowed:?} but only {reached:?} is reachable");
        assert!(
            reached_without_request_triage.is_subset(&allowed),
            "{f:?}: reached {reached_without_request_triage:?} but allowed only {allowed:?}"
        );
        assert!(!allowed.contains(&run.incident.state()), "{f:?}: an incident is never allowed to stay put");
    }
}

#[test]
fn a_reported_incident_can_only_be_acknowledged_to_d3() {
    for &f in Fixture::ALL {
        let run = fixture(f);
        let owner = PersonId::generate();
        let result = decide(&run.incident, Command::Acknowledge { owner }, run.next_time(), run.by);
        if f == Fixture::Reported {
            let decision = result.expect("a reported incident is acknowledged");
            assert_eq!(decision.incident.state(), WorkflowState::D3);
            assert_eq!(decision.incident.owner_id, Some(owner));
            assert_eq!(decision.incident.milestones.acknowledged_at, Some(run.next_time()));
        } else {
            assert_invalid_transition(&result.expect_err("only D-1 can be acknowledged"), &run.incident);
        }
    }
}

#[test]
fn acknowledging_starts_d2_handling() {
    let reported = Run::new();
    assert_eq!(reported.progress_of(Stage::D2).state, ProgressState::NotStarted);
    let run = reported.apply(acknowledge());
    let d2 = run.progress_of(Stage::D2);
    assert_eq!(d2.state, ProgressState::Active);
    assert_eq!(d2.entered_at, Some(at(1)));
}

#[test]
fn a_move_from_d1_to_d3_acknowledges_with_the_assigned_owner_or_else_the_actor() {
    let run = Run::new().apply(move_to(Stage::D3));
    assert_eq!(run.incident.owner_id, Some(run.by));
    assert_eq!(run.incident.milestones.acknowledged_at, Some(at(1)));

    let owner = PersonId::generate();
    let run = Run::new().apply(Command::Assign { owner });
    assert_eq!(run.incident.stage, Stage::D1, "assigning does not acknowledge");
    assert_eq!(run.incident.milestones.acknowledged_at, None);
    let run = run.apply(move_to(Stage::D3));
    assert_eq!(run.incident.owner_id, Some(owner));
    assert_eq!(run.incident.milestones.acknowledged_at, Some(at(2)));
}

// 2. Guards

/// Every combination of the four declaration fields, with one determination.
fn partial_triages(determination: Determination) -> impl Iterator<Item = (Classification, bool)> {
    (0_u8..16).map(move |mask| {
        let classification = Classification {
            determination: (mask & 1 != 0).then_some(determination),
            category: (mask & 2 != 0).then(category),
            severity: (mask & 4 != 0).then_some(Severity::Medium),
            urgency: (mask & 8 != 0).then_some(Urgency::High),
            ..Classification::default()
        };
        let declares = mask == 15 && matches!(determination, Determination::Confirmed | Determination::Suspected);
        (classification, declares)
    })
}

#[test]
fn the_fast_path_from_d1_to_d4_needs_every_triage_field_in_the_same_request() {
    let reported = Run::new();
    assert_invalid_transition(&reported.refuse(move_to(Stage::D4)), &reported.incident);
    for &determination in Determination::ALL {
        for (classification, declares) in partial_triages(determination) {
            let label = format!("{classification:?}");
            let result = decide(&reported.incident, fast_path(classification), at(1), reported.by);
            if declares {
                assert_eq!(result.map(|d| d.incident.state()), Ok(WorkflowState::D4), "{label}");
            } else {
                assert_invalid_transition(&result.expect_err(&label), &reported.incident);
            }
        }
    }
}

#[test]
fn triage_cannot_be_stored_before_acknowledgement() {
    let reported = Run::new();
    assert_invalid_field(&reported.refuse(classify(declaration())), "incidentId");
    assert_invalid_transition(&reported.refuse(move_to(Stage::D4)), &reported.incident);
}

#[test]
fn the_fast_path_acknowledges_triages_and_declares_at_once() {
    let run = Run::new().apply(fast_path(declaration()));
    let m = &run.incident.milestones;
    assert_eq!((m.acknowledged_at, m.triaged_at, m.declared_at), (Some(at(1)), Some(at(1)), Some(at(1))));
    assert_eq!(run.incident.owner_id, Some(run.by));
    assert_eq!(run.incident.triage.priority, Some(Priority::P2));
    assert_eq!(run.incident.triage.category, Some(category()));
    let d3 = run.progress_of(Stage::D3);
    assert_eq!((d3.state, d3.entered_at, d3.completed_at), (ProgressState::Done, Some(at(1)), Some(at(1))));
    assert_eq!(run.progress_of(Stage::D4).state, ProgressState::Active);
}

#[test]
fn d3_declares_to_d4_d5_or_d7_only_with_a_declaring_triage_stored() {
    for &determination in Determination::ALL {
        for (classification, declares) in partial_triages(determination) {
            let run = acknowledged().apply(classify(classification.clone()));
            assert_eq!(run.incident.triage.is_ready_to_declare(), declares, "{classification:?}");
            for to in [Stage::D4, Stage::D5, Stage::D7] {
                let result = decide(&run.incident, move_to(to), run.next_time(), run.by);
                if declares {
                    let incident = result.expect("a declared incident leaves D-3").incident;
                    assert_eq!(incident.stage, to);
                    assert_eq!(incident.milestones.declared_at, Some(run.next_time()));
                    assert_eq!(incident.milestones.triaged_at, Some(run.next_time()));
                } else {
                    let error = result.expect_err("an undeclared incident stays in D-3");
                    assert_invalid_transition(&error, &run.incident);
                }
            }
        }
    }
}

#[test]
fn d3_can_declare_with_the_triage_in_the_same_request() {
    let run = acknowledged();
    let run = run.apply(Command::Transition { to: Stage::D5, reason: None, classification: Some(declaration()) });
    assert_eq!(run.incident.stage, Stage::D5);
    assert_eq!(run.incident.triage.determination, Determination::Confirmed);
}

#[test]
fn skipping_containment_and_recovery_marks_them_skipped() {
    let run = declared().apply(move_to(Stage::D5));
    assert_eq!(run.progress_of(Stage::D4).state, ProgressState::Skipped);
    assert_eq!(run.progress_of(Stage::D5).state, ProgressState::Active);
    assert_eq!(run.incident.milestones.contained_at, None);

    let run = declared().apply(move_to(Stage::D7));
    assert_eq!(run.progress_of(Stage::D4).state, ProgressState::Skipped);
    assert_eq!(run.progress_of(Stage::D5).state, ProgressState::Skipped);
    assert_eq!(run.progress_of(Stage::D7).state, ProgressState::Active);
    assert_eq!((run.incident.milestones.contained_at, run.incident.milestones.recovered_at), (None, None));
}

#[test]
fn backward_moves_need_a_reason() {
    for (start, to) in
        [(containing(), Stage::D3), (recovering(), Stage::D4), (reporting(), Stage::D4), (reporting(), Stage::D5)]
    {
        assert_invalid_transition(&start.refuse(move_to(to)), &start.incident);
        let moved = start.clone().apply(move_back(to));
        assert_eq!(moved.incident.stage, to);
        let transition = moved.transitions.last().expect("a transition");
        assert_eq!(transition.reason.as_ref().map(Text::as_str), Some("re-infection found on a second host"));
        assert_eq!(moved.incident.milestones, start.incident.milestones, "moving back writes no milestone");
    }
}

#[test]
fn no_backward_move_skips_a_stage_or_returns_to_d1() {
    for (start, to) in
        [(recovering(), Stage::D3), (reporting(), Stage::D3), (containing(), Stage::D1), (declared(), Stage::D1)]
    {
        assert_invalid_transition(&start.refuse(move_back(to)), &start.incident);
    }
}

#[test]
fn a_declared_incident_closes_from_d7_only_with_a_response_report() {
    let run = reporting();
    assert_eq!(allowed_resolutions(&run.incident), vec![Resolution::Resolved]);
    assert_eq!(
        allowed_targets(&run.incident),
        vec![WorkflowState::D4, WorkflowState::D5],
        "no close before the report"
    );
    assert_invalid_transition(&run.refuse(close(Resolution::Resolved)), &run.incident);
    let run = run.record_report();
    assert_eq!(allowed_targets(&run.incident), vec![WorkflowState::D4, WorkflowState::D5, WorkflowState::Closed]);
    let closed = run.apply(close(Resolution::Resolved));
    assert_eq!(closed.incident.state(), WorkflowState::Closed);
    assert_eq!(closed.incident.milestones.report_completed_at, closed.incident.milestones.closed_at);
    assert_eq!(closed.progress_of(Stage::D7).state, ProgressState::Done);
}

#[test]
fn an_undeclared_incident_in_d7_closes_without_a_report() {
    // Not reachable through `decide` (every way into D-7 declares): the guard is only for declared ones.
    let mut run = reporting();
    run.incident.milestones.declared_at = None;
    let closed = run.apply(close(Resolution::Resolved));
    assert_eq!(closed.incident.resolution, Some(Resolution::Resolved));
}

#[test]
fn work_in_d4_or_d5_cannot_be_closed() {
    for run in [containing(), recovering()] {
        assert!(allowed_resolutions(&run.incident).is_empty());
        for &resolution in Resolution::ALL {
            let command = Command::Close {
                resolution,
                summary: None,
                duplicate_of: (resolution == Resolution::Duplicate).then(another_incident),
            };
            assert_invalid_transition(&run.refuse(command), &run.incident);
        }
    }
}

#[test]
fn a_duplicate_names_another_incident() {
    for run in [Run::new(), acknowledged(), declared()] {
        assert_invalid_field(&run.refuse(close_as_duplicate_of(None)), "duplicateOf");
        assert_invalid_field(&run.refuse(close_as_duplicate_of(Some(run.incident.id))), "duplicateOf");
        let closed = run.apply(close_as_duplicate_of(Some(another_incident())));
        assert_eq!(closed.incident.resolution, Some(Resolution::Duplicate));
        assert_eq!(closed.incident.duplicate_of, Some(another_incident()));
    }
}

#[test]
fn only_a_duplicate_names_another_incident() {
    let run = acknowledged();
    let command =
        Command::Close { resolution: Resolution::FalsePositive, summary: None, duplicate_of: Some(another_incident()) };
    assert_invalid_field(&run.refuse(command), "duplicateOf");
    let run = Run::new();
    let command =
        Command::Close { resolution: Resolution::OutOfScope, summary: None, duplicate_of: Some(another_incident()) };
    assert_invalid_field(&run.refuse(command), "duplicateOf");
}

#[test]
fn intake_rejections_are_only_accepted_from_d1() {
    for &f in Fixture::ALL {
        let run = fixture(f);
        for resolution in [Resolution::NotAnIncident, Resolution::OutOfScope] {
            let result = decide(&run.incident, close(resolution), run.next_time(), run.by);
            match (f, result) {
                (Fixture::Reported, Ok(decision)) => {
                    assert_eq!(decision.incident.resolution, Some(resolution));
                    assert_eq!(decision.incident.milestones.acknowledged_at, None, "rejected without an owner");
                    assert_eq!(decision.incident.milestones.triaged_at, None, "an intake rejection is no triage");
                }
                (Fixture::Reported, Err(error)) => panic!("{resolution} refused at intake: {error:?}"),
                (_, Ok(_)) => panic!("{resolution} accepted from {f:?}"),
                (_, Err(IncidentError::Invalid(rejected))) => assert_eq!(rejected.field, "resolution"),
                (_, Err(error)) => assert_invalid_transition(&error, &run.incident),
            }
        }
    }
}

#[test]
fn false_positive_and_benign_closes_set_the_determination() {
    for (resolution, determination) in
        [(Resolution::FalsePositive, Determination::FalsePositive), (Resolution::Benign, Determination::Benign)]
    {
        for run in [acknowledged(), declared()] {
            let closed = run.apply(close(resolution));
            assert_eq!(closed.incident.triage.determination, determination);
            assert_eq!(closed.incident.resolution, Some(resolution));
        }
    }
    let duplicate = declared().apply(close_as_duplicate_of(Some(another_incident())));
    assert_eq!(duplicate.incident.triage.determination, Determination::Confirmed, "a duplicate keeps its triage");
}

#[test]
fn closing_from_d3_finishes_triage() {
    for command in
        [close(Resolution::FalsePositive), close(Resolution::Benign), close_as_duplicate_of(Some(another_incident()))]
    {
        let closed = acknowledged().apply(command);
        let m = &closed.incident.milestones;
        assert_eq!(m.triaged_at, Some(at(2)), "time to triage counts false positives too");
        assert_eq!(m.declared_at, None);
        assert_eq!(closed.progress_of(Stage::D3).state, ProgressState::Done);
    }
}

#[test]
fn a_near_miss_can_be_closed_as_resolved_from_d3() {
    let run = acknowledged()
        .apply(classify(Classification { determination: Some(Determination::NearMiss), ..Classification::default() }));
    assert!(allowed_resolutions(&run.incident).contains(&Resolution::Resolved));
    let closed = run.apply(close(Resolution::Resolved));
    assert_eq!(closed.incident.triage.determination, Determination::NearMiss);
    assert_eq!(closed.incident.milestones.report_completed_at, None, "no report is written from D-3");
    assert_invalid_field(&acknowledged().refuse(close(Resolution::Resolved)), "resolution");
}

#[test]
fn closing_stores_the_resolution_and_summary_on_the_incident_and_its_transition() {
    let closed = closed_resolved();
    assert_eq!(closed.incident.status, Status::Closed);
    assert_eq!(closed.incident.stage, Stage::D7, "the stage is kept when closed");
    assert_eq!(closed.incident.closure_summary, summary());
    let transition = closed.transitions.last().expect("a transition");
    assert_eq!((transition.from, transition.to), (Some(WorkflowState::D7), WorkflowState::Closed));
    assert_eq!(transition.resolution, Some(Resolution::Resolved));
}

#[test]
fn a_closed_incident_cannot_be_closed_again() {
    for run in [closed_resolved(), fixture(Fixture::ClosedAtIntake)] {
        assert_invalid_transition(&run.refuse(close(Resolution::Resolved)), &run.incident);
        assert_invalid_transition(&run.refuse(close_as_duplicate_of(Some(another_incident()))), &run.incident);
    }
}

#[test]
fn reopening_needs_a_reason() {
    for run in [closed_resolved(), fixture(Fixture::ClosedAtIntake)] {
        for to in [None, Some(Stage::D3)] {
            assert_invalid_transition(&run.refuse(Command::Reopen { to, reason: None }), &run.incident);
        }
    }
}

#[test]
fn reopening_goes_to_d3_by_default_and_counts() {
    let closed = acknowledged().apply(close_as_duplicate_of(Some(another_incident())));
    let reopened = closed.apply(reopen(None));
    let incident = &reopened.incident;
    assert_eq!(incident.state(), WorkflowState::D3);
    assert_eq!(incident.reopen_count, 1);
    assert_eq!((incident.resolution, &incident.closure_summary, incident.duplicate_of), (None, &None, None));
    let transition = reopened.transitions.last().expect("a transition");
    assert_eq!((transition.from, transition.to), (Some(WorkflowState::Closed), WorkflowState::D3));
    assert_eq!(transition.reason.as_ref().map(Text::as_str), Some("new evidence of exfiltration"));

    let twice = reopened.apply(close(Resolution::Benign)).apply(reopen(Some(Stage::D3)));
    assert_eq!(twice.incident.reopen_count, 2);
    assert_eq!(twice.transitions.len(), 6, "history is kept: report, acknowledge, close, reopen, close, reopen");
}

#[test]
fn a_declared_incident_can_be_reopened_to_d4_d5_or_d7() {
    for to in [Stage::D3, Stage::D4, Stage::D5, Stage::D7] {
        let reopened = closed_resolved().apply(reopen(Some(to)));
        assert_eq!(reopened.incident.state(), WorkflowState::of_stage(to).expect("a main-line stage"));
        assert_eq!(reopened.incident.reopen_count, 1);
    }
    for to in [Stage::D1, Stage::D2, Stage::D6] {
        let closed = closed_resolved();
        assert_invalid_transition(&closed.refuse(reopen(Some(to))), &closed.incident);
    }
}

#[test]
fn an_undeclared_incident_can_only_be_reopened_to_d3() {
    for f in [Fixture::ClosedAtIntake, Fixture::ClosedAsFalsePositive] {
        let closed = fixture(f);
        assert_eq!(allowed_targets(&closed.incident), vec![WorkflowState::D3]);
        for &to in Stage::ALL.iter().filter(|&&s| s != Stage::D3) {
            assert_invalid_transition(&closed.refuse(reopen(Some(to))), &closed.incident);
        }
        assert_eq!(closed.apply(reopen(None)).incident.state(), WorkflowState::D3);
    }
}

#[test]
fn an_open_incident_cannot_be_reopened() {
    for f in [Fixture::Reported, Fixture::Triaging, Fixture::Containing, Fixture::ReportWritten] {
        let run = fixture(f);
        assert_invalid_transition(&run.refuse(reopen(None)), &run.incident);
    }
}

#[test]
fn reopening_an_intake_rejection_acknowledges_it() {
    let reopened = fixture(Fixture::ClosedAtIntake).apply(reopen(None));
    assert_eq!(reopened.incident.owner_id, Some(reopened.by));
    assert_eq!(reopened.incident.milestones.acknowledged_at, Some(at(2)));
    assert_eq!(reopened.progress_of(Stage::D2).state, ProgressState::Active);
}

#[test]
fn reopening_keeps_the_owner() {
    let owner = PersonId::generate();
    let reopened =
        Run::new().apply(Command::Acknowledge { owner }).apply(close(Resolution::Benign)).apply(reopen(None));
    assert_eq!(reopened.incident.owner_id, Some(owner));
}

#[test]
fn a_closed_incident_takes_no_work_until_reopened() {
    let closed = closed_resolved();
    let refusals = [
        classify(declaration()),
        Command::Assign { owner: PersonId::generate() },
        move_to(Stage::D4),
        move_back(Stage::D5),
        acknowledge(),
    ];
    for command in refusals {
        assert_invalid_transition(&closed.refuse(command), &closed.incident);
    }
}

#[test]
fn d2_and_d6_are_not_states_of_the_main_line() {
    for run in [acknowledged(), containing(), reporting()] {
        for to in [Stage::D2, Stage::D6] {
            match run.refuse(move_to(to)) {
                IncidentError::InvalidTransition { to: target, allowed, .. } => {
                    assert_eq!(target, None);
                    assert_eq!(allowed, allowed_targets(&run.incident));
                }
                other => panic!("expected INVALID_TRANSITION, got {other:?}"),
            }
        }
    }
}

// 3. Milestones, version and refusals

#[test]
fn milestones_keep_their_first_occurrence_across_reopen_and_reclose() {
    let first = closed_resolved();
    let milestones = first.incident.milestones.clone();
    assert_eq!(
        milestones,
        Milestones {
            acknowledged_at: Some(at(1)),
            triaged_at: Some(at(3)),
            declared_at: Some(at(3)),
            contained_at: Some(at(4)),
            recovered_at: Some(at(5)),
            report_completed_at: Some(at(7)),
            closed_at: Some(at(7)),
            first_notified_at: None,
        }
    );
    let second = first
        .apply(reopen(Some(Stage::D3)))
        .apply(move_to(Stage::D4))
        .apply(move_to(Stage::D5))
        .apply(move_to(Stage::D7))
        .record_report()
        .apply(close(Resolution::Resolved));
    assert_eq!(second.incident.milestones, milestones);
    assert_eq!(second.incident.reopen_count, 1);
    let third = second.apply(reopen(None)).apply(close(Resolution::FalsePositive));
    assert_eq!(third.incident.milestones, milestones);
    assert_eq!(third.incident.reopen_count, 2);
}

#[test]
fn a_failed_containment_keeps_the_first_contained_at() {
    let run = recovering().apply(move_back(Stage::D4)).apply(move_to(Stage::D5));
    assert_eq!(run.incident.milestones.contained_at, Some(at(4)));
    let run = run.apply(move_to(Stage::D7)).apply(move_back(Stage::D5)).apply(move_to(Stage::D7));
    assert_eq!(run.incident.milestones.recovered_at, Some(at(7)));
}

#[test]
fn every_accepted_command_bumps_the_version_by_one_and_stamps_updated_at() {
    let mut run = Run::new();
    assert_eq!((run.incident.version, run.incident.updated_at), (1, at(0)));
    let commands = [
        Command::Assign { owner: PersonId::generate() },
        acknowledge(),
        classify(Classification { tlp: Some(Tlp::Red), ..Classification::default() }),
        classify(declaration()),
        move_to(Stage::D4),
        Command::Assign { owner: PersonId::generate() },
        move_to(Stage::D5),
        move_to(Stage::D7),
        move_back(Stage::D4),
        move_to(Stage::D5),
        move_to(Stage::D7),
    ];
    for command in commands {
        let before = run.incident.version;
        let decision = run.try_apply(command).expect("accepted");
        assert_eq!(decision.incident.version, before + 1);
        assert_eq!(decision.incident.updated_at, at(run.minute));
    }
    let run = run.record_report().apply(close(Resolution::Resolved)).apply(reopen(None));
    assert_eq!(run.incident.version, 1 + 11 + 2);
    assert_eq!(run.incident.updated_at, at(run.minute));
}

#[test]
fn a_refused_command_changes_nothing() {
    for &f in Fixture::ALL {
        let run = fixture(f);
        let before = run.incident.clone();
        for case in
            cases(f, &run.incident).into_iter().filter(|c| !matches!(c.expect, Expect::Moves(_) | Expect::Stays))
        {
            assert!(decide(&run.incident, case.command, run.next_time(), run.by).is_err(), "{f:?}: {}", case.label);
            assert_eq!(run.incident, before);
        }
    }
}

#[test]
fn a_fresh_incident_is_reported_in_d1() {
    let run = Run::new();
    let incident = &run.incident;
    assert_eq!((incident.state(), incident.version, incident.reopen_count), (WorkflowState::D1, 1, 0));
    assert_eq!(incident.key.as_str(), "INC-2026-000001");
    assert_eq!(incident.milestones, Milestones::default());
    assert_eq!(allowed_targets(incident), vec![WorkflowState::D3, WorkflowState::D4, WorkflowState::Closed]);
    let report = &run.transitions[0];
    assert_eq!((report.from, report.to, report.at), (None, WorkflowState::D1, at(0)));
    let states: Vec<ProgressState> = run.progress().iter().map(|p| p.state).collect();
    assert_eq!(states, [vec![ProgressState::Active], vec![ProgressState::NotStarted; 6]].concat());
}

// 4. Priority

#[test]
fn classification_computes_priority_from_the_domain_matrix() {
    use Priority::{P1, P2, P3, P4};
    let matrix = [
        (Severity::Critical, [P1, P1, P2]),
        (Severity::High, [P1, P2, P3]),
        (Severity::Medium, [P2, P3, P4]),
        (Severity::Low, [P3, P4, P4]),
    ];
    let run = acknowledged();
    for (severity, priorities) in matrix {
        for (urgency, priority) in [Urgency::High, Urgency::Medium, Urgency::Low].into_iter().zip(priorities) {
            let classified = run.clone().apply(classify(Classification {
                severity: Some(severity),
                urgency: Some(urgency),
                ..Classification::default()
            }));
            assert_eq!(classified.incident.triage.priority, Some(priority), "{severity} × {urgency}");
            let fast = Run::new().apply(fast_path(Classification {
                severity: Some(severity),
                urgency: Some(urgency),
                ..declaration()
            }));
            assert_eq!(fast.incident.triage.priority, Some(priority), "fast path {severity} × {urgency}");
        }
    }
}

#[test]
fn priority_waits_for_both_severity_and_urgency() {
    let run =
        acknowledged().apply(classify(Classification { severity: Some(Severity::High), ..Classification::default() }));
    assert_eq!(run.incident.triage.priority, None);
    let run = run.apply(classify(Classification { urgency: Some(Urgency::High), ..Classification::default() }));
    assert_eq!(run.incident.triage.priority, Some(Priority::P1));
    assert_eq!(run.incident.triage.severity, Some(Severity::High), "a partial classification keeps the other fields");
    let run = run.apply(classify(Classification { severity: Some(Severity::Low), ..Classification::default() }));
    assert_eq!(run.incident.triage.priority, Some(Priority::P3), "reclassifying recomputes");
}

#[test]
fn a_manual_priority_override_survives_reclassification() {
    let run = declared();
    assert_eq!(run.incident.triage.priority, Some(Priority::P2));
    let run = run.apply(classify(Classification {
        priority_override: Some((Priority::P1, text("board-level visibility"))),
        ..Classification::default()
    }));
    assert_eq!(run.incident.triage.priority, Some(Priority::P1));
    assert_eq!(run.incident.triage.priority_override_reason.as_ref().map(Text::as_str), Some("board-level visibility"));
    let run = run.apply(classify(Classification {
        severity: Some(Severity::Low),
        urgency: Some(Urgency::Low),
        ..Classification::default()
    }));
    assert_eq!(run.incident.triage.priority, Some(Priority::P1), "the override wins over the matrix");
    assert_eq!(run.incident.triage.severity, Some(Severity::Low));
    let run = run.apply(classify(Classification {
        priority_override: Some((Priority::P3, text("downgraded after review"))),
        ..Classification::default()
    }));
    assert_eq!(run.incident.triage.priority, Some(Priority::P3));
}

#[test]
fn classification_updates_determination_category_and_tlp() {
    let run = declared().apply(classify(Classification {
        determination: Some(Determination::Suspected),
        tlp: Some(Tlp::AmberStrict),
        ..Classification::default()
    }));
    let triage = &run.incident.triage;
    assert_eq!(triage.determination, Determination::Suspected);
    assert_eq!(triage.category, Some(category()));
    assert_eq!(run.incident.tlp, Tlp::AmberStrict);
}

// 5. Property tests over random command sequences

/// How a random close names the incident it duplicates.
#[derive(Debug, Clone, Copy)]
enum DuplicateOf {
    Nothing,
    Another,
    Itself,
}

/// One random step: a command, or recording a response report as the service does.
#[derive(Debug, Clone)]
enum Step {
    Acknowledge,
    Classify(Classification),
    Assign,
    Transition { to: Stage, reason: bool, triage: Option<Classification> },
    Close { resolution: Resolution, duplicate_of: DuplicateOf, summary: bool },
    Reopen { to: Option<Stage>, reason: bool },
    RecordReport,
}

const CATEGORIES: &[&str] = &["intrusions/system-compromise", "fraud/phishing", "malicious-code/infected-system"];

fn any_classification() -> impl Strategy<Value = Classification> {
    let partial = (
        prop::option::of(prop::sample::select(Determination::ALL)),
        prop::option::of(prop::sample::select(CATEGORIES)),
        prop::option::of(prop::sample::select(Severity::ALL)),
        prop::option::of(prop::sample::select(Urgency::ALL)),
        prop::option::of(prop::sample::select(Tlp::ALL)),
        prop::option::weighted(0.15, prop::sample::select(Priority::ALL)),
    )
        .prop_map(|(determination, category, severity, urgency, tlp, priority)| Classification {
            determination,
            category: category.map(|c| IncidentCategory::parse(c).expect("an RSIT category")),
            severity,
            urgency,
            tlp,
            priority_override: priority.map(|p| (p, text("set by hand"))),
        });
    let declaring = (
        prop::sample::select(&[Determination::Confirmed, Determination::Suspected][..]),
        prop::sample::select(Severity::ALL),
        prop::sample::select(Urgency::ALL),
    )
        .prop_map(|(determination, severity, urgency)| Classification {
            determination: Some(determination),
            severity: Some(severity),
            urgency: Some(urgency),
            ..declaration()
        });
    prop_oneof![2 => partial, 1 => declaring]
}

fn any_step() -> impl Strategy<Value = Step> {
    let reason = || prop::bool::weighted(0.75);
    prop_oneof![
        1 => Just(Step::Acknowledge),
        2 => any_classification().prop_map(Step::Classify),
        1 => Just(Step::Assign),
        8 => (prop::sample::select(Stage::ALL), reason(), prop::option::weighted(0.25, any_classification()))
            .prop_map(|(to, reason, triage)| Step::Transition { to, reason, triage }),
        3 => (
            prop::sample::select(Resolution::ALL),
            prop_oneof![Just(DuplicateOf::Nothing), Just(DuplicateOf::Another), Just(DuplicateOf::Itself)],
            any::<bool>(),
        )
            .prop_map(|(resolution, duplicate_of, summary)| Step::Close { resolution, duplicate_of, summary }),
        2 => (prop::option::of(prop::sample::select(Stage::ALL)), reason())
            .prop_map(|(to, reason)| Step::Reopen { to, reason }),
        1 => Just(Step::RecordReport),
    ]
}

/// A run with what the test knows of its history, to check the incident against.
struct Model {
    run: Run,
    accepted: i64,
    reopens: i32,
    ever_closed: bool,
    ever_declared: bool,
    left_triage: bool,
    entered: BTreeSet<Stage>,
    reached: BTreeSet<WorkflowState>,
    accepted_kinds: BTreeSet<Kind>,
}

impl Model {
    fn new() -> Self {
        let mut entered = BTreeSet::new();
        entered.insert(Stage::D1);
        Self {
            run: Run::new(),
            accepted: 0,
            reopens: 0,
            ever_closed: false,
            ever_declared: false,
            left_triage: false,
            entered,
            reached: BTreeSet::new(),
            accepted_kinds: BTreeSet::new(),
        }
    }

    fn command(&self, step: Step) -> Command {
        let reason = |given: bool| given.then(|| text("because the evidence says so"));
        match step {
            Step::Acknowledge => acknowledge(),
            Step::Classify(classification) => Command::Classify(classification),
            Step::Assign => Command::Assign { owner: PersonId::generate() },
            Step::Transition { to, reason: given, triage } => {
                Command::Transition { to, reason: reason(given), classification: triage }
            }
            Step::Close { resolution, duplicate_of, summary: with_summary } => Command::Close {
                resolution,
                summary: if with_summary { summary() } else { None },
                duplicate_of: match duplicate_of {
                    DuplicateOf::Nothing => None,
                    DuplicateOf::Another => Some(another_incident()),
                    DuplicateOf::Itself => Some(self.run.incident.id),
                },
            },
            Step::Reopen { to, reason: given } => Command::Reopen { to, reason: reason(given) },
            Step::RecordReport => unreachable!("recording a report is not a command"),
        }
    }

    fn step(&mut self, step: Step) -> Result<(), TestCaseError> {
        if matches!(step, Step::RecordReport) {
            self.run.incident.report_recorded_at = Some(self.run.tick());
            return Ok(());
        }
        let command = self.command(step);
        let current = self.run.incident.clone();
        let when = self.run.tick();
        match decide(&current, command.clone(), when, self.run.by) {
            Err(IncidentError::InvalidTransition { from, to, allowed, .. }) => {
                prop_assert_eq!(from, current.state());
                prop_assert_eq!(to, refused_target(&command));
                prop_assert_eq!(allowed, allowed_targets(&current));
                Ok(())
            }
            Err(IncidentError::Invalid(_)) => Ok(()),
            Err(other) => Err(TestCaseError::fail(format!("{command:?} failed with {other:?}"))),
            Ok(decision) => self.accepted(&current, &command, decision, when),
        }
    }

    fn accepted(
        &mut self,
        current: &Incident,
        command: &Command,
        decision: Decision,
        when: DateTime<Utc>,
    ) -> Result<(), TestCaseError> {
        let next = &decision.incident;
        self.accepted += 1;
        prop_assert_eq!(next.version, 1 + self.accepted);
        prop_assert_eq!(next.updated_at, when);
        prop_assert!(next.stage.is_main_line(), "stage {} is not on the main line", next.stage);
        prop_assert_eq!(next.status == Status::Closed, next.resolution.is_some());
        prop_assert_eq!(next.duplicate_of.is_some(), next.resolution == Some(Resolution::Duplicate));
        check_milestones_only_grow(&current.milestones, &next.milestones, when)?;

        let moves = !matches!(kind_of(command), Kind::Classify | Kind::Assign);
        match (&decision.transition, moves) {
            (Some(transition), true) => {
                prop_assert_eq!(transition.from, Some(current.state()));
                prop_assert_eq!(transition.to, next.state());
                prop_assert_ne!(transition.from, Some(transition.to));
                prop_assert_eq!((transition.at, transition.by, transition.incident_id), (when, self.run.by, next.id));
                prop_assert_eq!(&transition.reason, &reason_of(command));
                let allowed = allowed_targets(current);
                // D-3 may declare with the triage in the request, which allowed_targets cannot see.
                let declares_in_request = current.stage == Stage::D3
                    && matches!(command, Command::Transition { classification: Some(_), .. });
                prop_assert!(
                    allowed.contains(&transition.to) || declares_in_request,
                    "{} → {} was accepted but allowed is {:?}",
                    current.state(),
                    transition.to,
                    allowed
                );
            }
            (None, false) => prop_assert_eq!(next.state(), current.state()),
            (transition, _) => {
                return Err(TestCaseError::fail(format!("{command:?} recorded {transition:?}")));
            }
        }
        if let Some(transition) = &decision.transition {
            let fast_path = transition.from == Some(WorkflowState::D1) && transition.to == WorkflowState::D4;
            if fast_path {
                self.entered.insert(Stage::D3);
            }
            self.left_triage |= fast_path || transition.from == Some(WorkflowState::D3);
            if let Some(stage) = transition.to.stage() {
                self.entered.insert(stage);
            }
            self.ever_declared |= matches!(transition.to, WorkflowState::D4 | WorkflowState::D5 | WorkflowState::D7);
            self.ever_closed |= transition.to == WorkflowState::Closed;
            self.reopens += i32::from(kind_of(command) == Kind::Reopen);
        }
        self.reached.insert(decision.incident.state());
        self.accepted_kinds.insert(kind_of(command));
        self.run.incident = decision.incident.clone();
        self.run.transitions.extend(decision.transition);
        self.check_incident()
    }

    fn check_incident(&self) -> Result<(), TestCaseError> {
        let incident = &self.run.incident;
        let m = &incident.milestones;
        prop_assert_eq!(m.closed_at.is_some(), self.ever_closed);
        prop_assert_eq!(m.declared_at.is_some(), self.ever_declared);
        prop_assert_eq!(m.triaged_at.is_some(), self.left_triage, "triaged_at is set once D-3 is left");
        prop_assert!(incident.stage == Stage::D1 || m.acknowledged_at.is_some(), "left D-1 unacknowledged");
        prop_assert!(incident.stage == Stage::D1 || incident.owner_id.is_some(), "left D-1 without an owner");
        prop_assert_eq!(m.first_notified_at, None);
        prop_assert_eq!(incident.reopen_count, self.reopens);
        prop_assert!(!allowed_targets(incident).contains(&incident.state()));
        let triage = &incident.triage;
        if triage.priority_override_reason.is_none() {
            let matrix = triage.severity.zip(triage.urgency).map(|(s, u)| Priority::from_matrix(s, u));
            prop_assert_eq!(triage.priority, matrix);
        }
        match incident.resolution {
            Some(Resolution::FalsePositive) => prop_assert_eq!(triage.determination, Determination::FalsePositive),
            Some(Resolution::Benign) => prop_assert_eq!(triage.determination, Determination::Benign),
            _ => {}
        }
        self.check_progress()
    }

    fn check_progress(&self) -> Result<(), TestCaseError> {
        let incident = &self.run.incident;
        let progress = stage_progress(incident, &self.run.transitions);
        let stages: Vec<Stage> = progress.iter().map(|p| p.stage).collect();
        prop_assert_eq!(stages, Stage::ALL.to_vec());
        let active: Vec<Stage> = progress
            .iter()
            .filter(|p| p.stage.is_main_line() && p.state == ProgressState::Active)
            .map(|p| p.stage)
            .collect();
        if incident.status == Status::Open {
            prop_assert_eq!(active, vec![incident.stage]);
        } else {
            prop_assert!(active.is_empty(), "closed but {:?} active", active);
        }
        for p in &progress {
            if p.state != ProgressState::Done {
                prop_assert_eq!(p.completed_at, None, "{} is {} with a completion", p.stage, p.state);
            }
            if let (Some(entered), Some(completed)) = (p.entered_at, p.completed_at) {
                prop_assert!(entered <= completed, "{} completed before it was entered", p.stage);
            }
            match p.stage {
                Stage::D2 => {
                    let started = matches!(p.state, ProgressState::Active | ProgressState::Done);
                    prop_assert_eq!(started, incident.milestones.acknowledged_at.is_some());
                }
                Stage::D6 => prop_assert_eq!(p.state, ProgressState::NotStarted),
                Stage::D1 | Stage::D3 | Stage::D4 | Stage::D5 | Stage::D7 => {
                    let entered = self.entered.contains(&p.stage);
                    prop_assert_eq!(p.entered_at.is_some(), entered, "{} entered_at", p.stage);
                    if p.state == ProgressState::Done {
                        prop_assert!(entered, "{} is DONE but was never entered", p.stage);
                        prop_assert!(p.completed_at.is_some(), "{} is DONE without a completion", p.stage);
                    }
                    if entered {
                        prop_assert!(
                            matches!(p.state, ProgressState::Active | ProgressState::Done),
                            "{} was entered but is {}",
                            p.stage,
                            p.state
                        );
                    }
                }
            }
        }
        Ok(())
    }
}

fn check_milestones_only_grow(
    before: &Milestones,
    after: &Milestones,
    when: DateTime<Utc>,
) -> Result<(), TestCaseError> {
    let pairs = [
        ("acknowledged_at", before.acknowledged_at, after.acknowledged_at),
        ("triaged_at", before.triaged_at, after.triaged_at),
        ("declared_at", before.declared_at, after.declared_at),
        ("contained_at", before.contained_at, after.contained_at),
        ("recovered_at", before.recovered_at, after.recovered_at),
        ("report_completed_at", before.report_completed_at, after.report_completed_at),
        ("closed_at", before.closed_at, after.closed_at),
        ("first_notified_at", before.first_notified_at, after.first_notified_at),
    ];
    for (name, was, is) in pairs {
        match was {
            Some(_) => prop_assert_eq!(is, was, "{} changed once set", name),
            None => prop_assert!(is.is_none() || is == Some(when), "{} was set to another time than now", name),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_command_sequences_keep_every_invariant(steps in prop::collection::vec(any_step(), 1..60)) {
        let mut model = Model::new();
        for step in steps {
            model.step(step)?;
        }
    }

}

#[test]
fn the_random_walk_reaches_every_state_and_accepts_every_kind_of_command() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    // Guards the generator: random sequences that never got past D-1 would check little.
    let mut runner = TestRunner::deterministic();
    let strategy = prop::collection::vec(any_step(), 1..60);
    let mut states = BTreeSet::new();
    let mut kinds = BTreeSet::new();
    for _ in 0..200 {
        let steps = strategy.new_tree(&mut runner).expect("a sequence").current();
        let mut model = Model::new();
        for step in steps {
            model.step(step).expect("the invariants hold");
        }
        states.extend(model.reached);
        kinds.extend(model.accepted_kinds);
    }
    assert_eq!(states.into_iter().collect::<Vec<_>>(), WorkflowState::ALL.to_vec());
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), Kind::ALL.to_vec());
}
