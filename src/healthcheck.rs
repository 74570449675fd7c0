//! `janrain-emulator healthcheck`: asks a running emulator for `/__emulator/health` and sets the
//! exit status, for container images that have no curl.

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{Request, Uri, header};
use http_body_util::Empty;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::timeout;

/// The health URL of an emulator listening on `listen`: an unspecified address (`0.0.0.0`,
/// `::`) is reached through loopback.
pub fn url_for(listen: &str) -> Result<String, String> {
    url_of(listen, "/__emulator/health")
}

/// The URL of `path` on an emulator listening on `listen`, reached as [`url_for`] reaches it.
pub fn url_of(listen: &str, path: &str) -> Result<String, String> {
    let addr: SocketAddr = listen
        .parse()
        .map_err(|_| format!("{listen} is not an IP address and port"))?;
    let ip = match addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    Ok(format!("http://{}{path}", SocketAddr::new(ip, addr.port())))
}

/// The pause between two questions of a `healthcheck --wait-ms`.
const RETRY_PAUSE: Duration = Duration::from_millis(100);

/// The `healthcheck` command: asks `url`, or the health URL of `listen`, and says whether the
/// emulator is healthy, printing why not on standard error. With a `wait` it asks again, after
/// a short pause, until the emulator answers or `wait` has passed.
pub async fn run(url: Option<&str>, listen: &str, limit: Duration, wait: Duration) -> bool {
    let url = url.map_or_else(|| url_for(listen), |url| Ok(url.to_owned()));
    let verdict = match url {
        Ok(url) => check_within(&url, limit, wait).await,
        Err(error) => Err(error),
    };
    if let Err(error) = &verdict {
        // Never a panic when standard error is gone.
        let _ = writeln!(std::io::stderr(), "unhealthy: {error}");
    }
    verdict.is_ok()
}

/// Asks `url` until it answers healthy or `wait` has passed (once when `wait` is zero); the
/// error is the last try's.
pub(crate) async fn check_within(url: &str, limit: Duration, wait: Duration) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut tries = 1u32;
    loop {
        let error = match check(url, limit).await {
            Ok(()) => return Ok(()),
            Err(error) => error,
        };
        if tokio::time::Instant::now() + RETRY_PAUSE > deadline {
            return Err(if tries > 1 {
                format!("{error} (asked {tries} times in {wait:?})")
            } else {
                error
            });
        }
        tokio::time::sleep(RETRY_PAUSE).await;
        tries += 1;
    }
}

/// GETs `url` and succeeds on a 200 answer within `limit`.
pub async fn check(url: &str, limit: Duration) -> Result<(), String> {
    get(url, limit).await.map(drop)
}

/// GETs `url` (plain HTTP) and returns the body of a 2xx answer within `limit`.
pub async fn get(url: &str, limit: Duration) -> Result<Bytes, String> {
    let uri: Uri = url.parse().map_err(|e| format!("bad URL {url}: {e}"))?;
    let authority = uri
        .authority()
        .ok_or_else(|| format!("bad URL {url}: no host"))?
        .clone();
    let port = authority.port_u16().unwrap_or(80);
    let connect = TcpStream::connect((authority.host().trim_matches(['[', ']']), port));
    let stream = timeout(limit, connect)
        .await
        .map_err(|_| format!("{url}: no connection within {limit:?}"))?
        .map_err(|e| format!("{url}: {e}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    tokio::spawn(connection);
    let request = Request::get(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header(header::HOST, authority.as_str())
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    let answer = async {
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("{url}: HTTP {}", response.status()));
        }
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        Ok(body.to_bytes())
    };
    timeout(limit, answer)
        .await
        .map_err(|_| format!("{url}: no answer within {limit:?}"))?
}

#[cfg(test)]
mod tests {
    use super::url_for;

    #[test]
    fn unspecified_addresses_go_through_loopback() {
        assert_eq!(
            url_for("0.0.0.0:8080").as_deref(),
            Ok("http://127.0.0.1:8080/__emulator/health")
        );
        assert_eq!(
            url_for("[::]:9000").as_deref(),
            Ok("http://[::1]:9000/__emulator/health")
        );
        assert_eq!(
            url_for("127.0.0.2:1").as_deref(),
            Ok("http://127.0.0.2:1/__emulator/health")
        );
        assert!(url_for("localhost:8080").is_err());
    }
}
