//! The site's static files, embedded in the binary so it runs from any directory.
//! Each URL carries a fingerprint of the file's contents (computed once at start-up),
//! so browsers may cache them forever and still see a new version after a deploy.

use sha2::{Digest, Sha256};

/// One embedded file.
struct Embedded {
    path: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const FILES: &[Embedded] = &[
    Embedded {
        path: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../static/app.css"),
    },
    Embedded {
        path: "highlight.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../static/highlight.css"),
    },
    Embedded {
        path: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../static/app.js"),
    },
    Embedded {
        path: "live.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../static/live.js"),
    },
    Embedded {
        path: "image_upload.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../static/image_upload.js"),
    },
    Embedded {
        path: "graphql_explorer.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../static/graphql_explorer.js"),
    },
    Embedded {
        path: "img/default-avatar.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../static/img/default-avatar.svg"),
    },
    Embedded {
        path: "img/favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../static/img/favicon.svg"),
    },
];

/// A static file ready to serve.
pub struct Asset {
    /// `Content-Type` header value.
    pub content_type: &'static str,
    /// The file.
    pub bytes: &'static [u8],
}

/// Fingerprinted URLs of the static files, as templates link them.
#[derive(Debug, Clone)]
pub struct Assets {
    /// The stylesheet.
    pub css: String,
    /// Colours of highlighted code (generated from syntect themes).
    pub highlight_css: String,
    /// The script (debug hook and progressive enhancement).
    pub js: String,
    /// Live updates of the open page (comments, the bell, new articles).
    pub live: String,
    /// The editor's image upload (see `templates/partials/image_upload.html`).
    pub image_upload: String,
    /// The GraphQL explorer's script (see `templates/pages/graphql_explorer.html`).
    pub graphql_explorer: String,
    /// The avatar shown when a user has no image.
    pub default_avatar: String,
    /// The tab icon.
    pub favicon: String,
}

impl Assets {
    /// Hashes every embedded file once.
    pub fn fingerprint() -> Self {
        Self {
            css: url_of("app.css"),
            highlight_css: url_of("highlight.css"),
            js: url_of("app.js"),
            live: url_of("live.js"),
            image_upload: url_of("image_upload.js"),
            graphql_explorer: url_of("graphql_explorer.js"),
            default_avatar: url_of("img/default-avatar.svg"),
            favicon: url_of("img/favicon.svg"),
        }
    }

    /// The embedded file at `path` (relative to `/static/`).
    pub fn get(path: &str) -> Option<Asset> {
        FILES.iter().find(|f| f.path == path).map(|f| Asset {
            content_type: f.content_type,
            bytes: f.bytes,
        })
    }
}

fn url_of(path: &str) -> String {
    let bytes = FILES
        .iter()
        .find(|f| f.path == path)
        .map(|f| f.bytes)
        .unwrap_or_default();
    let digest = Sha256::digest(bytes);
    format!("/static/{path}?v={}", hex::encode(&digest[..6]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_a_content_fingerprint() {
        let assets = Assets::fingerprint();
        assert!(assets.css.starts_with("/static/app.css?v="));
        assert!(assets.default_avatar.contains("default-avatar.svg"));
        assert_eq!(assets.css.len(), "/static/app.css?v=".len() + 12);
        assert!(Assets::get("app.js").is_some());
        assert!(assets.highlight_css.starts_with("/static/highlight.css?v="));
        assert!(Assets::get("highlight.css").is_some());
        assert!(Assets::get("../Cargo.toml").is_none());
    }
}
