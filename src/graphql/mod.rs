//! The GraphQL API at `/api/graphql`: the same application layer as the REST API under
//! another syntax. Every resolver calls the function its REST twin calls (so permissions,
//! validation messages and visibility are the same rules, not copies); each mutation
//! draws on its twin's rate limit; idempotency keys are the REST middleware's. Lists are
//! batched (the article views come whole from the cached reads, comment counts through a
//! [`DataLoader`](async_graphql::dataloader::DataLoader)), and depth and complexity are
//! bounded so that no single request can ask for the whole site.

pub mod answers;
mod caller;
mod errors;
pub mod live;
mod loaders;
mod mutation;
mod query;
mod subscription;
mod types;

use async_graphql::Schema;

pub use caller::Caller;
pub use errors::of as error_of;
pub use live::LiveCaps;
pub use loaders::CommentCounts;
pub use mutation::Mutation;
pub use query::Query;
pub use subscription::Subscription;

/// The schema type.
pub type ApiSchema = Schema<Query, Mutation, Subscription>;

/// Deepest selection accepted: deep enough for an article's comments' authors, or an
/// author's articles' authors, and not for walking the graph.
pub const MAX_DEPTH: usize = 8;

/// Most complex selection accepted: each field costs 1, and a list multiplies its items'
/// cost by its page size (20 articles with authors, tags and counts cost about 320).
pub const MAX_COMPLEXITY: usize = 1000;

/// The schema with its limits.
pub fn schema() -> ApiSchema {
    Schema::build(Query, Mutation, Subscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .finish()
}

/// The schema in SDL, as kept in `docs/schema.graphql`.
pub fn sdl() -> String {
    schema().sdl()
}

/// What the application state holds for the GraphQL API: the schema and the caps on
/// live connections, shared by every worker.
#[derive(Clone)]
pub struct Graphql {
    /// The executable schema.
    pub schema: ApiSchema,
    /// Live connections held, per account and per address.
    pub caps: LiveCaps,
}

impl Graphql {
    /// The schema, with the live pages' caps on connections.
    pub fn new(live: &crate::live::LiveConfig) -> Self {
        Self {
            schema: schema(),
            caps: LiveCaps::new(live.max_per_user as usize, live.max_per_address as usize),
        }
    }
}
