//! Raw SQL that each connection prepares once and keeps.
//!
//! diesel keeps a prepared statement per connection for the queries its DSL builds, but
//! never for [`diesel::sql_query`]: it cannot tell whether a raw string was assembled
//! from values, so it parses (and on PostgreSQL plans) the text again on every call.
//! The hot writes that are one hand-written statement (an article create on
//! PostgreSQL is a statement of seven common table expressions) paid for that on every
//! request. A [`Prepared`] statement's text is fixed by the code, so diesel may key
//! its cache on the text: the first call on a connection prepares it, later calls only
//! bind and run it.
//!
//! The text names its values `$1`, `$2`, … on either backend; a value may be named more
//! than once. Since diesel numbers a statement's placeholders itself, each name is
//! replaced by a placeholder of diesel's, with the value bound again wherever the name
//! recurs.

use std::borrow::Cow;
use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::Error;
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Untyped};
use diesel::{QueryResult, RunQueryDsl};

/// A statement of fixed text with its values; see the module's comment.
#[must_use = "a statement runs only when loaded or executed"]
pub struct Prepared<'f, DB: Backend> {
    sql: Cow<'static, str>,
    binds: Vec<Box<dyn QueryFragment<DB> + Send + 'f>>,
}

/// `sql` as a statement each connection prepares once. Only for text that does not
/// depend on values: every distinct text is one more statement kept per connection.
pub fn prepared<'f, DB: Backend>(sql: impl Into<Cow<'static, str>>) -> Prepared<'f, DB> {
    Prepared {
        sql: sql.into(),
        binds: Vec::new(),
    }
}

impl<'f, DB: Backend> Prepared<'f, DB> {
    /// Binds the next value: the first call binds `$1`, the second `$2`, and so on.
    pub fn bind<ST, V>(mut self, value: V) -> Self
    where
        DB: HasSqlType<ST>,
        V: ToSql<ST, DB> + Send + 'f,
        ST: 'f,
    {
        self.binds.push(Box::new(Bind {
            value,
            sql_type: PhantomData::<fn() -> ST>,
        }));
        self
    }
}

struct Bind<ST, V> {
    value: V,
    sql_type: PhantomData<fn() -> ST>,
}

impl<ST, V, DB> QueryFragment<DB> for Bind<ST, V>
where
    DB: Backend + HasSqlType<ST>,
    V: ToSql<ST, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_bind_param::<ST, V>(&self.value)
    }
}

impl<DB> QueryFragment<DB> for Prepared<'_, DB>
where
    DB: Backend,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        // Unlike `sql_query`, nothing here calls `unsafe_to_cache_prepared`: the text is
        // the cache's key.
        let mut rest: &str = &self.sql;
        while let Some(at) = rest.find('$') {
            let (text, from_dollar) = rest.split_at(at);
            out.push_sql(text);
            let digits = from_dollar[1..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            if digits == 0 {
                out.push_sql("$");
                rest = &from_dollar[1..];
                continue;
            }
            let number: usize = from_dollar[1..=digits]
                .parse()
                .map_err(|_| builder_error(format!("placeholder {}", &from_dollar[..=digits])))?;
            let bind = number
                .checked_sub(1)
                .and_then(|index| self.binds.get(index))
                .ok_or_else(|| {
                    builder_error(format!(
                        "${number} named, {} values bound",
                        self.binds.len()
                    ))
                })?;
            bind.walk_ast(out.reborrow())?;
            rest = &from_dollar[1 + digits..];
        }
        out.push_sql(rest);
        Ok(())
    }
}

fn builder_error(message: String) -> Error {
    Error::QueryBuilderError(message.into())
}

impl<DB: Backend> QueryId for Prepared<'_, DB> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB: Backend> Query for Prepared<'_, DB> {
    type SqlType = Untyped;
}

impl<Conn, DB: Backend> RunQueryDsl<Conn> for Prepared<'_, DB> {}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::{Integer, Text};

    use super::prepared;

    #[derive(QueryableByName, Debug, PartialEq)]
    struct Row {
        #[diesel(sql_type = Integer)]
        n: i32,
        #[diesel(sql_type = Text)]
        s: String,
    }

    #[test]
    fn names_bind_their_values_wherever_they_recur() {
        let mut conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite");
        for round in 0..3 {
            let row: Row = prepared("SELECT $2 + $1 + $2 AS n, $3 || '$' || $3 AS s")
                .bind::<Integer, _>(round)
                .bind::<Integer, _>(10)
                .bind::<Text, _>("x")
                .get_result(&mut conn)
                .expect("runs");
            assert_eq!(
                row,
                Row {
                    n: 20 + round,
                    s: "x$x".into()
                }
            );
        }
    }

    #[test]
    fn a_name_without_a_value_is_an_error_not_a_panic() {
        let mut conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite");
        let result = prepared("SELECT $1 + $2 AS n")
            .bind::<Integer, _>(1)
            .execute(&mut conn);
        assert!(
            matches!(result, Err(diesel::result::Error::QueryBuilderError(_))),
            "{result:?}"
        );
    }
}
