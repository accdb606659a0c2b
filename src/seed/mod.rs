//! `conduit seed`: fills the database with a realistic data set, fast, for benchmarks
//! and demos. Rows go in as multi-row `INSERT`s (at most 500 rows, SQLite's limit for
//! one `VALUES` list) inside large transactions, with ids assigned here so that tags,
//! favorites and comments can refer to them without reading anything back. Every value
//! is generated here from fixed vocabularies and written as an escaped literal.

mod text;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::time::Instant;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use rand::Rng;

use crate::config::Config;
use crate::db::{Db, DbConnection, write_transaction};

pub use text::TAGS;

/// The password of every seeded account.
pub const PASSWORD: &str = "password123";

/// How much to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedSize {
    /// Accounts.
    pub users: u64,
    /// Articles, spread over the accounts.
    pub articles: u64,
    /// Comments, spread over the articles.
    pub comments: u64,
    /// Follow relations (distinct pairs).
    pub follows: u64,
    /// Favorites (distinct pairs).
    pub favorites: u64,
}

impl SeedSize {
    /// Parses `--users N --articles M --comments K --follows F --favorites V` (any order,
    /// each optional; defaults make a small demo site).
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut size = Self {
            users: 100,
            articles: 1_000,
            comments: 2_000,
            follows: 1_000,
            favorites: 5_000,
        };
        let mut rest = args.iter();
        while let Some(flag) = rest.next() {
            let value = rest
                .next()
                .ok_or_else(|| format!("{flag} needs a number"))?;
            let n: u64 = value
                .replace('_', "")
                .parse()
                .map_err(|_| format!("{flag}: `{value}` is not a whole number"))?;
            match flag.as_str() {
                "--users" => size.users = n,
                "--articles" => size.articles = n,
                "--comments" => size.comments = n,
                "--follows" => size.follows = n,
                "--favorites" => size.favorites = n,
                other => return Err(format!("unknown option `{other}`")),
            }
        }
        if size.users == 0 && (size.articles + size.comments + size.follows + size.favorites) > 0 {
            return Err("--users must be at least 1 to own the rest".into());
        }
        if size.articles == 0 && (size.comments + size.favorites) > 0 {
            return Err("--articles must be at least 1 for comments and favorites".into());
        }
        let max_follows = size.users.saturating_mul(size.users.saturating_sub(1));
        if size.follows > max_follows / 2 {
            return Err(format!(
                "--follows: at most {} for {} users",
                max_follows / 2,
                size.users
            ));
        }
        if size.favorites > size.users.saturating_mul(size.articles) / 2 {
            return Err("--favorites: too many for so few users and articles".into());
        }
        if size.users.max(size.articles).max(size.comments) > i32::MAX as u64 / 2 {
            return Err("sizes must stay below 1,000,000,000".into());
        }
        Ok(size)
    }
}

/// `conduit seed …`: reads the configuration, migrates, seeds and reports.
pub fn command(args: &[String]) -> Result<(), String> {
    let size = SeedSize::parse(args)?;
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let db = Db::connect(&config.database_url, 1)?;
    db.migrate()?;
    let report = run(&db, size, config.bcrypt_cost)?;
    // Servers running on this database drop whatever they cached before the new rows.
    let app = crate::app::App::without_caches(db)?;
    actix_web::rt::System::new()
        .block_on(app.flush_everywhere())
        .map_err(|e| format!("seeded, but the running servers were not told: {e}"))?;
    println!("{report}");
    Ok(())
}

/// Rows in one `INSERT` (SQLite refuses more than 500 in one `VALUES` list).
const ROWS_PER_INSERT: usize = 500;
/// Rows per transaction: big enough that commits cost nothing, small enough to keep
/// the write lock for a few seconds at most.
const ROWS_PER_TRANSACTION: usize = 50_000;

/// Generates `size` into `db`; returns a summary with timings.
pub fn run(db: &Db, size: SeedSize, bcrypt_cost: u32) -> Result<String, String> {
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    let conn: &mut DbConnection = &mut conn;
    let started = Instant::now();
    let mut report = String::new();
    let fail = |e: diesel::result::Error| format!("seeding failed: {e}");

    let user_base = max_id(conn, "users").map_err(fail)?;
    let article_base = max_id(conn, "articles").map_err(fail)?;
    let comment_base = max_id(conn, "comments").map_err(fail)?;
    // One hash for every account: bcrypt at the configured cost is far too slow to run
    // per row, and they all share the documented password anyway.
    let hash = bcrypt::hash(PASSWORD, bcrypt_cost).map_err(|e| format!("bcrypt: {e}"))?;
    let run_tag = format!("s{:04x}", rand::random::<u16>());
    let now = crate::domain::time::now();
    let mut rng = rand::rng();

    let step = Instant::now();
    let users = (0..size.users).map(|i| {
        let id = user_base + 1 + i as i64;
        format!(
            "({id}, {}, {}, {}, {}, 'user', {}, {}, 0)",
            lit(&format!("{run_tag}_{i}")),
            lit(&crate::db::username_keys::key(&format!("{run_tag}_{i}"))),
            lit(&format!("{run_tag}_{i}@seed.example")),
            lit(&hash),
            ts(now),
            ts(now)
        )
    });
    insert(
        conn,
        "users (id, username, username_key, email, password_hash, role, created_at, updated_at, failed_logins)",
        users,
    )
    .map_err(fail)?;
    line(&mut report, "users", size.users, step);

    let tag_ids = ensure_tags(conn).map_err(fail)?;

    // Favorites first, in memory, so each article row is written with its count.
    let step = Instant::now();
    let favorites = distinct_pairs(&mut rng, size.favorites, size.users, size.articles, false);
    let mut favorite_counts = vec![0i32; size.articles as usize];
    for (_, article) in &favorites {
        favorite_counts[*article as usize] += 1;
    }
    // Newest article now, older ones a minute apart, in id order (as a real site grows).
    let oldest = now - chrono::Duration::minutes(size.articles as i64);
    let articles = (0..size.articles).map(|i| {
        let id = article_base + 1 + i as i64;
        let title = text::title(&mut rand::rng());
        let slug = format!("{}-{id}", slug::slugify(&title));
        let author = user_base + 1 + rand::rng().random_range(0..size.users) as i64;
        let at = oldest + chrono::Duration::minutes(i as i64);
        let body_size = rand::rng().random_range(1_500..4_500);
        format!(
            "({id}, {}, {}, {}, {}, {author}, {}, {}, {})",
            lit(&slug),
            lit(&title),
            lit(&text::description(&mut rand::rng())),
            lit(&text::body(&mut rand::rng(), body_size)),
            favorite_counts[i as usize],
            ts(at),
            ts(at)
        )
    });
    insert(
        conn,
        "articles (id, slug, title, description, body, author_id, favorites_count, created_at, updated_at)",
        articles,
    )
    .map_err(fail)?;
    line(&mut report, "articles", size.articles, step);

    let step = Instant::now();
    let mut tag_rows = 0u64;
    let links = (0..size.articles).flat_map(|i| {
        let id = article_base + 1 + i as i64;
        let mut rng = rand::rng();
        let n = rng.random_range(1..=4);
        let mut chosen: Vec<i32> = Vec::with_capacity(n);
        while chosen.len() < n {
            let tag = tag_ids[rng.random_range(0..tag_ids.len())];
            if !chosen.contains(&tag) {
                chosen.push(tag);
            }
        }
        chosen.into_iter().map(move |tag| format!("({id}, {tag})"))
    });
    let links = links.inspect(|_| tag_rows += 1);
    insert(conn, "article_tags (article_id, tag_id)", links).map_err(fail)?;
    line(&mut report, "article tags", tag_rows, step);

    let step = Instant::now();
    crate::domain::search::index_after(conn, article_base).map_err(fail)?;
    line(&mut report, "search index", size.articles, step);

    let step = Instant::now();
    let rows = favorites.iter().map(|(user, article)| {
        format!(
            "({}, {}, {})",
            user_base + 1 + *user as i64,
            article_base + 1 + *article as i64,
            ts(now)
        )
    });
    insert(conn, "favorites (user_id, article_id, created_at)", rows).map_err(fail)?;
    line(&mut report, "favorites", size.favorites, step);

    let step = Instant::now();
    let follows = distinct_pairs(&mut rng, size.follows, size.users, size.users, true);
    let rows = follows.iter().map(|(a, b)| {
        format!(
            "({}, {}, {})",
            user_base + 1 + *a as i64,
            user_base + 1 + *b as i64,
            ts(now)
        )
    });
    insert(conn, "follows (follower_id, followee_id, created_at)", rows).map_err(fail)?;
    line(&mut report, "follows", size.follows, step);

    let step = Instant::now();
    let comments = (0..size.comments).map(|i| {
        let mut rng = rand::rng();
        let article = rng.random_range(0..size.articles);
        let at = oldest
            + chrono::Duration::minutes(article as i64)
            + chrono::Duration::seconds(1 + i as i64 % 50);
        format!(
            "({}, {}, {}, {}, {}, {})",
            comment_base + 1 + i as i64,
            lit(&text::comment(&mut rng)),
            article_base + 1 + article as i64,
            user_base + 1 + rng.random_range(0..size.users) as i64,
            ts(at),
            ts(at)
        )
    });
    insert(
        conn,
        "comments (id, body, article_id, author_id, created_at, updated_at)",
        comments,
    )
    .map_err(fail)?;
    line(&mut report, "comments", size.comments, step);

    let step = Instant::now();
    finish(conn).map_err(fail)?;
    let _ = writeln!(
        report,
        "{:>14}  {:>10.1}s",
        "analyze",
        step.elapsed().as_secs_f64()
    );
    let _ = write!(
        report,
        "seeded in {:.1}s; every seeded account's password is `{PASSWORD}`, emails {run_tag}_<n>@seed.example",
        started.elapsed().as_secs_f64()
    );
    Ok(report)
}

fn line(report: &mut String, what: &str, rows: u64, since: Instant) {
    let secs = since.elapsed().as_secs_f64();
    let rate = if secs > 0.0 { rows as f64 / secs } else { 0.0 };
    let _ = writeln!(
        report,
        "{what:>14}  {rows:>10} rows  {secs:>7.1}s  {rate:>9.0} rows/s"
    );
}

/// A SQL string literal: quotes doubled. Generated text never holds NUL or backslash
/// sequences that either backend would read differently.
fn lit(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// A timestamp literal in the format both backends read for `TIMESTAMP`.
fn ts(at: chrono::NaiveDateTime) -> String {
    format!("'{}'", at.format("%Y-%m-%d %H:%M:%S%.3f"))
}

#[derive(QueryableByName)]
struct MaxId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

fn max_id(conn: &mut DbConnection, table: &str) -> QueryResult<i64> {
    let sql = format!("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS id FROM {table}");
    Ok(diesel::sql_query(sql).get_result::<MaxId>(conn)?.id)
}

/// Ids of the vocabulary's tags, creating the missing ones.
fn ensure_tags(conn: &mut DbConnection) -> QueryResult<Vec<i32>> {
    let names: Vec<String> = TAGS.iter().map(|t| (*t).to_owned()).collect();
    write_transaction(conn, |conn| crate::domain::tags::ensure_ids(conn, &names))
}

/// `n` distinct pairs `(a < a_max, b < b_max)`, without `a == b` when `distinct`.
fn distinct_pairs(
    rng: &mut impl Rng,
    n: u64,
    a_max: u64,
    b_max: u64,
    distinct: bool,
) -> Vec<(u32, u32)> {
    let mut seen = HashSet::with_capacity(n as usize);
    let mut out = Vec::with_capacity(n as usize);
    while (out.len() as u64) < n {
        let a = rng.random_range(0..a_max) as u32;
        let b = rng.random_range(0..b_max) as u32;
        if (distinct && a == b) || !seen.insert((a, b)) {
            continue;
        }
        out.push((a, b));
    }
    out
}

/// Inserts `rows` (each a parenthesised tuple) into `target` in multi-row statements,
/// `ROWS_PER_TRANSACTION` rows per transaction.
fn insert(
    conn: &mut DbConnection,
    target: &str,
    rows: impl Iterator<Item = String>,
) -> QueryResult<()> {
    let mut rows = rows.peekable();
    while rows.peek().is_some() {
        write_transaction(conn, |conn| {
            let mut in_transaction = 0;
            while in_transaction < ROWS_PER_TRANSACTION && rows.peek().is_some() {
                let mut sql = format!("INSERT INTO {target} VALUES ");
                let mut n = 0;
                for row in rows.by_ref().take(ROWS_PER_INSERT) {
                    if n > 0 {
                        sql.push(',');
                    }
                    sql.push_str(&row);
                    n += 1;
                }
                conn.batch_execute(&sql)?;
                in_transaction += n;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
    }
    Ok(())
}

/// Moves PostgreSQL's id sequences past the ids given here, and refreshes both
/// backends' planner statistics.
fn finish(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Pg(_) = conn {
        for table in ["users", "articles", "comments"] {
            conn.batch_execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            ))?;
        }
        // As autovacuum would on a live site: without a visibility map, counts that an
        // index-only scan answers in 2 ms read the whole table (99 ms at 10,000
        // articles), and benchmarks of a fresh seed would measure that.
        // Only the seeded tables: others on the server (other schemas) are not ours.
        return conn.batch_execute(
            "VACUUM (ANALYZE) users, articles, tags, article_tags, article_search, \
             favorites, follows, comments",
        );
    }
    conn.batch_execute("ANALYZE")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn sizes_parse_and_are_checked() {
        let size = SeedSize::parse(&args(
            "--users 10 --articles 1_000 --comments 5 --follows 3 --favorites 7",
        ))
        .expect("valid");
        assert_eq!(size.articles, 1000);
        assert_eq!(size.favorites, 7);
        assert!(SeedSize::parse(&args("--users")).is_err());
        assert!(SeedSize::parse(&args("--users x")).is_err());
        assert!(SeedSize::parse(&args("--bogus 1")).is_err());
        assert!(SeedSize::parse(&args("--users 2 --follows 5")).is_err());
    }

    #[test]
    fn literals_are_escaped() {
        assert_eq!(lit("it's"), "'it''s'");
    }
}
