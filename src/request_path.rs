//! The request path as routed and as received: clients that join a base URL ending in `/` with a
//! path starting with `/` send `//clients/list`, and a signature was computed over what they sent.

use axum::http::Request;

/// The path a client sent, when [`tidy_path`] changed it: a signature was computed over this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPath(pub String);

/// Folds repeated slashes and drops a trailing one (`//clients/list/` is `/clients/list`), as
/// clients that join a base URL ending in `/` with a path starting with `/` send them. Routing
/// happens on the tidy path; the one received is kept for signature checks.
pub fn tidy_path<B>(request: &mut Request<B>) {
    let path = request.uri().path();
    let mut tidy = String::with_capacity(path.len());
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        tidy.push('/');
        tidy.push_str(segment);
    }
    if tidy.is_empty() {
        tidy.push('/');
    }
    if tidy == path {
        return;
    }
    let received = ReceivedPath(path.to_owned());
    let rebuilt = match request.uri().query() {
        Some(query) => format!("{tidy}?{query}"),
        None => tidy,
    };
    let mut parts = request.uri().clone().into_parts();
    if let Ok(path_and_query) = rebuilt.parse() {
        parts.path_and_query = Some(path_and_query);
        if let Ok(uri) = axum::http::Uri::from_parts(parts) {
            *request.uri_mut() = uri;
            request.extensions_mut().insert(received);
        }
    }
}
