//! Validated free text: one-line texts with a length limit, and markdown bodies.

use crate::error::FieldError;

/// A trimmed, non-empty, single-line text of bounded length (titles, summaries, names, reasons).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Text(String);

impl Text {
    /// Trims `value` and checks it is non-empty, at most `max` characters and free of control
    /// characters.
    ///
    /// # Errors
    /// A [`FieldError`] naming `field` when the text is empty, too long or has control characters.
    pub fn parse(field: &'static str, value: &str, max: usize) -> Result<Self, FieldError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new(field, "must not be empty"));
        }
        if trimmed.chars().count() > max {
            return Err(FieldError::new(field, format!("must be at most {max} characters")));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(FieldError::new(field, "must be a single line without control characters"));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The text as stored.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Rebuilds a text read back from storage, where it was validated on the way in.
    #[must_use]
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }
}

/// A markdown body (descriptions, action details). Line breaks are allowed; NUL is not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Markdown(String);

impl Markdown {
    /// The longest body accepted, in characters.
    pub const MAX_CHARS: usize = 100_000;

    /// Accepts a markdown body; an empty or blank body is no body at all.
    ///
    /// # Errors
    /// A [`FieldError`] naming `field` when the body is longer than [`Self::MAX_CHARS`] or has a
    /// NUL character.
    pub fn parse_optional(field: &'static str, value: Option<&str>) -> Result<Option<Self>, FieldError> {
        let Some(value) = value else { return Ok(None) };
        if value.trim().is_empty() {
            return Ok(None);
        }
        if value.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(field, format!("must be at most {} characters", Self::MAX_CHARS)));
        }
        if value.contains('\0') {
            return Err(FieldError::new(field, "must not contain NUL characters"));
        }
        Ok(Some(Self(value.to_owned())))
    }

    /// The body as stored.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Rebuilds a body read back from storage.
    #[must_use]
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_trimmed() {
        assert_eq!(Text::parse("title", "  Phishing wave  ", 20).map(|t| t.0), Ok("Phishing wave".to_owned()));
    }

    #[test]
    fn a_blank_text_is_rejected() {
        assert_eq!(Text::parse("title", "   ", 10).map_err(|e| e.field), Err("title"));
    }

    #[test]
    fn a_text_longer_than_its_limit_is_rejected() {
        assert!(Text::parse("title", "abcdef", 5).is_err());
        assert!(Text::parse("title", "abcde", 5).is_ok());
    }

    #[test]
    fn a_text_with_a_line_break_is_rejected() {
        assert!(Text::parse("title", "two\nlines", 50).is_err());
    }

    #[test]
    fn a_blank_markdown_body_is_no_body() {
        assert_eq!(Markdown::parse_optional("description", Some("  \n")), Ok(None));
    }

    #[test]
    fn a_markdown_body_with_nul_is_rejected() {
        assert!(Markdown::parse_optional("description", Some("a\0b")).is_err());
    }
}
