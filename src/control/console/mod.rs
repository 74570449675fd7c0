//! The console page, `/__emulator/ui`: a page for looking at and changing the fake tenant by hand.
//!
//! Its three files are plain HTML, CSS and JavaScript, written by hand and embedded in the
//! binary at compile time, so the page needs no build step and no files beside the binary. The
//! script uses only the control plane and the public APIs (with an owner client's credentials
//! from the snapshot), so everything the page does can also be scripted.

use axum::http::header::{self, HeaderName};
use axum::response::IntoResponse;

/// `default-src 'none'` with only what the page uses, all from the emulator itself: no inline
/// script or style, nothing from elsewhere.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    let headers: [(HeaderName, &'static str); 5] = [
        (header::CONTENT_TYPE, content_type),
        (header::CACHE_CONTROL, "no-cache"),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    (headers, body)
}

/// `GET /__emulator/ui`: the console page.
#[utoipa::path(
    get,
    path = "/__emulator/ui",
    summary = "The console page",
    responses((status = 200, description = "The page", content_type = "text/html", body = String))
)]
pub async fn page() -> impl IntoResponse {
    asset("text/html; charset=utf-8", include_str!("index.html"))
}

/// `GET /__emulator/ui/console.js`: the console page's script.
#[utoipa::path(
    get,
    path = "/__emulator/ui/console.js",
    summary = "The console page's script",
    responses((status = 200, description = "The script", content_type = "text/javascript", body = String))
)]
pub async fn script() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

/// `GET /__emulator/ui/console.css`: the console page's style sheet.
#[utoipa::path(
    get,
    path = "/__emulator/ui/console.css",
    summary = "The console page's style sheet",
    responses((status = 200, description = "The style sheet", content_type = "text/css", body = String))
)]
pub async fn style() -> impl IntoResponse {
    asset("text/css; charset=utf-8", include_str!("console.css"))
}

/// The console page's script, one file for the browser, kept as three under `script/` so that
/// each stays readable: the page's state, calls and client list; its dialogs; the journal, fault
/// and settings panels. Concatenated in that order.
const SCRIPT: &str = concat!(
    include_str!("script/1-page.js"),
    include_str!("script/2-dialogs.js"),
    include_str!("script/3-panels.js"),
);
