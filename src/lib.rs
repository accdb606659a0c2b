//! Conduit: a self-hosted publishing community for developers.

pub mod admin_cli;
pub mod app;
pub mod assets;
pub mod auth;
pub mod cache;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod jobs;
pub mod live;
pub mod logging;
pub mod middleware;
pub mod routes;
pub mod seed;
pub mod startup;
pub mod state;
pub mod telemetry;
