//! Seeds the ISOG-J 2025 catalog edition, so that action services have rows to reference.
//! The data is the edition as published; a later edition arrives in a migration of its own.

use sea_orm_migration::prelude::*;
use serde::Deserialize;

use crate::m20261126_000001_create_core_tables::{CatalogCategories, CatalogEditions, CatalogServices};

const EDITION: &str = include_str!("../../crates/core/data/isog-j-2025.json");

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Deserialize)]
struct Edition {
    catalog: String,
    version: String,
    categories: Vec<Category>,
}

#[derive(Deserialize)]
struct Category {
    code: String,
    title_ja: String,
    title_en: String,
    services: Vec<Service>,
}

#[derive(Deserialize)]
struct Service {
    code: String,
    title_ja: String,
    title_en: String,
    summary_en: String,
}

fn edition() -> Result<Edition, DbErr> {
    serde_json::from_str(EDITION).map_err(|e| DbErr::Custom(format!("catalog seed is malformed: {e}")))
}

fn custom(error: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(error.to_string())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let edition = edition()?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(CatalogEditions::Table)
                    .columns([CatalogEditions::Version, CatalogEditions::Name])
                    .values([edition.version.clone().into(), edition.catalog.clone().into()])
                    .map_err(custom)?
                    .to_owned(),
            )
            .await?;
        let mut categories = Query::insert()
            .into_table(CatalogCategories::Table)
            .columns([
                CatalogCategories::CatalogVersion,
                CatalogCategories::Code,
                CatalogCategories::TitleJa,
                CatalogCategories::TitleEn,
                CatalogCategories::Position,
            ])
            .to_owned();
        let mut services = Query::insert()
            .into_table(CatalogServices::Table)
            .columns([
                CatalogServices::CatalogVersion,
                CatalogServices::Code,
                CatalogServices::CategoryCode,
                CatalogServices::TitleJa,
                CatalogServices::TitleEn,
                CatalogServices::SummaryEn,
                CatalogServices::Position,
            ])
            .to_owned();
        let mut position = 0_i32;
        for (index, category) in edition.categories.iter().enumerate() {
            let index = <i32 as std::convert::TryFrom<usize>>::try_from(index).map_err(custom)?;
            categories
                .values([
                    edition.version.clone().into(),
                    category.code.clone().into(),
                    category.title_ja.clone().into(),
                    category.title_en.clone().into(),
                    index.into(),
                ])
                .map_err(custom)?;
            for service in &category.services {
                position += 1;
                services
                    .values([
                        edition.version.clone().into(),
                        service.code.clone().into(),
                        category.code.clone().into(),
                        service.title_ja.clone().into(),
                        service.title_en.clone().into(),
                        service.summary_en.clone().into(),
                        position.into(),
                    ])
                    .map_err(custom)?;
            }
        }
        manager.exec_stmt(categories).await?;
        manager.exec_stmt(services).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let version = edition()?.version;
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(CatalogServices::Table)
                    .and_where(Expr::col(CatalogServices::CatalogVersion).eq(version.clone()))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(CatalogCategories::Table)
                    .and_where(Expr::col(CatalogCategories::CatalogVersion).eq(version.clone()))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(CatalogEditions::Table)
                    .and_where(Expr::col(CatalogEditions::Version).eq(version))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
