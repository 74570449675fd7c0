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
    if is_tidy(path) {
        return;
    }
    // Not tidy, so tidying changes it (`a_tidy_path_is_its_own_tidy_form`).
    let tidy = tidied(path);
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

/// Whether `path` is its own [`tidied`] form, as nearly every path is: one leading slash, no
/// empty segment, no trailing slash. Answered without building the tidy form.
fn is_tidy(path: &str) -> bool {
    path == "/" || (path.starts_with('/') && !path.ends_with('/') && !path.contains("//"))
}

/// `path` with repeated slashes folded and a trailing one dropped, starting with one slash.
fn tidied(path: &str) -> String {
    let mut tidy = String::with_capacity(path.len());
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        tidy.push('/');
        tidy.push_str(segment);
    }
    if tidy.is_empty() {
        tidy.push('/');
    }
    tidy
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// A path is tidy exactly when tidying it changes nothing.
        #[test]
        fn a_tidy_path_is_its_own_tidy_form(path in "[/a-z.*]{0,12}") {
            proptest::prop_assert_eq!(is_tidy(&path), tidied(&path) == path);
        }
    }

    #[test]
    fn repeated_and_trailing_slashes_are_folded() {
        let mut request = Request::get("//clients//list/?a=1")
            .body(())
            .expect("request");
        tidy_path(&mut request);
        assert_eq!(request.uri(), "/clients/list?a=1");
        assert_eq!(
            request.extensions().get::<ReceivedPath>(),
            Some(&ReceivedPath("//clients//list/".into()))
        );
        let mut request = Request::get("/clients/list").body(()).expect("request");
        tidy_path(&mut request);
        assert_eq!(request.uri(), "/clients/list");
        assert_eq!(request.extensions().get::<ReceivedPath>(), None);
    }
}
