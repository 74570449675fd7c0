//! Reading request bodies within the size limit, for both families' extractors; and answering
//! with a JSON body written already.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::{Map, Value};

use crate::config::Config;
use crate::error::RequestProblem;

/// Reads the whole body, refusing one over the configured size without buffering more than that,
/// or one that does not arrive within the read timeout. A body whose declared `Content-Length`
/// is over the size is refused before any of it is read: at once rather than after the read
/// timeout, and without the `100 Continue` that hyper sends when a body is first read, which
/// would invite the client to send it.
pub async fn read_limited(
    headers: &HeaderMap,
    body: Body,
    config: &Config,
) -> Result<Bytes, RequestProblem> {
    let limit = config.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(RequestProblem::BodyTooLarge { limit });
    }
    let mut collect = std::pin::pin!(Limited::new(body, limit).collect());
    // A small body has nearly always arrived with the head: then no timer is set for it.
    let now = std::future::poll_fn(|cx| {
        std::task::Poll::Ready(match collect.as_mut().poll(cx) {
            std::task::Poll::Ready(collected) => Some(collected),
            std::task::Poll::Pending => None,
        })
    })
    .await;
    let collected = match now {
        Some(collected) => collected,
        // Boxed: a timer is large, and nearly no request needs one.
        None => Box::pin(tokio::time::timeout(config.read_timeout, collect))
            .await
            .map_err(|_| RequestProblem::BodyTimeout)?,
    };
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if is_length_limit(&*error) => Err(RequestProblem::BodyTooLarge { limit }),
        Err(_) => Err(RequestProblem::BodyUnreadable),
    }
}

fn is_length_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.is::<LengthLimitError>() {
            return true;
        }
        current = error.source();
    }
    false
}

/// The media type of the request: `Content-Type` without its parameters, lower-cased.
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = String::from_utf8_lossy(headers.get(header::CONTENT_TYPE)?.as_bytes());
    let essence = value.split(';').next().unwrap_or_default().trim();
    Some(essence.to_ascii_lowercase())
}

/// Reads a JSON object body. The media type must be `application/json` (or any `+json`), or
/// absent.
pub async fn read_json_object(
    request: Request,
    config: &Config,
) -> Result<Map<String, Value>, RequestProblem> {
    read_json(request, config, false).await
}

/// [`read_json_object`], with an empty body (or only white space) read as `{}`.
pub async fn read_optional_json_object(
    request: Request,
    config: &Config,
) -> Result<Map<String, Value>, RequestProblem> {
    read_json(request, config, true).await
}

async fn read_json(
    request: Request,
    config: &Config,
    empty_is_object: bool,
) -> Result<Map<String, Value>, RequestProblem> {
    let (parts, body) = request.into_parts();
    match media_type(&parts.headers) {
        None => {}
        Some(found) if found == "application/json" || found.ends_with("+json") => {}
        Some(found) => {
            return Err(RequestProblem::UnsupportedMediaType {
                found,
                expected: "application/json",
            });
        }
    }
    let bytes = read_limited(&parts.headers, body, config).await?;
    if empty_is_object && bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(RequestProblem::NotAnObject),
        Err(_) => Err(RequestProblem::MalformedJson),
    }
}

/// An answer whose JSON body was written already (a cached listing, a snapshot written straight
/// from the store): the bytes as they are, as `application/json`.
#[derive(Debug)]
pub struct RenderedJson(pub Bytes);

/// Writes `text` as a JSON string, quoted, escaped as serde_json escapes it.
pub fn write_json_str(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    write_json_text(out, text);
    out.push(b'"');
}

/// Writes `text` as the inside of a JSON string, escaped as serde_json escapes it: `"`, `\\` and
/// the control characters below U+0020; everything else (non-ASCII included) as it is. Text
/// without any of those, which is nearly all (ids, secrets, feature names, addresses), is copied
/// as it is.
pub fn write_json_text(out: &mut Vec<u8>, text: &str) {
    if !needs_escape(text.as_bytes()) {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    let mut quoted = Vec::with_capacity(text.len() + 8);
    // Writing a string into a vector cannot fail.
    let _ = serde_json::to_writer(&mut quoted, text);
    out.extend_from_slice(&quoted[1..quoted.len() - 1]);
}

/// Whether `text` holds a byte that JSON escapes. Sixteen bytes at a time, each block looked at
/// whole (no early exit inside it), which the compiler turns into vector instructions.
fn needs_escape(text: &[u8]) -> bool {
    let escaped = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    let mut blocks = text.chunks_exact(16);
    for block in &mut blocks {
        if block.iter().fold(false, |found, b| found | escaped(*b)) {
            return true;
        }
    }
    blocks.remainder().iter().any(|b| escaped(*b))
}

impl IntoResponse for RenderedJson {
    fn into_response(self) -> Response {
        ([(header::CONTENT_TYPE, "application/json")], self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn the_media_type_is_the_value_before_its_parameters_lower_cased() {
        let of = |value: &[u8]| {
            let mut headers = HeaderMap::new();
            let value = HeaderValue::from_bytes(value).expect("a header value");
            headers.insert(header::CONTENT_TYPE, value);
            media_type(&headers)
        };
        assert_eq!(of(b"application/json").as_deref(), Some("application/json"));
        assert_eq!(
            of(b" Application/JSON ; charset=utf-8").as_deref(),
            Some("application/json")
        );
        assert_eq!(
            of(b"text/\xe9t\xe9").as_deref(),
            Some("text/\u{fffd}t\u{fffd}")
        );
        assert_eq!(media_type(&HeaderMap::new()), None);
    }
}
