//! Reading request bodies within the size limit, for both families' extractors.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::{Map, Value};

use crate::error::RequestProblem;

/// Reads the whole body, refusing one over `limit` bytes without buffering more than that, or
/// one that does not arrive within `time`.
pub async fn read_limited(
    body: Body,
    limit: usize,
    time: Duration,
) -> Result<Bytes, RequestProblem> {
    let collected = tokio::time::timeout(time, Limited::new(body, limit).collect())
        .await
        .map_err(|_| RequestProblem::BodyTimeout)?;
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

/// The media type of the request (`Content-Type` without parameters, lower-cased), if any.
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?;
    let text = String::from_utf8_lossy(value.as_bytes());
    let essence = text.split(';').next().unwrap_or_default().trim();
    Some(essence.to_ascii_lowercase())
}

/// Reads a JSON object body. The media type must be `application/json` (or any `+json`), or
/// absent.
pub async fn read_json_object(
    request: Request,
    limit: usize,
    time: Duration,
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
    let bytes = read_limited(body, limit, time).await?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(RequestProblem::NotAnObject),
        Err(_) => Err(RequestProblem::MalformedJson),
    }
}
