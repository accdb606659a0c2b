//! What changed between two revisions: the title, description and tags compared as
//! wholes, the body line by line (unified hunks with three lines of context), with the
//! `similar` crate. The body diff gives up refining after [`TIME_LIMIT`] and reports a
//! coarser (still correct) diff, so a pathological pair of 100 KB bodies cannot hold a
//! thread for long.

use std::time::Duration;

use similar::{Algorithm, ChangeTag, TextDiff};

use super::Revision;

/// Longest a body diff may refine before settling for a coarser answer.
pub const TIME_LIMIT: Duration = Duration::from_millis(300);

/// Unchanged lines shown around each change.
const CONTEXT: usize = 3;

/// What one line of a hunk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// In both revisions.
    Same,
    /// Only in the newer one.
    Added,
    /// Only in the older one.
    Removed,
}

/// One line of a body diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    /// Added, removed or unchanged.
    pub kind: LineKind,
    /// Its 1-based line number in the older body, if it is there.
    pub old_number: Option<usize>,
    /// Its 1-based line number in the newer body, if it is there.
    pub new_number: Option<usize>,
    /// The line, without its line break.
    pub text: String,
}

/// A run of changes with their context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// `@@ -a,b +c,d @@`, as in a unified diff.
    pub header: String,
    /// Its lines, in order.
    pub lines: Vec<DiffLine>,
}

/// A field whose whole value changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    /// The older value.
    pub before: String,
    /// The newer value.
    pub after: String,
}

/// Everything that differs from one revision to another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevisionDiff {
    /// The title, when it changed.
    pub title: Option<Changed>,
    /// The description, when it changed.
    pub description: Option<Changed>,
    /// Tags only the newer one has.
    pub tags_added: Vec<String>,
    /// Tags only the older one has.
    pub tags_removed: Vec<String>,
    /// Tags both have.
    pub tags_kept: Vec<String>,
    /// The body's changes; empty when it is the same.
    pub hunks: Vec<Hunk>,
    /// Body lines added.
    pub added_lines: usize,
    /// Body lines removed.
    pub removed_lines: usize,
}

impl RevisionDiff {
    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.description.is_none()
            && self.tags_added.is_empty()
            && self.tags_removed.is_empty()
            && self.hunks.is_empty()
    }
}

fn lines<'a>(old: &'a str, new: &'a str) -> TextDiff<'a, 'a, str> {
    TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .timeout(TIME_LIMIT)
        .diff_lines(old, new)
}

/// Lines in `body`, as the diff counts them.
pub fn line_count(body: &str) -> usize {
    body.lines().count()
}

/// Lines added and removed from `old` to `new`.
pub fn line_changes(old: &str, new: &str) -> (usize, usize) {
    let diff = lines(old, new);
    let mut added = 0;
    let mut removed = 0;
    for change in diff.iter_all_changes() {
        match change.tag() {
            ChangeTag::Insert => added += 1,
            ChangeTag::Delete => removed += 1,
            ChangeTag::Equal => {}
        }
    }
    (added, removed)
}

/// What changed from `old` to `new`.
pub fn compare(old: &Revision, new: &Revision) -> RevisionDiff {
    let changed = |before: &str, after: &str| {
        (before != after).then(|| Changed {
            before: before.to_owned(),
            after: after.to_owned(),
        })
    };
    let old_tags = old.tag_list();
    let new_tags = new.tag_list();
    let mut result = RevisionDiff {
        title: changed(&old.title, &new.title),
        description: changed(&old.description, &new.description),
        tags_added: new_tags
            .iter()
            .filter(|t| !old_tags.contains(t))
            .cloned()
            .collect(),
        tags_removed: old_tags
            .iter()
            .filter(|t| !new_tags.contains(t))
            .cloned()
            .collect(),
        tags_kept: new_tags
            .iter()
            .filter(|t| old_tags.contains(t))
            .cloned()
            .collect(),
        ..RevisionDiff::default()
    };
    let diff = lines(&old.body, &new.body);
    for group in diff.grouped_ops(CONTEXT) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let old_start = first.old_range().start;
        let new_start = first.new_range().start;
        let old_len = last.old_range().end - old_start;
        let new_len = last.new_range().end - new_start;
        let mut hunk = Hunk {
            header: format!(
                "@@ -{},{old_len} +{},{new_len} @@",
                old_start + 1,
                new_start + 1
            ),
            lines: Vec::new(),
        };
        for op in &group {
            for change in diff.iter_changes(op) {
                let kind = match change.tag() {
                    ChangeTag::Equal => LineKind::Same,
                    ChangeTag::Insert => {
                        result.added_lines += 1;
                        LineKind::Added
                    }
                    ChangeTag::Delete => {
                        result.removed_lines += 1;
                        LineKind::Removed
                    }
                };
                let text = change.value();
                let text = text.strip_suffix('\n').unwrap_or(text);
                let text = text.strip_suffix('\r').unwrap_or(text);
                hunk.lines.push(DiffLine {
                    kind,
                    old_number: change.old_index().map(|i| i + 1),
                    new_number: change.new_index().map(|i| i + 1),
                    text: text.to_owned(),
                });
            }
        }
        result.hunks.push(hunk);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revision(title: &str, body: &str, tags: &[&str]) -> Revision {
        Revision {
            id: 1,
            article_id: 1,
            number: 1,
            editor_id: 1,
            created_at: chrono::NaiveDateTime::default(),
            title: title.into(),
            description: "d".into(),
            body: body.into(),
            tags: serde_json::to_string(tags).unwrap_or_default(),
            added_lines: 0,
            removed_lines: 0,
        }
    }

    #[test]
    fn lines_fields_and_tags_are_compared() {
        let old = revision("Old", "one\ntwo\nthree\n", &["a", "b"]);
        let new = revision("New", "one\n2\nthree\nfour", &["b", "c"]);
        let diff = compare(&old, &new);
        assert_eq!(diff.title.as_ref().map(|c| c.after.as_str()), Some("New"));
        assert!(diff.description.is_none());
        assert_eq!(diff.tags_added, ["c"]);
        assert_eq!(diff.tags_removed, ["a"]);
        assert_eq!(diff.tags_kept, ["b"]);
        assert_eq!((diff.added_lines, diff.removed_lines), (2, 1));
        assert_eq!(diff.hunks.len(), 1);
        let removed: Vec<&str> = diff.hunks[0]
            .lines
            .iter()
            .filter(|l| l.kind == LineKind::Removed)
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(removed, ["two"]);
        assert_eq!(line_changes(&old.body, &new.body), (2, 1));
    }

    #[test]
    fn equal_revisions_have_no_diff() {
        let a = revision("T", "same\n", &["x"]);
        assert!(compare(&a, &a.clone()).is_empty());
        assert_eq!(line_count("a\nb\n"), 2);
        assert_eq!(line_count("a\nb"), 2);
    }
}
