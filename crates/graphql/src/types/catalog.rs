//! The service catalog as the API shows it.

use async_graphql::{Object, SimpleObject};
use taio_core::catalog::{self as core_catalog, ServiceCode, suggestions_for};
use taio_core::incident::RSIT;

use super::enums::Stage;

/// One edition of the ISOG-J service catalog (ITU-T X.1060 Annex A).
pub struct Catalog(pub(crate) &'static core_catalog::Catalog);

/// One edition of the ISOG-J service catalog (ITU-T X.1060 Annex A).
#[Object]
impl Catalog {
    /// The edition, e.g. `isog-j-2025`.
    async fn version(&self) -> &str {
        self.0.version()
    }

    /// The edition's full name.
    async fn name(&self) -> &str {
        self.0.name()
    }

    /// The nine categories, A to I, with their services.
    async fn categories(&self) -> Vec<CatalogCategory> {
        self.0.categories().iter().map(CatalogCategory).collect()
    }

    /// All 64 services in catalog order.
    async fn services(&self) -> Vec<CatalogService> {
        self.0.services().map(CatalogService).collect()
    }

    /// The service with this code (`"C-1"`), or null.
    async fn service(&self, code: String) -> Option<CatalogService> {
        let code = ServiceCode::parse(&code).ok()?;
        self.0.service(&code).map(CatalogService)
    }

    /// The seven D-stages with their codes, titles and suggested services.
    async fn stages(&self) -> Vec<StageInfo> {
        taio_core::incident::Stage::ALL.iter().map(|s| StageInfo { stage: *s, catalog: self.0 }).collect()
    }

    /// One D-stage's code, titles and suggested services.
    async fn stage(&self, stage: Stage) -> StageInfo {
        StageInfo { stage: stage.into(), catalog: self.0 }
    }

    /// The incident categories accepted by `classifyIncident` (ENISA RSIT classes and types).
    async fn incident_categories(&self) -> Vec<IncidentCategoryClass> {
        RSIT.iter()
            .map(|(class, types)| IncidentCategoryClass {
                class: (*class).to_owned(),
                categories: types.iter().map(|t| format!("{class}/{t}")).collect(),
            })
            .collect()
    }
}

/// A category of catalog services.
pub struct CatalogCategory(pub(crate) &'static core_catalog::Category);

/// A category of catalog services.
#[Object]
impl CatalogCategory {
    /// The letter, `A` to `I`.
    async fn code(&self) -> String {
        self.0.code.to_string()
    }

    /// Japanese title.
    async fn title_ja(&self) -> &str {
        &self.0.title_ja
    }

    /// English title.
    async fn title_en(&self) -> &str {
        &self.0.title_en
    }

    /// Its services, in catalog order.
    async fn services(&self) -> Vec<CatalogService> {
        self.0.services.iter().map(CatalogService).collect()
    }
}

/// One service of the catalog, e.g. C-1 forensic analysis.
pub struct CatalogService(pub(crate) &'static core_catalog::CatalogService);

/// One service of the catalog, e.g. C-1 forensic analysis.
#[Object]
impl CatalogService {
    /// The stable code, e.g. `C-1`.
    async fn code(&self) -> String {
        self.0.code.to_string()
    }

    /// Japanese title.
    async fn title_ja(&self) -> &str {
        &self.0.title_ja
    }

    /// English title.
    async fn title_en(&self) -> &str {
        &self.0.title_en
    }

    /// One-line English summary.
    async fn summary_en(&self) -> &str {
        &self.0.summary_en
    }

    /// The category letter, e.g. `C`.
    async fn category(&self) -> String {
        self.0.category.to_string()
    }
}

/// A D-stage as the catalog describes it.
pub struct StageInfo {
    stage: taio_core::incident::Stage,
    catalog: &'static core_catalog::Catalog,
}

impl StageInfo {
    fn service(&self) -> Option<&'static core_catalog::CatalogService> {
        ServiceCode::parse(self.stage.code()).ok().and_then(|code| self.catalog.service(&code))
    }

    fn resolve(&self, codes: &[&str]) -> Vec<CatalogService> {
        codes
            .iter()
            .filter_map(|c| ServiceCode::parse(c).ok())
            .filter_map(|c| self.catalog.service(&c))
            .map(CatalogService)
            .collect()
    }
}

/// A D-stage as the catalog describes it.
#[Object]
impl StageInfo {
    /// The enum value.
    async fn stage(&self) -> Stage {
        self.stage.into()
    }

    /// The catalog code, e.g. `D-4`.
    async fn code(&self) -> &str {
        self.stage.code()
    }

    /// Japanese title.
    async fn title_ja(&self) -> &str {
        self.service().map_or("", |s| s.title_ja.as_str())
    }

    /// English title.
    async fn title_en(&self) -> &str {
        self.service().map_or("", |s| s.title_en.as_str())
    }

    /// Whether the stage is a state of the main line (D-1, D-3, D-4, D-5, D-7) rather than the
    /// handling overlay (D-2) or the notification stream (D-6).
    async fn main_line(&self) -> bool {
        self.stage.is_main_line()
    }

    /// Services to offer first when recording an action in this stage.
    async fn suggested_services(&self) -> Vec<CatalogService> {
        self.resolve(suggestions_for(self.stage).suggested)
    }

    /// Services also commonly exercised in this stage.
    async fn common_services(&self) -> Vec<CatalogService> {
        self.resolve(suggestions_for(self.stage).also_common)
    }
}

/// An RSIT class with its `class/type` categories.
#[derive(SimpleObject)]
pub struct IncidentCategoryClass {
    /// The class, e.g. `intrusions`.
    pub class: String,
    /// Its categories as `class/type`, e.g. `intrusions/system-compromise`.
    pub categories: Vec<String>,
}
