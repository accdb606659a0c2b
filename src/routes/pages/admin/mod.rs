//! The admin area under `/admin`, for staff only. Its routes are declared once in
//! [`ROUTES`] with the least role each needs (tests enumerate it); handlers take the
//! matching guard ([`StaffUser`] or [`AdminUser`] from the session module), and the
//! domain checks the role again. The side navigation is [`NAV`]: one more entry is one
//! more line there.

mod audit;
mod chart;
mod content;
mod dashboard;
mod images;
mod jobs;
mod reports;
mod security;
mod tags;
mod users;

use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;

use super::PageResult;
use super::ok;
use super::views::Chrome;
use crate::domain::audit::Actor;
use crate::domain::roles::Role;
use crate::domain::users::User;
use crate::state::AppState;

pub use super::confirm::{Confirm, confirmed};
pub use super::session::{AdminUser, StaffUser};

/// One route of the admin area.
#[derive(Debug, Clone, Copy)]
pub struct AdminRoute {
    /// `get` or `post`.
    pub method: &'static str,
    /// Path under `/admin` (`""` is the dashboard), with `{placeholders}`.
    pub path: &'static str,
    /// The least role allowed.
    pub role: Role,
}

/// Declares the route table and registers it, so the two cannot drift apart.
macro_rules! admin_routes {
    ($($method:ident $path:literal => $handler:path, $role:ident;)*) => {
        /// Every admin route with the least role it needs.
        pub const ROUTES: &[AdminRoute] = &[
            $(AdminRoute { method: stringify!($method), path: $path, role: Role::$role },)*
        ];

        fn register(scope: actix_web::Scope) -> actix_web::Scope {
            scope $(.route($path, web::$method().to($handler)))*
        }
    };
}

admin_routes! {
    get "" => dashboard::show, Moderator;
    get "/users" => users::list, Moderator;
    get "/users/{username}" => users::show, Moderator;
    post "/users/{username}/suspend" => users::suspend, Moderator;
    post "/users/{username}/unsuspend" => users::unsuspend, Moderator;
    post "/users/{username}/reset-password" => users::reset_password, Moderator;
    post "/users/{username}/role" => users::change_role, Admin;
    get "/articles" => content::articles, Moderator;
    post "/articles/{slug}/{action}" => content::article_action, Moderator;
    get "/comments" => content::comments, Moderator;
    post "/comments/{id}/{action}" => content::comment_action, Moderator;
    get "/tags" => tags::list, Moderator;
    post "/tags/rename" => tags::rename, Moderator;
    post "/tags/merge" => tags::merge, Moderator;
    get "/images" => images::list, Moderator;
    post "/images/{id}/remove" => images::remove, Moderator;
    get "/reports" => reports::queue, Moderator;
    post "/reports/{id}/resolve" => reports::resolve, Moderator;
    get "/audit" => audit::list, Admin;
    get "/jobs" => jobs::show, Admin;
    post "/jobs/{id}/retry" => jobs::retry, Admin;
    post "/jobs/{id}/discard" => jobs::discard, Admin;
    get "/security" => security::show, Admin;
    post "/security" => security::save, Admin;
}

/// The admin area's route table, mounted by the site's.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(register(web::scope("/admin")));
}

/// An entry of the admin side navigation.
pub struct NavEntry {
    /// Where it goes.
    pub href: &'static str,
    /// What it says.
    pub label: &'static str,
    /// The least role that sees it.
    pub role: Role,
}

/// The admin navigation, in order. Append an entry for a new admin page.
pub const NAV: &[NavEntry] = &[
    NavEntry {
        href: "/admin",
        label: "Dashboard",
        role: Role::Moderator,
    },
    NavEntry {
        href: "/admin/reports",
        label: "Reports",
        role: Role::Moderator,
    },
    NavEntry {
        href: "/admin/users",
        label: "Users",
        role: Role::Moderator,
    },
    NavEntry {
        href: "/admin/articles",
        label: "Articles",
        role: Role::Moderator,
    },
    NavEntry {
        href: "/admin/comments",
        label: "Comments",
        role: Role::Moderator,
    },
    NavEntry {
        href: "/admin/tags",
        label: "Tags",
        role: Role::Moderator,
    },
    NavEntry {
        href: "/admin/images",
        label: "Images",
        role: Role::Moderator,
    },
    NavEntry {
        href: "/admin/audit",
        label: "Audit log",
        role: Role::Admin,
    },
    NavEntry {
        href: "/admin/jobs",
        label: "Jobs",
        role: Role::Admin,
    },
    NavEntry {
        href: "/admin/security",
        label: "Security",
        role: Role::Admin,
    },
];

/// A navigation link as shown to one viewer.
pub struct NavLink {
    /// Where it goes.
    pub href: &'static str,
    /// What it says.
    pub label: &'static str,
    /// Whether it is the current page.
    pub active: bool,
}

/// What every admin page shows besides its own content.
pub struct AdminFrame {
    /// The links this viewer's role may follow.
    pub nav: Vec<NavLink>,
    /// Whether the viewer is an admin (admin-only controls).
    pub is_admin: bool,
}

impl AdminFrame {
    /// The frame for `viewer` on the page whose nav entry is `current`.
    pub fn new(viewer: &User, current: &str) -> Self {
        let role = viewer.role();
        Self {
            nav: NAV
                .iter()
                .filter(|entry| role >= entry.role)
                .map(|entry| NavLink {
                    href: entry.href,
                    label: entry.label,
                    active: entry.href == current,
                })
                .collect(),
            is_admin: role == Role::Admin,
        }
    }
}

/// The chrome and frame of an admin page.
pub fn frame(
    state: &AppState,
    req: &HttpRequest,
    viewer: &User,
    title: &str,
    current: &str,
) -> Result<(Chrome, AdminFrame), super::PageError> {
    Ok((
        Chrome::new(state, req, Some(viewer), title, "admin")?,
        AdminFrame::new(viewer, current),
    ))
}

/// The staff member acting through this request, for the domain and the audit log.
pub fn actor(state: &AppState, req: &HttpRequest, user: &User) -> Actor {
    Actor::user(user, state.client_ip(req))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/confirm.html")]
struct ConfirmPage<'a> {
    chrome: Chrome,
    admin: AdminFrame,
    confirm: Confirm<'a>,
}

/// Renders the confirmation page inside the admin frame.
pub fn ask(state: &AppState, req: &HttpRequest, viewer: &User, confirm: Confirm<'_>) -> PageResult {
    let (chrome, admin) = frame(state, req, viewer, "Please confirm", "")?;
    ok(&ConfirmPage {
        chrome,
        admin,
        confirm,
    })
}

/// The 1-based page and the row offset for `?page=`.
pub fn page_and_offset(raw: Option<&str>) -> (i64, i64) {
    let page = super::views::page_number(raw);
    (page, (page - 1) * super::views::PAGE_SIZE)
}

/// A query string value encoded for a link.
pub fn query_value(value: &str) -> String {
    super::home::path_segment(value)
}
