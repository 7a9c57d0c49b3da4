//! The closed vocabularies of the incident model, each with its stored text form.

vocabulary! {
    /// The seven incident-response services of the catalog, D-1 to D-7.
    Stage {
        /// インシデント報告受付 — report intake.
        D1 = "D1",
        /// インシデントハンドリング — handling (owner, progress, clocks) for the whole open life.
        D2 = "D2",
        /// インシデント分類 — classification and triage.
        D3 = "D3",
        /// インシデント対応・封じ込め — containment.
        D4 = "D4",
        /// インシデント復旧 — recovery.
        D5 = "D5",
        /// インシデント通知 — notification, at any time.
        D6 = "D6",
        /// インシデント対応報告 — response report.
        D7 = "D7",
    }
}

impl Stage {
    /// The catalog code, e.g. `D-4`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::D1 => "D-1",
            Self::D2 => "D-2",
            Self::D3 => "D-3",
            Self::D4 => "D-4",
            Self::D5 => "D-5",
            Self::D6 => "D-6",
            Self::D7 => "D-7",
        }
    }

    /// Whether the stage is a state of the main line (D-1, D-3, D-4, D-5, D-7) rather than the
    /// handling overlay (D-2) or the notification stream (D-6).
    #[must_use]
    pub fn is_main_line(self) -> bool {
        !matches!(self, Self::D2 | Self::D6)
    }
}

vocabulary! {
    /// Whether an incident is still being worked.
    Status {
        /// Being worked.
        Open = "OPEN",
        /// Closed with a resolution.
        Closed = "CLOSED",
    }
}

vocabulary! {
    /// Where an incident is on the main line, closing included.
    WorkflowState {
        /// Reported, not yet acknowledged.
        D1 = "D1",
        /// Classification.
        D3 = "D3",
        /// Containment.
        D4 = "D4",
        /// Recovery.
        D5 = "D5",
        /// Response report.
        D7 = "D7",
        /// Closed.
        Closed = "CLOSED",
    }
}

impl WorkflowState {
    /// The main-line stage, or `None` for closed.
    #[must_use]
    pub fn stage(self) -> Option<Stage> {
        match self {
            Self::D1 => Some(Stage::D1),
            Self::D3 => Some(Stage::D3),
            Self::D4 => Some(Stage::D4),
            Self::D5 => Some(Stage::D5),
            Self::D7 => Some(Stage::D7),
            Self::Closed => None,
        }
    }

    /// The state for a main-line stage; `None` for D-2 and D-6.
    #[must_use]
    pub fn of_stage(stage: Stage) -> Option<Self> {
        match stage {
            Stage::D1 => Some(Self::D1),
            Stage::D3 => Some(Self::D3),
            Stage::D4 => Some(Self::D4),
            Stage::D5 => Some(Self::D5),
            Stage::D7 => Some(Self::D7),
            Stage::D2 | Stage::D6 => None,
        }
    }
}

vocabulary! {
    /// Traffic Light Protocol 2.0 label.
    Tlp {
        /// TLP:CLEAR.
        Clear = "CLEAR",
        /// TLP:GREEN.
        Green = "GREEN",
        /// TLP:AMBER.
        Amber = "AMBER",
        /// TLP:AMBER+STRICT.
        AmberStrict = "AMBER_STRICT",
        /// TLP:RED.
        Red = "RED",
    }
}

impl Tlp {
    /// The label as TLP 2.0 writes it, e.g. `TLP:AMBER+STRICT`.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Clear => "TLP:CLEAR",
            Self::Green => "TLP:GREEN",
            Self::Amber => "TLP:AMBER",
            Self::AmberStrict => "TLP:AMBER+STRICT",
            Self::Red => "TLP:RED",
        }
    }
}

vocabulary! {
    /// What triage concluded the report is (VERIS-style).
    Determination {
        /// Not decided yet.
        Undetermined = "UNDETERMINED",
        /// Probably an incident; handled as one.
        Suspected = "SUSPECTED",
        /// An incident.
        Confirmed = "CONFIRMED",
        /// An attempt that did not succeed.
        NearMiss = "NEAR_MISS",
        /// A detection that was wrong.
        FalsePositive = "FALSE_POSITIVE",
        /// A real event, but harmless or authorised.
        Benign = "BENIGN",
    }
}

impl Determination {
    /// Whether this determination declares an incident (CONFIRMED or SUSPECTED).
    #[must_use]
    pub fn is_declared(self) -> bool {
        matches!(self, Self::Confirmed | Self::Suspected)
    }
}

vocabulary! {
    /// How much harm the incident does or can do.
    Severity {
        /// Low.
        Low = "LOW",
        /// Medium.
        Medium = "MEDIUM",
        /// High.
        High = "HIGH",
        /// Critical.
        Critical = "CRITICAL",
    }
}

vocabulary! {
    /// How soon the response must act.
    Urgency {
        /// Low.
        Low = "LOW",
        /// Medium.
        Medium = "MEDIUM",
        /// High.
        High = "HIGH",
    }
}

vocabulary! {
    /// Handling priority, P1 (first) to P4.
    Priority {
        /// Highest.
        P1 = "P1",
        /// High.
        P2 = "P2",
        /// Normal.
        P3 = "P3",
        /// Low.
        P4 = "P4",
    }
}

impl Priority {
    /// The priority matrix of severity × urgency (DOMAIN §3).
    #[must_use]
    pub fn from_matrix(severity: Severity, urgency: Urgency) -> Self {
        use Severity as S;
        use Urgency as U;
        match (severity, urgency) {
            (S::Critical, U::High | U::Medium) | (S::High, U::High) => Self::P1,
            (S::Critical, U::Low) | (S::High, U::Medium) | (S::Medium, U::High) => Self::P2,
            (S::High, U::Low) | (S::Medium, U::Medium) | (S::Low, U::High) => Self::P3,
            (S::Medium | S::Low, U::Low) | (S::Low, U::Medium) => Self::P4,
        }
    }
}

vocabulary! {
    /// Where the report came from.
    Source {
        /// The team's own monitoring (SIEM, EDR, IDS…).
        InternalMonitoring = "INTERNAL_MONITORING",
        /// A user or employee.
        UserReport = "USER_REPORT",
        /// Another CSIRT.
        ExternalCsirt = "EXTERNAL_CSIRT",
        /// A vendor or service provider.
        Vendor = "VENDOR",
        /// Law enforcement.
        LawEnforcement = "LAW_ENFORCEMENT",
        /// Threat intelligence.
        ThreatIntel = "THREAT_INTEL",
        /// Anything else.
        Other = "OTHER",
    }
}

vocabulary! {
    /// How an incident was closed.
    Resolution {
        /// Handled to the end, with a response report where declared.
        Resolved = "RESOLVED",
        /// Not an incident: the detection was wrong.
        FalsePositive = "FALSE_POSITIVE",
        /// Real activity, but harmless or authorised.
        Benign = "BENIGN",
        /// Already tracked as another incident.
        Duplicate = "DUPLICATE",
        /// Rejected at intake: not a security incident.
        NotAnIncident = "NOT_AN_INCIDENT",
        /// Rejected at intake: outside the team's constituency.
        OutOfScope = "OUT_OF_SCOPE",
    }
}

vocabulary! {
    /// What sort of work an action is.
    ActionKind {
        /// A note.
        Note = "NOTE",
        /// Analysis.
        Analysis = "ANALYSIS",
        /// Containment work.
        Containment = "CONTAINMENT",
        /// Recovery work.
        Recovery = "RECOVERY",
        /// Communication, notifications included.
        Communication = "COMMUNICATION",
        /// A decision taken.
        Decision = "DECISION",
        /// Evidence handling.
        Evidence = "EVIDENCE",
    }
}

vocabulary! {
    /// How an action turned out.
    Outcome {
        /// It worked.
        Succeeded = "SUCCEEDED",
        /// It did not work.
        Failed = "FAILED",
        /// It partly worked.
        Partial = "PARTIAL",
        /// Planned, not done yet.
        Planned = "PLANNED",
    }
}

vocabulary! {
    /// Who a D-6 notification went to.
    Audience {
        /// Other responders.
        Responders = "RESPONDERS",
        /// Management.
        Management = "MANAGEMENT",
        /// People or units affected.
        AffectedParties = "AFFECTED_PARTIES",
        /// Customers.
        Customers = "CUSTOMERS",
        /// A regulator.
        Regulator = "REGULATOR",
        /// Law enforcement.
        LawEnforcement = "LAW_ENFORCEMENT",
        /// The CSIRT community (e.g. a national CSIRT, ISAC).
        CsirtCommunity = "CSIRT_COMMUNITY",
        /// A vendor.
        Vendor = "VENDOR",
        /// The public.
        Public = "PUBLIC",
    }
}

vocabulary! {
    /// What a piece of evidence is.
    EvidenceKind {
        /// A file or sample.
        File = "FILE",
        /// A disk image.
        DiskImage = "DISK_IMAGE",
        /// A memory image.
        MemoryImage = "MEMORY_IMAGE",
        /// Logs.
        Log = "LOG",
        /// A network capture.
        NetworkCapture = "NETWORK_CAPTURE",
        /// A screenshot.
        Screenshot = "SCREENSHOT",
        /// An e-mail message.
        Email = "EMAIL",
        /// A document.
        Document = "DOCUMENT",
        /// Anything else.
        Other = "OTHER",
    }
}

vocabulary! {
    /// How far one D-service has got on an incident.
    ProgressState {
        /// Not begun.
        NotStarted = "NOT_STARTED",
        /// Under way.
        Active = "ACTIVE",
        /// Finished.
        Done = "DONE",
        /// Passed over: not needed for this incident.
        Skipped = "SKIPPED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_priority_matrix_matches_the_domain_table() {
        use Priority::*;
        let expected = [
            (Severity::Critical, [P1, P1, P2]),
            (Severity::High, [P1, P2, P3]),
            (Severity::Medium, [P2, P3, P4]),
            (Severity::Low, [P3, P4, P4]),
        ];
        for (severity, row) in expected {
            for (urgency, priority) in [Urgency::High, Urgency::Medium, Urgency::Low].into_iter().zip(row) {
                assert_eq!(Priority::from_matrix(severity, urgency), priority, "{severity} × {urgency}");
            }
        }
    }

    #[test]
    fn every_stored_form_parses_back() {
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.as_str()), Some(*s));
        }
        for t in Tlp::ALL {
            assert_eq!(Tlp::parse(t.as_str()), Some(*t));
        }
        for r in Resolution::ALL {
            assert_eq!(Resolution::parse(r.as_str()), Some(*r));
        }
        assert_eq!(Stage::parse("D-1"), None);
    }

    #[test]
    fn amber_strict_is_labelled_as_tlp_2_writes_it() {
        assert_eq!(Tlp::AmberStrict.label(), "TLP:AMBER+STRICT");
    }

    #[test]
    fn only_confirmed_and_suspected_are_declared() {
        let declared: Vec<_> = Determination::ALL.iter().filter(|d| d.is_declared()).collect();
        assert_eq!(declared, vec![&Determination::Suspected, &Determination::Confirmed]);
    }
}
