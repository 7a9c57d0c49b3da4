//! Catalog codes: category letters `A`..`I` and service codes `A-1`..`I-7`.

use std::fmt;

/// A category letter, `A` through `I`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CategoryCode(char);

impl CategoryCode {
    /// Parses a category letter (case-insensitive).
    #[must_use]
    pub fn parse(value: &str) -> Option<Self> {
        let mut chars = value.trim().chars();
        let letter = chars.next()?.to_ascii_uppercase();
        (chars.next().is_none() && ('A'..='I').contains(&letter)).then_some(Self(letter))
    }

    /// The letter.
    #[must_use]
    pub fn letter(self) -> char {
        self.0
    }
}

impl fmt::Display for CategoryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A service code such as `C-1`: a category letter, a hyphen and a number from 1 to 99.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceCode {
    category: CategoryCode,
    number: u8,
}

/// A string that is not a well-formed service code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a service code like \"C-1\"")]
pub struct MalformedServiceCode(pub String);

impl ServiceCode {
    /// Parses `C-1` (letters are case-insensitive, surrounding spaces ignored).
    ///
    /// # Errors
    /// [`MalformedServiceCode`] when the text is not a letter `A`..`I`, a hyphen and 1..99.
    pub fn parse(value: &str) -> Result<Self, MalformedServiceCode> {
        let malformed = || MalformedServiceCode(value.to_owned());
        let (letter, number) = value.trim().split_once('-').ok_or_else(malformed)?;
        let category = CategoryCode::parse(letter).ok_or_else(malformed)?;
        if number.is_empty()
            || number.len() > 2
            || !number.bytes().all(|b| b.is_ascii_digit())
            || number.starts_with('0')
        {
            return Err(malformed());
        }
        let number: u8 = number.parse().map_err(|_| malformed())?;
        Ok(Self { category, number })
    }

    /// The category the service belongs to.
    #[must_use]
    pub fn category(&self) -> CategoryCode {
        self.category
    }

    /// The number within the category.
    #[must_use]
    pub fn number(&self) -> u8 {
        self.number
    }
}

impl fmt::Display for ServiceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.category, self.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_code_round_trips() {
        assert_eq!(ServiceCode::parse("G-13").map(|c| c.to_string()), Ok("G-13".to_owned()));
    }

    #[test]
    fn a_lowercase_service_code_is_normalised() {
        assert_eq!(ServiceCode::parse(" c-4 ").map(|c| c.to_string()), Ok("C-4".to_owned()));
    }

    #[test]
    fn malformed_service_codes_are_rejected() {
        for bad in ["", "C", "C-", "C-0", "C-01", "C-100", "J-1", "CC-1", "C-1a", "C--1", "-1"] {
            assert!(ServiceCode::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn service_codes_order_by_category_then_number() {
        let mut codes: Vec<ServiceCode> =
            ["C-10", "A-2", "C-2", "A-13"].iter().map(|c| ServiceCode::parse(c).unwrap()).collect();
        codes.sort();
        let shown: Vec<String> = codes.iter().map(ToString::to_string).collect();
        assert_eq!(shown, vec!["A-2", "A-13", "C-2", "C-10"]);
    }
}
