//! The plain listener as an HTTP proxy, for Janrain's hosts only.
//!
//! `CONNECT <realm>.janraincapture.com:443` (or `v1.api.<region>.janrain.com`, any port) opens a
//! tunnel that ends here: the client's TLS handshake is answered with a leaf of the local CA for
//! the name it asks for, and its requests are served as on the TLS listener. An absolute-form
//! request (`POST http://<realm>.janraincapture.com/...`) for such a host is served as it is.
//! Every other target is refused with 403 and a one-line reason (`{"error": "refused: ..."}`); the emulator never opens a
//! connection anywhere, so it cannot be an open proxy whatever it is asked.

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, Version, header};
use axum::response::{IntoResponse as _, Response};

use crate::control::ControlError;
use crate::hostnames::{self, ProxyTarget};

/// Which listener a connection arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// Plain HTTP, which also answers as a proxy for Janrain's hosts.
    Plain,
    /// TLS, on `--https-listen` or inside a proxy's tunnel.
    Tls,
}

/// What the proxy makes of a request.
#[derive(Debug)]
pub enum Intercept {
    /// Not a proxy request, or one for a Janrain host: the router answers it.
    Pass,
    /// A tunnel to open to the named Janrain host.
    Tunnel(String),
    /// Refused: this is the answer.
    Answer(Response),
}

/// Decides what to do with `request`, which arrived on `listener`.
pub fn intercept<B>(request: &Request<B>, listener: Listener) -> Intercept {
    let uri = request.uri();
    let authority_form = uri.scheme().is_none() && uri.authority().is_some();
    if request.method() == Method::CONNECT && authority_form {
        let authority = uri.authority().map_or("", |a| a.as_str());
        if listener != Listener::Plain {
            return refuse(
                authority,
                "a tunnel is opened on the emulator's plain HTTP listener only".to_owned(),
            );
        }
        return match hostnames::proxy_target(authority, true) {
            Ok(ProxyTarget { host, .. }) => {
                tracing::debug!(%host, "proxy tunnel accepted");
                Intercept::Tunnel(host)
            }
            Err(refusal) => refuse(authority, refusal.to_string()),
        };
    }
    // HTTP/2 always carries the authority; only HTTP/1's absolute form is a proxy request.
    let absolute_form = request.version() <= Version::HTTP_11 && uri.scheme().is_some();
    if absolute_form {
        let authority = uri.authority().map_or("", |a| a.as_str());
        if let Err(refusal) = hostnames::proxy_target(authority, false) {
            return refuse(authority, refusal.to_string());
        }
    }
    Intercept::Pass
}

/// The answer to an accepted `CONNECT`: the connection becomes the tunnel.
pub fn tunnel_opened() -> Response {
    Response::new(Body::empty())
}

/// 403 with the reason on one line, in the control plane's shape (the proxy is the emulator's
/// own, not a family's), by its renderer; the connection closes after it, since a client
/// refused its tunnel has nothing more to send.
fn refuse(target: &str, reason: String) -> Intercept {
    let target = hostnames::shown(target);
    tracing::info!(%target, %reason, "proxy request refused");
    let mut response = ControlError::Refused(reason).into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    Intercept::Answer(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    fn connect(authority: &str) -> Request<()> {
        Request::builder()
            .method(Method::CONNECT)
            .uri(authority)
            .body(())
            .expect("request")
    }

    #[test]
    fn tunnels_open_to_janrain_hosts_on_the_plain_listener_only() {
        assert!(matches!(
            intercept(&connect("myrealm.janraincapture.com:443"), Listener::Plain),
            Intercept::Tunnel(host) if host == "myrealm.janraincapture.com"
        ));
        assert!(matches!(
            intercept(&connect("myrealm.janraincapture.com:443"), Listener::Tls),
            Intercept::Answer(_)
        ));
        for refused in ["example.com:443", "127.0.0.1:8080", "localhost:8080"] {
            let Intercept::Answer(answer) = intercept(&connect(refused), Listener::Plain) else {
                panic!("{refused} was not refused");
            };
            assert_eq!(answer.status(), StatusCode::FORBIDDEN);
        }
    }

    #[test]
    fn absolute_form_is_served_for_janrain_hosts_only() {
        let absolute = |uri: &str| Request::builder().uri(uri).body(()).expect("request");
        assert!(matches!(
            intercept(
                &absolute("http://x.janraincapture.com/clients/list"),
                Listener::Plain
            ),
            Intercept::Pass
        ));
        assert!(matches!(
            intercept(
                &absolute("http://example.com/clients/list"),
                Listener::Plain
            ),
            Intercept::Answer(_)
        ));
        assert!(matches!(
            intercept(&absolute("/clients/list"), Listener::Plain),
            Intercept::Pass
        ));
    }
}
