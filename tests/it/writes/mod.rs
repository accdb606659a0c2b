//! Writes under concurrency and what each costs.

pub mod gate;
pub mod races;
pub mod statements;
