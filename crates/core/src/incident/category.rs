//! Incident categories from the ENISA Reference Security Incident Taxonomy (RSIT): `class/type`.

use std::fmt;

use crate::error::FieldError;

/// The RSIT classes and their types.
pub const RSIT: &[(&str, &[&str])] = &[
    ("abusive-content", &["spam", "harmful-speech", "violence"]),
    ("malicious-code", &["infected-system", "c2-server", "malware-distribution", "malware-configuration"]),
    ("information-gathering", &["scanner", "sniffing", "social-engineering"]),
    ("intrusion-attempts", &["ids-alert", "brute-force", "exploit"]),
    (
        "intrusions",
        &[
            "privileged-account-compromise",
            "unprivileged-account-compromise",
            "application-compromise",
            "system-compromise",
            "burglary",
        ],
    ),
    ("availability", &["dos", "ddos", "misconfiguration", "sabotage", "outage"]),
    (
        "information-content-security",
        &["unauthorised-information-access", "unauthorised-information-modification", "data-loss", "data-leak"],
    ),
    ("fraud", &["unauthorised-use-of-resources", "copyright", "masquerade", "phishing"]),
    (
        "vulnerable",
        &[
            "weak-crypto",
            "ddos-amplifier",
            "potentially-unwanted-accessible",
            "information-disclosure",
            "vulnerable-system",
        ],
    ),
    ("other", &["other", "undetermined"]),
    ("test", &["test"]),
];

/// An RSIT `class/type`, e.g. `intrusions/system-compromise`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IncidentCategory(String);

impl IncidentCategory {
    /// Parses `class/type` against the RSIT list (case-insensitive).
    ///
    /// # Errors
    /// A [`FieldError`] on `category` naming the valid classes or the valid types of the class.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        let lower = value.trim().to_ascii_lowercase();
        let (class, kind) = lower.split_once('/').unwrap_or((lower.as_str(), ""));
        let Some((_, kinds)) = RSIT.iter().find(|(c, _)| *c == class) else {
            let classes: Vec<&str> = RSIT.iter().map(|(c, _)| *c).collect();
            return Err(FieldError::new(
                "category",
                format!("{value:?} is not an RSIT class/type; classes are {}", classes.join(", ")),
            ));
        };
        if !kinds.contains(&kind) {
            return Err(FieldError::new(
                "category",
                format!("{value:?} is not an RSIT type of {class}; types are {}", kinds.join(", ")),
            ));
        }
        Ok(Self(lower))
    }

    /// The `class/type` text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Rebuilds a category read back from storage.
    #[must_use]
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Display for IncidentCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_class_and_type_is_accepted() {
        assert_eq!(
            IncidentCategory::parse("Intrusions/System-Compromise").map(|c| c.0),
            Ok("intrusions/system-compromise".to_owned())
        );
    }

    #[test]
    fn an_unknown_type_names_the_types_of_its_class() {
        let error = IncidentCategory::parse("fraud/bank-robbery").unwrap_err();
        assert!(error.message.contains("phishing"), "{}", error.message);
    }

    #[test]
    fn a_class_without_a_type_is_rejected() {
        assert!(IncidentCategory::parse("intrusions").is_err());
    }
}
