//! What crawlers read: `robots.txt`, and `sitemap.xml` as a sitemap index of files of
//! at most 50,000 article URLs each (`/sitemap-{n}.xml`), so it holds at a million
//! articles. Every URL is absolute, from `CONDUIT_PUBLIC_URL`.

use actix_web::{HttpRequest, HttpResponse, web};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::PageResult;
use super::home::path_segment;
use super::syndication::{document_response, off_worker};
use crate::app::{answers, discovery};
use crate::cache::CachedBody;
use crate::error::AppError;
use crate::state::AppState;

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const XML: &str = "application/xml; charset=utf-8";

/// `GET /robots.txt`: crawlers stay out of accounts, forms and the admin area, and are
/// pointed at the sitemap.
pub async fn robots(state: web::Data<AppState>) -> HttpResponse {
    let body = format!(
        "User-agent: *\n\
         Disallow: /admin\n\
         Disallow: /settings\n\
         Disallow: /editor\n\
         Disallow: /notifications\n\
         Disallow: /report\n\
         Disallow: /login\n\
         Disallow: /register\n\
         Disallow: /unsubscribe/\n\
         Disallow: /*/delete\n\
         \n\
         Sitemap: {}/sitemap.xml\n",
        state.public_url
    );
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(body)
}

/// `GET /sitemap.xml`: the index of the sitemap files.
pub async fn index(state: web::Data<AppState>, req: HttpRequest) -> PageResult {
    let body = answers::shared_document(&state.app, "/sitemap.xml", || async {
        let pages = discovery::sitemap_pages(&state.app).await?;
        let newest = pages.iter().filter_map(|p| p.lastmod).max();
        let xml = xml_document("sitemapindex", |w| {
            for page in &pages {
                let loc = format!("{}/sitemap-{}.xml", state.public_url, page.number);
                element(w, "sitemap", |w| {
                    text_element(w, "loc", &loc)?;
                    if let Some(at) = page.lastmod {
                        text_element(w, "lastmod", &w3c(at))?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })?;
        Ok(CachedBody::dated(xml, newest))
    })
    .await?;
    Ok(document_response(&req, &body, XML))
}

/// `GET /sitemap-{number}.xml`: up to 50,000 articles with their last edit (the first
/// file also lists the home page). 404 past the last file.
pub async fn file(
    state: web::Data<AppState>,
    req: HttpRequest,
    number: web::Path<String>,
) -> PageResult {
    let number: i64 = number
        .trim_end_matches(".xml")
        .parse()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or(AppError::NotFound("sitemap"))?;
    let path = format!("/sitemap-{number}.xml");
    let body = answers::shared_document(&state.app, &path, || async {
        let entries = discovery::sitemap_entries(&state.app, number).await?;
        if entries.is_empty() && number > 1 {
            return Err(AppError::NotFound("sitemap"));
        }
        let newest = entries.iter().map(|(_, at)| *at).max();
        let site = state.public_url.clone();
        // Up to 50,000 URLs written out and gzipped: not on an async worker.
        off_worker(move || {
            let xml = xml_document("urlset", |w| {
                if number == 1 {
                    element(w, "url", |w| text_element(w, "loc", &format!("{site}/")))?;
                }
                for (slug, at) in &entries {
                    element(w, "url", |w| {
                        let loc = format!("{site}/article/{}", path_segment(slug));
                        text_element(w, "loc", &loc)?;
                        text_element(w, "lastmod", &w3c(*at))
                    })?;
                }
                Ok(())
            })?;
            Ok(CachedBody::dated(xml, newest))
        })
        .await
    })
    .await?;
    Ok(document_response(&req, &body, XML))
}

/// A time as sitemaps want it (W3C datetime, UTC).
fn w3c(at: chrono::NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

type XmlWriter = Writer<Vec<u8>>;
type XmlResult = Result<(), std::io::Error>;

/// A sitemap document: the declaration and a `root` element in the sitemap namespace.
fn xml_document(
    root: &str,
    body: impl FnOnce(&mut XmlWriter) -> XmlResult,
) -> Result<String, AppError> {
    let written = (|| {
        let mut w = Writer::new(Vec::new());
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        w.write_event(Event::Start(
            BytesStart::new(root).with_attributes([("xmlns", SITEMAP_NS)]),
        ))?;
        body(&mut w)?;
        w.write_event(Event::End(BytesEnd::new(root)))?;
        Ok::<_, std::io::Error>(w.into_inner())
    })()
    .map_err(|e| AppError::Internal(format!("sitemap: {e}")))?;
    String::from_utf8(written).map_err(|e| AppError::Internal(format!("sitemap: {e}")))
}

fn element(
    w: &mut XmlWriter,
    name: &str,
    body: impl FnOnce(&mut XmlWriter) -> XmlResult,
) -> XmlResult {
    w.write_event(Event::Start(BytesStart::new(name)))?;
    body(w)?;
    w.write_event(Event::End(BytesEnd::new(name)))
}

fn text_element(w: &mut XmlWriter, name: &str, text: &str) -> XmlResult {
    element(w, name, |w| {
        w.write_event(Event::Text(BytesText::new(text)))
    })
}
