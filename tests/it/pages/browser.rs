//! A tiny browser for page tests: keeps the session cookie (awc has no cookie jar),
//! never follows redirects (tests check them), and reads CSRF tokens out of forms.

use std::cell::RefCell;
use std::collections::BTreeMap;

use awc::http::StatusCode;

use crate::helpers::TestApp;

/// The password every test account gets.
pub const PASSWORD: &str = "password123";

/// A page or redirect as received.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub headers: awc::http::header::HeaderMap,
    pub body: String,
}

impl Page {
    /// Where a redirect points.
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Asserts a 303 to `to`.
    pub fn assert_redirect(&self, to: &str) {
        assert_eq!(self.status, StatusCode::SEE_OTHER, "{}", self.body);
        assert_eq!(self.location(), to);
    }

    /// Asserts the status and returns the body.
    pub fn expect(&self, status: StatusCode) -> &str {
        assert_eq!(self.status, status, "{}", self.body);
        &self.body
    }

    /// The first CSRF token in a form of this page.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self
            .body
            .find(marker)
            .expect("page has a form with a CSRF token")
            + marker.len();
        let end = self.body[start..].find('"').expect("token ends") + start;
        self.body[start..end].to_owned()
    }

    /// How many times `needle` occurs.
    pub fn count(&self, needle: &str) -> usize {
        self.body.matches(needle).count()
    }
}

/// A client with a cookie jar.
pub struct Browser {
    base: String,
    client: awc::Client,
    cookies: RefCell<BTreeMap<String, String>>,
}

impl Browser {
    /// A fresh browser (no cookies) for `app`.
    pub fn new(app: &TestApp) -> Self {
        Self {
            base: app.address.clone(),
            client: awc::Client::builder()
                .disable_redirects()
                .timeout(std::time::Duration::from_secs(30))
                .finish(),
            cookies: RefCell::new(BTreeMap::new()),
        }
    }

    /// The same browser (its cookies copied) pointed at another instance of the site.
    pub fn at(&self, base: &str) -> Self {
        Self {
            base: base.to_owned(),
            client: self.client.clone(),
            cookies: RefCell::new(self.cookies.borrow().clone()),
        }
    }

    /// The `Cookie` header this browser sends.
    pub fn cookie_header(&self) -> String {
        self.cookies
            .borrow()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The raw `Set-Cookie` values of the last responses are kept here.
    fn keep_cookies(&self, headers: &awc::http::header::HeaderMap) {
        for value in headers.get_all("set-cookie") {
            let Ok(text) = value.to_str() else { continue };
            let pair = text.split(';').next().unwrap_or_default();
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let expired = text.to_ascii_lowercase().contains("max-age=0");
            let mut jar = self.cookies.borrow_mut();
            if value.is_empty() || expired {
                jar.remove(name.trim());
            } else {
                jar.insert(name.trim().to_owned(), value.to_owned());
            }
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Page {
        let mut request = self.client.get(format!("{}{path}", self.base));
        let cookies = self.cookie_header();
        if !cookies.is_empty() {
            request = request.insert_header(("Cookie", cookies));
        }
        let mut response = request.send().await.expect("GET is answered");
        let body = response.body().limit(10 * 1024 * 1024).await.expect("body");
        self.keep_cookies(response.headers());
        Page {
            status: response.status(),
            headers: response.headers().clone(),
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    /// `POST path` with exactly these form fields (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut request = self.client.post(format!("{}{path}", self.base));
        let cookies = self.cookie_header();
        if !cookies.is_empty() {
            request = request.insert_header(("Cookie", cookies));
        }
        let mut response = request.send_form(&fields).await.expect("POST is answered");
        let body = response.body().limit(10 * 1024 * 1024).await.expect("body");
        self.keep_cookies(response.headers());
        Page {
            status: response.status(),
            headers: response.headers().clone(),
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    /// Opens `page` for its CSRF token, then posts `fields` with it to `action`, as a
    /// person filling a form there would.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.get(page).await.csrf();
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", &token)];
        all.extend_from_slice(fields);
        self.post_raw(action, &all).await
    }

    /// Signs up `username` through the form (email `username@example.com`).
    pub async fn sign_up(&self, username: &str) {
        let email = format!("{username}@example.com");
        self.submit(
            "/register",
            "/register",
            &[
                ("username", username),
                ("email", &email),
                ("password", PASSWORD),
            ],
        )
        .await
        .assert_redirect("/");
    }

    /// Signs in an account made through the API with [`TestApp::register`].
    pub async fn sign_in(&self, username: &str) {
        let email = format!("{username}@example.com");
        self.submit(
            "/login",
            "/login",
            &[("email", &email), ("password", PASSWORD)],
        )
        .await
        .assert_redirect("/");
    }

    /// Whether a cookie is held.
    pub fn has_cookie(&self, name: &str) -> bool {
        self.cookies.borrow().contains_key(name)
    }
}
