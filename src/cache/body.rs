//! Whole responses kept in the caches (article pages, feeds, sitemaps): the bytes with
//! their ETag and a gzipped copy, both computed once when cached.

use std::sync::Arc;

use actix_web::web::Bytes;

/// A serialized response with its strong ETag, computed once when cached.
#[derive(Debug, Clone)]
pub struct CachedBody {
    /// The JSON.
    pub bytes: Bytes,
    /// The same, gzipped once when cached (`None` when too small to gain): most clients
    /// accept gzip, and compressing a feed on every request would cost more than
    /// serving it.
    pub gzip: Option<Bytes>,
    /// `"…"`, quoted as the header wants it.
    pub etag: String,
    /// When what it shows last changed, as an HTTP date, for `Last-Modified`.
    pub last_modified: Option<String>,
}

/// Bodies smaller than this are sent as they are.
const GZIP_FROM_BYTES: usize = 1024;

fn gzipped(bytes: &[u8]) -> Option<Bytes> {
    use std::io::Write;
    if bytes.len() < GZIP_FROM_BYTES {
        return None;
    }
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 3),
        flate2::Compression::default(),
    );
    encoder.write_all(bytes).ok()?;
    let out = encoder.finish().ok()?;
    (out.len() < bytes.len()).then(|| Bytes::from(out))
}

/// Whether the request's `Accept-Encoding` takes gzip (by name or `*`, not at `q=0`).
pub fn accepts_gzip(req: &actix_web::HttpRequest) -> bool {
    let Some(value) = req
        .headers()
        .get(actix_web::http::header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    value.split(',').any(|part| {
        let mut pieces = part.split(';').map(str::trim);
        let name = pieces.next().unwrap_or_default();
        let refused = pieces.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
    })
}

impl CachedBody {
    /// `bytes` with their ETag, ready to cache.
    pub fn new(bytes: impl Into<Bytes>) -> Arc<Self> {
        Self::dated(bytes, None)
    }

    /// `bytes` that show content last changed at `changed` (a UTC time).
    pub fn dated(bytes: impl Into<Bytes>, changed: Option<chrono::NaiveDateTime>) -> Arc<Self> {
        let bytes = bytes.into();
        Arc::new(Self {
            etag: etag_for(&bytes),
            gzip: gzipped(&bytes),
            bytes,
            last_modified: changed.map(|at| at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()),
        })
    }

    /// Bytes held, for the caches' weighers.
    pub fn weight(&self) -> usize {
        self.bytes.len() + self.gzip.as_ref().map_or(0, Bytes::len)
    }

    /// A 200 of these bytes as `content_type`, with their ETag (and Last-Modified);
    /// gzipped when `gzip_ok` (see [`accepts_gzip`]) and worth it.
    pub fn response(&self, content_type: &'static str, gzip_ok: bool) -> actix_web::HttpResponse {
        use actix_web::http::header;
        let mut response = actix_web::HttpResponse::Ok();
        response
            .content_type(content_type)
            .insert_header((header::ETAG, self.etag.as_str()));
        if let Some(date) = &self.last_modified {
            response.insert_header((header::LAST_MODIFIED, date.as_str()));
        }
        if self.gzip.is_some() {
            response.append_header((header::VARY, "Accept-Encoding"));
        }
        match &self.gzip {
            // Already encoded: the compression middleware leaves it alone.
            Some(gzip) if gzip_ok => response
                .insert_header((header::CONTENT_ENCODING, "gzip"))
                .body(gzip.clone()),
            _ => response.body(self.bytes.clone()),
        }
    }
}

/// A strong ETag for `bytes`: the first 128 bits of their SHA-256, quoted.
pub fn etag_for(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(bytes);
    format!("\"{}\"", hex::encode(&digest[..16]))
}
