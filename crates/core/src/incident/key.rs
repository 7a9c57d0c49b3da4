//! Human incident keys such as `INC-2026-000123`, unique within a team.

use std::fmt;

use crate::error::FieldError;

/// A human-readable incident key: `INC-`, the year it was opened, and a number within the team and
/// year (at least six digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IncidentKey(String);

impl IncidentKey {
    /// The key of the `sequence`-th incident a team opened in `year`.
    #[must_use]
    pub fn new(year: i32, sequence: u64) -> Self {
        Self(format!("INC-{year:04}-{sequence:06}"))
    }

    /// Parses a key typed by a user (case-insensitive prefix, surrounding spaces ignored).
    ///
    /// # Errors
    /// A [`FieldError`] on `key` when the text is not `INC-YYYY-NNNNNN`.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::new("key", format!("{value:?} is not an incident key like INC-2026-000123"));
        let upper = value.trim().to_ascii_uppercase();
        let rest = upper.strip_prefix("INC-").ok_or_else(bad)?;
        let (year, number) = rest.split_once('-').ok_or_else(bad)?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if year.len() != 4 || !digits(year) || number.len() < 6 || number.len() > 12 || !digits(number) {
            return Err(bad());
        }
        Ok(Self(upper))
    }

    /// The key text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Rebuilds a key read back from storage.
    #[must_use]
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Display for IncidentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_pads_its_number_to_six_digits() {
        assert_eq!(IncidentKey::new(2026, 123).as_str(), "INC-2026-000123");
    }

    #[test]
    fn a_typed_key_is_normalised() {
        assert_eq!(IncidentKey::parse(" inc-2026-000123 ").map(|k| k.0), Ok("INC-2026-000123".to_owned()));
    }

    #[test]
    fn malformed_keys_are_rejected() {
        for bad in ["", "INC-2026", "INC-26-000001", "INC-2026-12", "CASE-2026-000001", "INC-2026-00000a"] {
            assert!(IncidentKey::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
