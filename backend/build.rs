//! `sqlx::migrate!` embeds backend/migrations at compile time; without this, adding a migration file
//! would not rebuild the crate and the binary would silently lack it (sqlx's documented build script).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
