//! Which catalog services each D-stage usually exercises, offered first when recording an action.

use crate::incident::Stage;

/// The suggestions for one stage, as catalog codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageSuggestions {
    /// Offered first.
    pub suggested: &'static [&'static str],
    /// Also common.
    pub also_common: &'static [&'static str],
}

/// The services suggested for `stage` (DOMAIN §4).
#[must_use]
pub fn suggestions_for(stage: Stage) -> StageSuggestions {
    let (suggested, also_common): (&[&str], &[&str]) = match stage {
        Stage::D1 => (&["B-1", "B-3", "B-4", "G-11"], &["B-2", "G-9", "F-3", "I-4", "I-5", "H-1"]),
        Stage::D2 => (&["A-9", "A-10", "A-7", "G-11"], &["A-11", "A-1", "I-7"]),
        Stage::D3 => (&["A-9", "A-6", "B-2", "E-2", "F-2"], &["B-1", "E-1", "F-3", "C-2", "C-3", "G-9", "G-10", "H-1"]),
        Stage::D4 => (
            &["A-10", "G-2", "G-4", "C-1", "C-4"],
            &["G-3", "G-5", "G-6", "G-7", "C-2", "C-3", "G-8", "B-2", "H-1", "A-5"],
        ),
        Stage::D5 => (&["E-4", "E-9", "A-5"], &["E-3", "E-8", "G-1", "G-2", "G-4", "G-6", "B-1", "A-6"]),
        Stage::D6 => (&["B-3", "I-7", "I-5"], &["I-4", "I-1", "F-5", "A-1", "H-1"]),
        Stage::D7 => {
            (&["F-1", "I-6", "I-7"], &["F-2", "F-4", "A-11", "A-4", "A-12", "C-3", "C-4", "H-2", "E-7", "I-1", "I-2"])
        }
    };
    StageSuggestions { suggested, also_common }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    #[test]
    fn every_suggested_service_is_in_the_embedded_catalog() {
        let catalog = Catalog::embedded();
        for &stage in Stage::ALL {
            let s = suggestions_for(stage);
            for code in s.suggested.iter().chain(s.also_common) {
                assert!(catalog.resolve(&[code]).is_ok(), "{code} suggested for {stage:?} is not in the catalog");
            }
        }
    }
}
