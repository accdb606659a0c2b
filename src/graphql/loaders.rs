//! Batched reads for fields of list items: one statement for a whole page of articles,
//! whatever its length.

use std::collections::HashMap;

use crate::domain::comments;
use crate::state::AppState;

/// How many comments the viewer may see on each article (hidden ones count only for
/// those who see them: staff and their writers).
pub struct CommentCounts {
    /// The application.
    pub state: actix_web::web::Data<AppState>,
    /// The viewer.
    pub viewer: Option<i32>,
}

impl async_graphql::dataloader::Loader<i32> for CommentCounts {
    type Value = i64;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, i64>, Self::Error> {
        let ids = keys.to_vec();
        let viewer = self.viewer;
        self.state
            .db
            .run(move |conn| comments::visible_counts(conn, viewer, &ids))
            .await
            .map_err(super::errors::of)
    }
}
