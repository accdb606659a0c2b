//! Rebuilds when a migration is added: `embed_migrations!` reads the migration
//! directories at compile time, and cargo would not notice a new one by itself.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
