//! The ISOG-J service catalog (ITU-T X.1060 Annex A): 9 categories, 64 services, with Japanese and
//! English titles, embedded in the crate, and the services suggested for each D-stage.

mod code;
mod suggestions;

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

pub use code::{CategoryCode, ServiceCode};
pub use suggestions::{StageSuggestions, suggestions_for};

/// The edition that ships with this build.
pub const EMBEDDED_VERSION: &str = "isog-j-2025";

const EMBEDDED_JSON: &str = include_str!("../../data/isog-j-2025.json");

/// One edition of the service catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    version: String,
    name: String,
    categories: Vec<Category>,
    index: HashMap<ServiceCode, (usize, usize)>,
}

/// A category of services (`A` … `I`).
#[derive(Debug, Clone)]
pub struct Category {
    /// The category letter.
    pub code: CategoryCode,
    /// Japanese title.
    pub title_ja: String,
    /// English title.
    pub title_en: String,
    /// Its services, in catalog order.
    pub services: Vec<CatalogService>,
}

/// One service of the catalog (`C-1` forensic analysis …).
#[derive(Debug, Clone)]
pub struct CatalogService {
    /// The stable code.
    pub code: ServiceCode,
    /// The category it belongs to.
    pub category: CategoryCode,
    /// Japanese title.
    pub title_ja: String,
    /// English title.
    pub title_en: String,
    /// One-line English summary.
    pub summary_en: String,
}

/// Why catalog data was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// The JSON does not have the catalog's shape.
    #[error("catalog data is malformed: {0}")]
    Malformed(String),
    /// A code is malformed, repeated or filed under the wrong category.
    #[error("catalog data is inconsistent: {0}")]
    Inconsistent(String),
}

#[derive(Deserialize)]
struct RawCatalog {
    catalog: String,
    version: String,
    categories: Vec<RawCategory>,
}

#[derive(Deserialize)]
struct RawCategory {
    code: String,
    title_ja: String,
    title_en: String,
    services: Vec<RawService>,
}

#[derive(Deserialize)]
struct RawService {
    code: String,
    title_ja: String,
    title_en: String,
    summary_en: String,
}

static EMBEDDED: LazyLock<Catalog> = LazyLock::new(|| match Catalog::from_json(EMBEDDED_JSON) {
    Ok(catalog) => catalog,
    // The embedded edition is checked by `the_embedded_catalog_has_64_services_in_9_categories`.
    Err(error) => panic!("embedded catalog is invalid: {error}"),
});

impl Catalog {
    /// The edition embedded in this build.
    #[must_use]
    pub fn embedded() -> &'static Self {
        &EMBEDDED
    }

    /// Parses and checks a catalog edition.
    ///
    /// # Errors
    /// [`CatalogError::Malformed`] when the JSON has the wrong shape, [`CatalogError::Inconsistent`]
    /// when a code is malformed, repeated or under the wrong category.
    pub fn from_json(json: &str) -> Result<Self, CatalogError> {
        let raw: RawCatalog = serde_json::from_str(json).map_err(|e| CatalogError::Malformed(e.to_string()))?;
        let mut categories = Vec::with_capacity(raw.categories.len());
        let mut index = HashMap::new();
        for (ci, rc) in raw.categories.into_iter().enumerate() {
            let code = CategoryCode::parse(&rc.code)
                .ok_or_else(|| CatalogError::Inconsistent(format!("bad category code {:?}", rc.code)))?;
            let mut services = Vec::with_capacity(rc.services.len());
            for (si, rs) in rc.services.into_iter().enumerate() {
                let service_code = ServiceCode::parse(&rs.code)
                    .map_err(|_| CatalogError::Inconsistent(format!("bad service code {:?}", rs.code)))?;
                if service_code.category() != code {
                    return Err(CatalogError::Inconsistent(format!("{service_code} filed under {code}")));
                }
                if index.insert(service_code.clone(), (ci, si)).is_some() {
                    return Err(CatalogError::Inconsistent(format!("{service_code} appears twice")));
                }
                services.push(CatalogService {
                    code: service_code,
                    category: code,
                    title_ja: rs.title_ja,
                    title_en: rs.title_en,
                    summary_en: rs.summary_en,
                });
            }
            categories.push(Category { code, title_ja: rc.title_ja, title_en: rc.title_en, services });
        }
        Ok(Self { version: raw.version, name: raw.catalog, categories, index })
    }

    /// The edition identifier, e.g. `isog-j-2025`.
    #[must_use]
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The edition's full name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The categories in catalog order.
    #[must_use]
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// Every service in catalog order.
    pub fn services(&self) -> impl Iterator<Item = &CatalogService> {
        self.categories.iter().flat_map(|c| c.services.iter())
    }

    /// How many services the edition has.
    #[must_use]
    pub fn service_count(&self) -> usize {
        self.index.len()
    }

    /// The service with this code, if the edition has it.
    #[must_use]
    pub fn service(&self, code: &ServiceCode) -> Option<&CatalogService> {
        let &(ci, si) = self.index.get(code)?;
        self.categories.get(ci)?.services.get(si)
    }

    /// Resolves codes given by a user, keeping their order and dropping repeats.
    ///
    /// # Errors
    /// The codes (as given) that are malformed or not in this edition, all of them.
    pub fn resolve<S: AsRef<str>>(&self, codes: &[S]) -> Result<Vec<ServiceCode>, Vec<String>> {
        let mut known = Vec::with_capacity(codes.len());
        let mut unknown = Vec::new();
        for raw in codes {
            let raw = raw.as_ref();
            match ServiceCode::parse(raw) {
                Ok(code) if self.index.contains_key(&code) => {
                    if !known.contains(&code) {
                        known.push(code);
                    }
                }
                _ => unknown.push(raw.to_owned()),
            }
        }
        if unknown.is_empty() { Ok(known) } else { Err(unknown) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_catalog_has_64_services_in_9_categories() {
        let catalog = Catalog::embedded();
        assert_eq!(catalog.version(), EMBEDDED_VERSION);
        assert_eq!(catalog.categories().len(), 9);
        assert_eq!(catalog.service_count(), 64);
        let per_category: Vec<usize> = catalog.categories().iter().map(|c| c.services.len()).collect();
        assert_eq!(per_category, vec![13, 4, 4, 7, 9, 5, 13, 2, 7]);
    }

    #[test]
    fn category_c_is_deep_analysis() {
        let c = &Catalog::embedded().categories()[2];
        assert_eq!(c.code.to_string(), "C");
        assert_eq!(c.title_ja, "深掘分析");
        assert_eq!(c.title_en, "Deep analysis");
    }

    #[test]
    fn every_service_has_both_titles_and_a_summary() {
        for s in Catalog::embedded().services() {
            assert!(!s.title_ja.is_empty() && !s.title_en.is_empty() && !s.summary_en.is_empty(), "{}", s.code);
        }
    }

    #[test]
    fn a_known_service_is_found_by_code() {
        let code = ServiceCode::parse("C-1").unwrap();
        let service = Catalog::embedded().service(&code).unwrap();
        assert_eq!(service.title_ja, "フォレンジック分析");
    }

    #[test]
    fn resolving_names_every_unknown_code() {
        let result = Catalog::embedded().resolve(&["C-1", "Z-9", "C-99", "nonsense"]);
        assert_eq!(result, Err(vec!["Z-9".to_owned(), "C-99".to_owned(), "nonsense".to_owned()]));
    }

    #[test]
    fn resolving_drops_repeats_and_keeps_order() {
        let result = Catalog::embedded().resolve(&["G-4", "c-1", "G-4"]).unwrap();
        let codes: Vec<String> = result.iter().map(ToString::to_string).collect();
        assert_eq!(codes, vec!["G-4", "C-1"]);
    }

    #[test]
    fn a_service_under_the_wrong_category_is_refused() {
        let json = r#"{"catalog":"x","version":"x","categories":[{"code":"A","title_ja":"a","title_en":"a",
            "services":[{"code":"B-1","title_ja":"b","title_en":"b","summary_en":"b"}]}]}"#;
        assert!(matches!(Catalog::from_json(json), Err(CatalogError::Inconsistent(_))));
    }

    #[test]
    fn a_repeated_service_is_refused() {
        let json = r#"{"catalog":"x","version":"x","categories":[{"code":"A","title_ja":"a","title_en":"a",
            "services":[{"code":"A-1","title_ja":"b","title_en":"b","summary_en":"b"},
                        {"code":"A-1","title_ja":"b","title_en":"b","summary_en":"b"}]}]}"#;
        assert!(matches!(Catalog::from_json(json), Err(CatalogError::Inconsistent(_))));
    }
}
