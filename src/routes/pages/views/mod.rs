//! View models: plain structs built from domain results before rendering, so that a
//! template only formats what it is given and never queries.

mod cards;
mod chrome;
mod forms;
mod pagination;
mod slots;

pub use cards::{ArticleCard, AuthorView, CommentCard, avatar, date};
pub use chrome::{Chrome, FeedLink, NavUser, PageMeta};
pub use forms::{FormErrors, form_errors, too_many_attempts};
pub use pagination::{HiddenField, PAGE_SIZE, PageLink, Pagination, page_number, page_request};
pub use slots::{ArticleActions, CommentForm, CommentOptions, Slot, url_part};
