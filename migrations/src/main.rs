//! Stand-alone migration command (`taio-migrations up`, `status`, `down` …), reading
//! `DATABASE_URL`. `taio migrate` does the same from the main binary.

#[tokio::main]
async fn main() {
    sea_orm_migration::cli::run_cli(taio_migrations::Migrator).await;
}
