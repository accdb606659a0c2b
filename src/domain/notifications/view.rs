//! What a notification says and where it leads, alone or in a run of the same kind
//! ("alice published 27 articles"), including when its article was since hidden or
//! deleted.

use super::Notification;

/// The article a notification is about, as the recipient may see it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// It is there: slug and title.
    Here { slug: String, title: String },
    /// Staff hid it since, from this recipient.
    Hidden { title: String },
    /// It was deleted since (the title as it was, when known).
    Deleted { title: String },
    /// The notification is about no article (a follower, a report).
    None,
}

/// A notification with the names it shows, fully loaded.
#[derive(Debug, Clone)]
pub struct NotificationView {
    /// The row.
    pub notification: Notification,
    /// The actor's username.
    pub actor: String,
    /// The actor's image.
    pub actor_image: Option<String>,
    /// The article concerned, as the recipient may see it.
    pub subject: Subject,
}

/// What a view needs of a notification's article: slug, title, hidden, author.
pub(super) type ArticleFacts = (String, String, bool, i32);

impl NotificationView {
    /// `n` as its recipient sees it, given its actor's name and image and its article
    /// as it is now (none once deleted, or when it is about no article). `sees_hidden`:
    /// the recipient is staff, who may read hidden articles; authors always read their
    /// own.
    pub(super) fn assemble(
        n: Notification,
        actor: Option<(String, Option<String>)>,
        article: Option<&ArticleFacts>,
        sees_hidden: bool,
    ) -> Self {
        let (actor, actor_image) = actor.unwrap_or_default();
        let subject = match article {
            Some((_, title, hidden, author)) if *hidden && !sees_hidden && *author != n.user_id => {
                Subject::Hidden {
                    title: title.clone(),
                }
            }
            Some((slug, title, _, _)) => Subject::Here {
                slug: slug.clone(),
                title: title.clone(),
            },
            None if matches!(
                n.kind.as_str(),
                "article" | "comment" | "favorite" | "moderation"
            ) =>
            {
                Subject::Deleted {
                    title: n.subject.clone().unwrap_or_else(|| "an article".into()),
                }
            }
            None => Subject::None,
        };
        Self {
            notification: n,
            actor,
            actor_image,
            subject,
        }
    }

    fn title(&self) -> &str {
        match &self.subject {
            Subject::Here { title, .. }
            | Subject::Hidden { title }
            | Subject::Deleted { title } => title,
            Subject::None => self
                .notification
                .subject
                .as_deref()
                .unwrap_or("your article"),
        }
    }

    /// Said after a sentence about an article that is no longer there to read.
    fn gone(&self) -> &'static str {
        match self.subject {
            Subject::Hidden { .. } => " (since hidden by the moderators)",
            Subject::Deleted { .. } => " (since deleted)",
            _ => "",
        }
    }

    /// One line for people: "alice published “Title”".
    pub fn sentence(&self) -> String {
        let n = &self.notification;
        let title = self.title();
        let gone = self.gone();
        match n.kind.as_str() {
            "article" => format!("{} published “{title}”{gone}", self.actor),
            "comment" => format!("{} commented on “{title}”{gone}", self.actor),
            "favorite" => format!("{} favorited “{title}”{gone}", self.actor),
            "moderation" => {
                let what = match n.detail.as_deref().unwrap_or_default() {
                    "article_hidden" => "hid your article",
                    "article_unhidden" => "made your article visible again:",
                    "article_deleted" => "deleted your article",
                    "comment_hidden" => "hid your comment on",
                    "comment_unhidden" => "made your comment visible again on",
                    _ => "deleted your comment on",
                };
                format!(
                    "The moderators {what} “{title}”{}",
                    because(n.reason.as_deref())
                )
            }
            "report" => {
                let outcome = match n.detail.as_deref().unwrap_or_default() {
                    "hide" => "the content is now hidden",
                    "delete" => "the content was deleted",
                    _ => "no action was needed",
                };
                let about = n.subject.as_deref().unwrap_or("content");
                format!(
                    "Your report about {about} was resolved: {outcome}{}",
                    because(n.reason.as_deref())
                )
            }
            _ => format!("{} started following you", self.actor),
        }
    }

    /// Where the notification leads: `None` when there is nothing left to open (the
    /// article was hidden or deleted since, a resolved report).
    pub fn link(&self) -> Option<String> {
        match (&self.subject, self.notification.kind.as_str()) {
            (Subject::Here { slug, .. }, "comment") => Some(format!("/article/{slug}#comments")),
            (Subject::Here { slug, .. }, _) => Some(format!("/article/{slug}")),
            (Subject::None, "follower") => Some(format!("/profile/{}", self.actor)),
            _ => None,
        }
    }
}

fn because(reason: Option<&str>) -> String {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(reason) => format!(". Reason: {reason}"),
        None => String::new(),
    }
}

/// A run of notifications of the same kind about the same thing, shown as one line.
#[derive(Debug, Clone)]
pub struct Group {
    /// Newest first; never empty.
    pub members: Vec<NotificationView>,
}

/// What makes notifications one run: the same author publishing, comments or
/// favorites on the same article, new followers. Moderation and reports stand alone.
fn run_key(view: &NotificationView) -> Option<(String, i32)> {
    let n = &view.notification;
    match n.kind.as_str() {
        "article" => Some((n.kind.clone(), n.actor_id)),
        "comment" | "favorite" => n.article_id.map(|id| (n.kind.clone(), id)),
        "follower" => Some((n.kind.clone(), 0)),
        _ => None,
    }
}

/// Groups consecutive notifications (newest first) into runs.
pub fn group(views: Vec<NotificationView>) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for view in views {
        if let Some(last) = groups.last_mut()
            && let Some(key) = run_key(&view)
            && run_key(&last.members[0]).as_ref() == Some(&key)
        {
            last.members.push(view);
            continue;
        }
        groups.push(Group {
            members: vec![view],
        });
    }
    groups
}

impl Group {
    fn first(&self) -> &NotificationView {
        &self.members[0]
    }

    /// "alice published 27 articles", "alice, bob and 3 others favorited “Title”".
    pub fn sentence(&self) -> String {
        let first = self.first();
        let count = self.members.len();
        if count == 1 {
            return first.sentence();
        }
        let mut names: Vec<&str> = Vec::new();
        for member in &self.members {
            if !names.contains(&member.actor.as_str()) {
                names.push(&member.actor);
            }
        }
        let who = who(&names);
        let title = first.title();
        let gone = first.gone();
        match first.notification.kind.as_str() {
            "article" => format!("{} published {count} articles", first.actor),
            "comment" if names.len() == 1 => {
                format!("{who} commented {count} times on “{title}”{gone}")
            }
            "comment" => format!("{who} commented on “{title}”{gone}"),
            "favorite" => format!("{who} favorited “{title}”{gone}"),
            _ => format!("{who} started following you"),
        }
    }

    /// Where the line leads: the author's profile for a run of new articles, else where
    /// the newest one leads.
    pub fn link(&self) -> Option<String> {
        let first = self.first();
        if self.members.len() > 1 && first.notification.kind == "article" {
            return Some(format!("/profile/{}", first.actor));
        }
        first.link()
    }

    /// The ids of the run, newest first.
    pub fn ids(&self) -> Vec<i32> {
        self.members.iter().map(|m| m.notification.id).collect()
    }

    /// Whether any of the run is unread.
    pub fn unread(&self) -> bool {
        self.members
            .iter()
            .any(|m| m.notification.read_at.is_none())
    }

    /// The newest of the run (for its avatar and date).
    pub fn newest(&self) -> &NotificationView {
        self.first()
    }
}

/// "alice", "alice and bob", "alice, bob and carol", "alice, bob and 3 others".
fn who(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [a, b] => format!("{a} and {b}"),
        [a, b, c] => format!("{a}, {b} and {c}"),
        [a, b, rest @ ..] => format!("{a}, {b} and {} others", rest.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(id: i32, kind: &str, actor: (i32, &str), article: Option<i32>) -> NotificationView {
        let at = chrono::DateTime::from_timestamp(1_700_000_000 - i64::from(id), 0)
            .expect("time")
            .naive_utc();
        NotificationView {
            notification: Notification {
                id,
                user_id: 1,
                kind: kind.into(),
                actor_id: actor.0,
                article_id: article,
                subject: Some("Title".into()),
                detail: None,
                reason: None,
                read_at: None,
                created_at: at,
            },
            actor: actor.1.into(),
            actor_image: None,
            subject: match article {
                Some(_) => Subject::Here {
                    slug: "title".into(),
                    title: "Title".into(),
                },
                None => Subject::None,
            },
        }
    }

    #[test]
    fn runs_of_the_same_kind_become_one_line() {
        let alice = (2, "alice");
        let mut views: Vec<NotificationView> = (1..=27)
            .map(|i| view(i, "article", alice, Some(100 + i)))
            .collect();
        views.push(view(30, "favorite", (3, "bob"), Some(7)));
        views.push(view(31, "favorite", (4, "carol"), Some(7)));
        views.push(view(32, "favorite", (5, "dave"), Some(7)));
        views.push(view(33, "favorite", (6, "erin"), Some(7)));
        views.push(view(34, "follower", (3, "bob"), None));
        views.push(view(35, "article", alice, Some(200)));
        let groups = group(views);
        let lines: Vec<String> = groups.iter().map(Group::sentence).collect();
        assert_eq!(
            lines,
            vec![
                "alice published 27 articles",
                "bob, carol and 2 others favorited “Title”",
                "bob started following you",
                "alice published “Title”",
            ]
        );
        assert_eq!(groups[0].link().as_deref(), Some("/profile/alice"));
        assert_eq!(groups[0].ids().len(), 27);
        assert_eq!(groups[1].link().as_deref(), Some("/article/title"));
    }

    #[test]
    fn gone_articles_say_so_and_lead_nowhere() {
        let mut deleted = view(1, "article", (2, "alice"), None);
        deleted.subject = Subject::Deleted {
            title: "Old news".into(),
        };
        assert_eq!(
            deleted.sentence(),
            "alice published “Old news” (since deleted)"
        );
        assert_eq!(deleted.link(), None);
        let mut hidden = view(2, "comment", (2, "alice"), Some(3));
        hidden.subject = Subject::Hidden {
            title: "Spam".into(),
        };
        assert!(
            hidden
                .sentence()
                .ends_with("(since hidden by the moderators)")
        );
        assert_eq!(hidden.link(), None);
    }

    #[test]
    fn moderation_and_reports_give_the_reason() {
        let mut hid = view(1, "moderation", (9, "mod"), Some(3));
        hid.notification.detail = Some("article_hidden".into());
        hid.notification.reason = Some("off-topic".into());
        assert_eq!(
            hid.sentence(),
            "The moderators hid your article “Title”. Reason: off-topic"
        );
        let mut report = view(2, "report", (9, "mod"), None);
        report.notification.detail = Some("delete".into());
        report.notification.subject = Some("comment #4 rude".into());
        report.notification.reason = Some("insults".into());
        assert_eq!(
            report.sentence(),
            "Your report about comment #4 rude was resolved: the content was deleted. Reason: insults"
        );
        assert_eq!(report.link(), None);
    }
}
