//! Timestamps: naive UTC, truncated to milliseconds so that what is stored is exactly
//! what is returned, on both backends.

use chrono::{DateTime, NaiveDateTime, Utc};

/// Now, at millisecond precision.
pub fn now() -> NaiveDateTime {
    truncate(Utc::now().naive_utc())
}

/// A new `updated_at` that is never equal to (or before) the previous one, even when
/// two writes fall in the same millisecond.
pub fn next_after(previous: NaiveDateTime) -> NaiveDateTime {
    let now = now();
    if now > previous {
        now
    } else {
        previous + chrono::Duration::milliseconds(1)
    }
}

fn truncate(t: NaiveDateTime) -> NaiveDateTime {
    DateTime::from_timestamp_millis(t.and_utc().timestamp_millis())
        .map(|d| d.naive_utc())
        .unwrap_or(t)
}

/// ISO-8601 in UTC with milliseconds, as the API returns it.
pub fn iso8601(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_millis_and_moves_forward() {
        let t = now();
        let s = iso8601(t);
        assert_eq!(s.len(), 24, "{s}");
        assert!(s.ends_with('Z'));
        assert!(next_after(t + chrono::Duration::seconds(5)) > t + chrono::Duration::seconds(5));
    }
}
