//! Writes under concurrency and what each costs.

pub mod batches;
pub mod commits;
pub mod gate;
pub mod races;
pub mod statements;
