//! Writes under concurrency and what each costs.

pub mod races;
pub mod statements;
