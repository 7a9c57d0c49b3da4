//! Actions: the unit of work. Someone did something, at some time, as part of a D-stage,
//! exercising catalog services, with evidence. Append-only; corrections supersede.

use chrono::{DateTime, Utc};

use super::enums::{ActionKind, Audience, EvidenceKind, Outcome, Stage};
use crate::catalog::ServiceCode;
use crate::error::FieldError;
use crate::id::{ActionId, IncidentId, PersonId};
use crate::text::{Markdown, Text};

/// A recorded action.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// Identity.
    pub id: ActionId,
    /// The incident it belongs to.
    pub incident_id: IncidentId,
    /// The D-service it performs.
    pub stage: Stage,
    /// What sort of work.
    pub kind: ActionKind,
    /// One-line summary.
    pub summary: Text,
    /// Markdown details.
    pub details: Option<Markdown>,
    /// Catalog services exercised, at least one.
    pub services: Vec<ServiceCode>,
    /// The catalog edition the service codes belong to.
    pub catalog_version: String,
    /// Who did it.
    pub performed_by: PersonId,
    /// When it was done (may be back-dated).
    pub performed_at: DateTime<Utc>,
    /// Who recorded it.
    pub recorded_by: PersonId,
    /// Server time of recording.
    pub recorded_at: DateTime<Utc>,
    /// How it went.
    pub outcome: Option<Outcome>,
    /// Effort spent.
    pub effort_minutes: Option<i32>,
    /// For D-6 notifications: to whom.
    pub notification: Option<Notification>,
    /// Evidence references.
    pub evidence: Vec<Evidence>,
    /// The earlier action this one corrects.
    pub supersedes: Option<ActionId>,
}

/// The addressee of a D-6 notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Which audience.
    pub audience: Audience,
    /// The recipient (organisation, person or channel).
    pub recipient: Text,
}

/// A reference to a piece of evidence and its custody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// What it is.
    pub kind: EvidenceKind,
    /// Where it is kept.
    pub uri: Text,
    /// Its SHA-256, lowercase hex.
    pub sha256: Option<Sha256Hex>,
    /// When it was collected.
    pub collected_at: Option<DateTime<Utc>>,
    /// Chain-of-custody note.
    pub custody_note: Option<Text>,
}

/// A SHA-256 digest written as 64 hexadecimal digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sha256Hex(String);

impl Sha256Hex {
    /// Parses 64 hex digits (either case; stored lowercase).
    ///
    /// # Errors
    /// A [`FieldError`] on `evidence.sha256` otherwise.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        let value = value.trim();
        if value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(value.to_ascii_lowercase()))
        } else {
            Err(FieldError::new("evidence.sha256", "must be 64 hexadecimal digits"))
        }
    }

    /// The digest text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Longest effort accepted for one action: four weeks of minutes.
pub const MAX_EFFORT_MINUTES: i32 = 40_320;

/// Whether an action is a response report, which D-7 → closed needs for a declared incident.
#[must_use]
pub fn is_response_report(stage: Stage, outcome: Option<Outcome>) -> bool {
    stage == Stage::D7 && !matches!(outcome, Some(Outcome::Planned | Outcome::Failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sha256_is_stored_lowercase() {
        let digest = "AB".repeat(32);
        assert_eq!(Sha256Hex::parse(&digest).map(|d| d.0), Ok("ab".repeat(32)));
    }

    #[test]
    fn a_short_digest_is_rejected() {
        assert!(Sha256Hex::parse("abc").is_err());
    }

    #[test]
    fn a_planned_d7_action_is_not_a_report() {
        assert!(is_response_report(Stage::D7, None));
        assert!(is_response_report(Stage::D7, Some(Outcome::Succeeded)));
        assert!(!is_response_report(Stage::D7, Some(Outcome::Planned)));
        assert!(!is_response_report(Stage::D4, Some(Outcome::Succeeded)));
    }
}
