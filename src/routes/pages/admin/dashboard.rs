//! `GET /admin`: counts and the last 30 days.

use actix_web::{HttpRequest, web};
use askama::Template;
use askama_web::WebTemplate;

use super::chart::{self, BarChart};
use super::{AdminFrame, StaffUser, frame};
use crate::domain::moderation::dashboard::{self, Dashboard};
use crate::routes::pages::views::Chrome;
use crate::routes::pages::{PageResult, ok};
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    admin: AdminFrame,
    stats: Dashboard,
    chart: BarChart,
}

/// `GET /admin`
pub async fn show(state: web::Data<AppState>, req: HttpRequest, user: StaffUser) -> PageResult {
    let stats = dashboard::load(&state.db).await?;
    let chart = chart::bars(
        &stats.days,
        &[
            ("sign-ups", &stats.signups),
            ("articles", &stats.new_articles),
        ],
    );
    let (chrome, admin) = frame(&state, &req, &user.0, "Admin", "/admin")?;
    ok(&DashboardPage {
        chrome,
        admin,
        stats,
        chart,
    })
}
