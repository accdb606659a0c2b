//! The rows of images and their widths, and the queries on them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Format;
use super::process::Processed;
use crate::db::DbConnection;
use crate::db::schema::{image_variants, images, users};
use crate::domain::time;

/// An image row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = images)]
pub struct Image {
    /// Primary key.
    pub id: i32,
    /// The name in its URLs.
    pub url_key: String,
    /// Who uploaded it.
    pub owner_id: i32,
    /// SHA-256 (hex) of the uploaded bytes.
    pub sha256: String,
    /// `png` or `jpeg`.
    pub format: String,
    /// Pixels across (stored size).
    pub width: i32,
    /// Pixels down.
    pub height: i32,
    /// Bytes of all its variants.
    pub bytes: i32,
    /// When.
    pub created_at: NaiveDateTime,
}

/// An image with the widths it is served at, ready to show.
#[derive(Debug, Clone)]
pub struct ImageEntry {
    /// The row.
    pub image: Image,
    /// Widths stored, largest first.
    pub widths: Vec<i32>,
}

/// The widths the default URL is chosen among: the largest up to this one.
const DEFAULT_WIDTH: i32 = 1280;

impl ImageEntry {
    fn format(&self) -> Format {
        Format::from_stored(&self.image.format).unwrap_or(Format::Png)
    }

    /// The site-relative URL of width `w`.
    pub fn url(&self, width: i32) -> String {
        format!(
            "/images/{}-{width}.{}",
            self.image.url_key,
            self.format().extension()
        )
    }

    /// The width articles link: the largest up to 1280 pixels.
    pub fn default_width(&self) -> i32 {
        self.widths
            .iter()
            .copied()
            .find(|&w| w <= DEFAULT_WIDTH)
            .or_else(|| self.widths.last().copied())
            .unwrap_or(self.image.width)
    }

    /// The URL articles link.
    pub fn default_url(&self) -> String {
        self.url(self.default_width())
    }

    /// Every width as `url Ww`, for `srcset`.
    pub fn srcset(&self) -> String {
        self.widths
            .iter()
            .map(|&w| format!("{} {w}w", self.url(w)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Markdown that shows it, with `alt` as its text.
    pub fn markdown(&self, alt: &str) -> String {
        let alt: String = alt
            .chars()
            .filter(|c| !matches!(c, '[' | ']' | '\n' | '\r'))
            .take(100)
            .collect();
        format!("![{alt}]({})", self.default_url())
    }

    /// Its stored format's media type.
    pub fn content_type(&self) -> &'static str {
        self.format().content_type()
    }
}

/// The image `key` of `owner`, if they already uploaded it.
pub fn find_by_key(conn: &mut DbConnection, key: &str) -> QueryResult<Option<Image>> {
    images::table
        .filter(images::url_key.eq(key))
        .select(Image::as_select())
        .first(conn)
        .optional()
}

/// The image `id`.
pub fn find(conn: &mut DbConnection, id: i32) -> QueryResult<Option<Image>> {
    images::table
        .find(id)
        .select(Image::as_select())
        .first(conn)
        .optional()
}

/// Makes concurrent uploads of `owner` take turns until this transaction ends, so that
/// two of them cannot both fit the quota that only one fits, nor both insert the same
/// file. SQLite's write transactions already run one at a time; PostgreSQL locks the
/// owner's row.
pub fn lock_owner(conn: &mut DbConnection, owner: i32) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(pg) => {
            users::table
                .find(owner)
                .select(users::id)
                .for_update()
                .first::<i32>(pg)
                .optional()?;
        }
        DbConnection::Sqlite(_) => {}
    }
    Ok(())
}

/// Bytes `owner` stores now.
pub fn used_bytes(conn: &mut DbConnection, owner: i32) -> QueryResult<i64> {
    let sum: Option<i64> = images::table
        .filter(images::owner_id.eq(owner))
        .select(diesel::dsl::sum(images::bytes))
        .first(conn)?;
    Ok(sum.unwrap_or(0))
}

/// Stores `processed` for `owner` under `key`: one image row and one row per width.
pub fn insert(
    conn: &mut DbConnection,
    owner: i32,
    key: &str,
    processed: &Processed,
) -> QueryResult<Image> {
    let as_i32 = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    diesel::insert_into(images::table)
        .values((
            images::url_key.eq(key),
            images::owner_id.eq(owner),
            images::sha256.eq(&processed.sha256),
            images::format.eq(processed.format.stored()),
            images::width.eq(as_i32(processed.width)),
            images::height.eq(as_i32(processed.height)),
            images::bytes.eq(i32::try_from(processed.stored_bytes()).unwrap_or(i32::MAX)),
            images::created_at.eq(time::now()),
        ))
        .execute(conn)?;
    // Read back by its unique key: the portable way to learn the new id on both backends.
    let image: Image = images::table
        .filter(images::url_key.eq(key))
        .select(Image::as_select())
        .first(conn)?;
    let content_type = processed.format.content_type();
    // One statement per width (at most four): the connection type has no batch insert.
    for variant in &processed.variants {
        diesel::insert_into(image_variants::table)
            .values((
                image_variants::image_id.eq(image.id),
                image_variants::width.eq(as_i32(variant.width)),
                image_variants::height.eq(as_i32(variant.height)),
                image_variants::content_type.eq(content_type),
                image_variants::data.eq(variant.data.as_slice()),
            ))
            .execute(conn)?;
    }
    Ok(image)
}

/// Deletes image `id` and its widths.
pub fn delete(conn: &mut DbConnection, id: i32) -> QueryResult<()> {
    diesel::delete(image_variants::table.filter(image_variants::image_id.eq(id))).execute(conn)?;
    diesel::delete(images::table.find(id)).execute(conn)?;
    Ok(())
}

/// Attaches their widths to `rows` (one query).
fn with_widths(conn: &mut DbConnection, rows: Vec<Image>) -> QueryResult<Vec<ImageEntry>> {
    let ids: Vec<i32> = rows.iter().map(|i| i.id).collect();
    let widths: Vec<(i32, i32)> = image_variants::table
        .filter(image_variants::image_id.eq_any(&ids))
        .select((image_variants::image_id, image_variants::width))
        .order((image_variants::image_id, image_variants::width.desc()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|image| {
            let mine = widths
                .iter()
                .filter(|(id, _)| *id == image.id)
                .map(|(_, w)| *w)
                .collect();
            ImageEntry {
                image,
                widths: mine,
            }
        })
        .collect())
}

/// The image `id` with its widths.
pub fn entry(conn: &mut DbConnection, image: Image) -> QueryResult<ImageEntry> {
    Ok(with_widths(conn, vec![image])?.remove(0))
}

/// Most images listed on one page.
pub const PAGE_SIZE: i64 = 100;

/// `owner`'s images, newest first (the latest [`PAGE_SIZE`]).
pub fn list_for_owner(conn: &mut DbConnection, owner: i32) -> QueryResult<Vec<ImageEntry>> {
    let rows = images::table
        .filter(images::owner_id.eq(owner))
        .order((images::created_at.desc(), images::id.desc()))
        .limit(PAGE_SIZE)
        .select(Image::as_select())
        .load(conn)?;
    with_widths(conn, rows)
}

/// The latest uploads of everyone, with their owners' names, newest first.
pub fn recent(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<(ImageEntry, String)>> {
    let rows: Vec<(Image, String)> = images::table
        .inner_join(users::table)
        .order((images::created_at.desc(), images::id.desc()))
        .limit(limit)
        .select((Image::as_select(), users::username))
        .load(conn)?;
    let (rows, names): (Vec<Image>, Vec<String>) = rows.into_iter().unzip();
    Ok(with_widths(conn, rows)?.into_iter().zip(names).collect())
}

/// A stored file: its media type and bytes.
pub struct StoredFile {
    /// `Content-Type`.
    pub content_type: String,
    /// The encoded file.
    pub data: Vec<u8>,
}

/// The file `/images/{key}-{width}.{ext}` names, if it exists with that extension.
pub fn file(
    conn: &mut DbConnection,
    key: &str,
    width: i32,
    ext: &str,
) -> QueryResult<Option<StoredFile>> {
    let found: Option<(String, String, Vec<u8>)> = image_variants::table
        .inner_join(images::table)
        .filter(images::url_key.eq(key))
        .filter(image_variants::width.eq(width))
        .select((
            images::format,
            image_variants::content_type,
            image_variants::data,
        ))
        .first(conn)
        .optional()?;
    Ok(found.and_then(|(format, content_type, data)| {
        let format = Format::from_stored(&format)?;
        (format.extension() == ext).then_some(StoredFile { content_type, data })
    }))
}

/// Splits `{key}-{width}.{ext}` (the last segment of an image URL).
pub fn parse_file_name(name: &str) -> Option<(&str, i32, &str)> {
    let (stem, ext) = name.rsplit_once('.')?;
    let (key, width) = stem.rsplit_once('-')?;
    let valid_key = key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit());
    let width: i32 = width.parse().ok().filter(|w| *w > 0)?;
    valid_key.then_some((key, width, ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_parse() {
        let key = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            parse_file_name(&format!("{key}-640.png")),
            Some((key, 640, "png"))
        );
        assert_eq!(parse_file_name("x-640.png"), None);
        assert_eq!(parse_file_name(&format!("{key}-0.png")), None);
        assert_eq!(parse_file_name(&format!("{key}.png")), None);
    }
}
