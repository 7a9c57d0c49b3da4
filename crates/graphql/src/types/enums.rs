//! GraphQL enums mirroring the domain's vocabularies (conversions generated both ways).

use async_graphql::Enum;

/// The seven incident-response services of the ISOG-J catalog, D-1 to D-7. Read a stage's code
/// (`"D-4"`) and titles through `catalog { stage(stage: D4) { code titleJa titleEn } }`.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "taio_core::incident::Stage")]
pub enum Stage {
    /// D-1 インシデント報告受付 — report intake.
    D1,
    /// D-2 インシデントハンドリング — handling: owner, progress and clocks over the open life.
    D2,
    /// D-3 インシデント分類 — classification and triage.
    D3,
    /// D-4 インシデント対応・封じ込め — containment.
    D4,
    /// D-5 インシデント復旧 — recovery.
    D5,
    /// D-6 インシデント通知 — notification, at any stage.
    D6,
    /// D-7 インシデント対応報告 — response report.
    D7,
}

/// Whether an incident is still being worked.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "taio_core::incident::Status")]
pub enum Status {
    /// Being worked.
    Open,
    /// Closed with a resolution.
    Closed,
}

/// A position on the main line: a main-line stage, or closed.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "taio_core::incident::WorkflowState")]
pub enum WorkflowState {
    /// D-1 report intake.
    D1,
    /// D-3 classification.
    D3,
    /// D-4 containment.
    D4,
    /// D-5 recovery.
    D5,
    /// D-7 response report.
    D7,
    /// Closed.
    Closed,
}

/// Traffic Light Protocol 2.0 label.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "taio_core::incident::Tlp")]
pub enum Tlp {
    /// TLP:CLEAR — no limit on disclosure.
    Clear,
    /// TLP:GREEN — the community.
    Green,
    /// TLP:AMBER — the organisation and its clients, need to know.
    Amber,
    /// TLP:AMBER+STRICT — the organisation only.
    AmberStrict,
    /// TLP:RED — named recipients only.
    Red,
}

/// What triage concluded the report is.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "taio_core::incident::Determination")]
pub enum Determination {
    /// Not decided yet.
    Undetermined,
    /// Probably an incident; handled as one.
    Suspected,
    /// An incident.
    Confirmed,
    /// An attempt that did not succeed.
    NearMiss,
    /// A detection that was wrong.
    FalsePositive,
    /// Real activity, but harmless or authorised.
    Benign,
}

/// Harm done or possible.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "taio_core::incident::Severity")]
pub enum Severity {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

/// How soon the response must act.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "taio_core::incident::Urgency")]
pub enum Urgency {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

/// Handling priority from severity × urgency, P1 first.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "taio_core::incident::Priority")]
pub enum Priority {
    /// Highest.
    P1,
    /// High.
    P2,
    /// Normal.
    P3,
    /// Low.
    P4,
}

/// Where a report came from.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "taio_core::incident::Source")]
pub enum Source {
    /// The team's own monitoring (SIEM, EDR, IDS…).
    InternalMonitoring,
    /// A user or employee.
    UserReport,
    /// Another CSIRT.
    ExternalCsirt,
    /// A vendor or service provider.
    Vendor,
    /// Law enforcement.
    LawEnforcement,
    /// Threat intelligence.
    ThreatIntel,
    /// Anything else.
    Other,
}

/// How an incident was closed.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "taio_core::incident::Resolution")]
pub enum Resolution {
    /// Handled to the end (from D-7; from D-3 for a near miss).
    Resolved,
    /// The detection was wrong (from D-3).
    FalsePositive,
    /// Harmless or authorised activity (from D-3).
    Benign,
    /// Already tracked as another incident (from D-1 or D-3; needs `duplicateOf`).
    Duplicate,
    /// Rejected at intake: not a security incident (from D-1).
    NotAnIncident,
    /// Rejected at intake: outside the constituency (from D-1).
    OutOfScope,
}

/// What sort of work an action is.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "taio_core::incident::ActionKind")]
pub enum ActionKind {
    /// A note.
    Note,
    /// Analysis.
    Analysis,
    /// Containment work.
    Containment,
    /// Recovery work.
    Recovery,
    /// Communication, notifications included.
    Communication,
    /// A decision.
    Decision,
    /// Evidence handling.
    Evidence,
}

/// How an action turned out.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "taio_core::incident::Outcome")]
pub enum Outcome {
    /// It worked.
    Succeeded,
    /// It did not.
    Failed,
    /// Partly.
    Partial,
    /// Planned, not done yet.
    Planned,
}

/// Who a D-6 notification went to.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "taio_core::incident::Audience")]
pub enum Audience {
    /// Other responders.
    Responders,
    /// Management.
    Management,
    /// People or units affected.
    AffectedParties,
    /// Customers.
    Customers,
    /// A regulator.
    Regulator,
    /// Law enforcement.
    LawEnforcement,
    /// The CSIRT community (national CSIRT, ISAC…).
    CsirtCommunity,
    /// A vendor.
    Vendor,
    /// The public.
    Public,
}

/// What a piece of evidence is.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "taio_core::incident::EvidenceKind")]
pub enum EvidenceKind {
    /// A file or sample.
    File,
    /// A disk image.
    DiskImage,
    /// A memory image.
    MemoryImage,
    /// Logs.
    Log,
    /// A network capture.
    NetworkCapture,
    /// A screenshot.
    Screenshot,
    /// An e-mail message.
    Email,
    /// A document.
    Document,
    /// Anything else.
    Other,
}

/// How far one D-service has got on an incident.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "taio_core::incident::ProgressState")]
pub enum ProgressState {
    /// Not begun.
    NotStarted,
    /// Under way.
    Active,
    /// Finished.
    Done,
    /// Not needed for this incident.
    Skipped,
}

/// A person's role in a team; each role can do what the ones before it can.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "taio_core::team::Role")]
pub enum Role {
    /// Reads the team's incidents.
    Viewer,
    /// Also reports, acknowledges, classifies, transitions and records actions.
    Responder,
    /// Also closes, reopens and reassigns.
    Lead,
}
