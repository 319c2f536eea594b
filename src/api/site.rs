//! Requests from other sites. A browser lets any page it shows send
//! requests to the service: with a DNS name that points at it (rebinding)
//! or with a plain cross-site form or `fetch`. So:
//!
//! - a request whose `Host` is a name that is neither a loopback name, an IP
//!   address, `ALLOWED_HOSTS` nor `NODE_ADDRESS`'s host is refused (403);
//! - a state-changing request (not GET, HEAD or OPTIONS) that a browser
//!   marks as coming from another site (`Origin` that is not the request's
//!   own nor in `ALLOWED_ORIGINS`, or `Sec-Fetch-Site: cross-site`) is
//!   refused (403) unless it carries a valid token. The service's own page
//!   is same-origin and keeps working.

use super::{ApiError, AppState};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub use crate::config::host_name;

/// Whether a request for `host` may be answered.
pub fn host_allowed(host: &str, allowed: &[String]) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host.parse::<std::net::IpAddr>().is_ok()
        || allowed.iter().any(|a| a == "*" || a == host)
}

/// Whether a browser marks the request as sent by a page of another site.
pub fn from_another_site(headers: &HeaderMap, allowed_origins: &[String]) -> bool {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin
            .to_str()
            .unwrap_or("null")
            .trim()
            .to_ascii_lowercase();
        let own = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|h| h.trim().to_ascii_lowercase());
        let same = own.is_some_and(|host| {
            origin == format!("http://{host}") || origin == format!("https://{host}")
        });
        if !same && !allowed_origins.iter().any(|a| *a == origin || a == "*") {
            return true;
        }
    }
    headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"))
}

fn writes(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether the request carries `API_TOKEN` or `ADMIN_TOKEN`.
fn has_token(st: &AppState, req: &Request) -> bool {
    let Some(presented) = super::auth::bearer(req) else {
        return false;
    };
    [&st.settings.api_token, &st.settings.admin_token]
        .into_iter()
        .flatten()
        .any(|t| super::auth::constant_time_eq(presented.as_bytes(), t.as_bytes()))
}

/// What a refused request's body may still be read for, so that a client
/// still sending it reads the 403 instead of a connection reset under it.
const LINGER_BYTES: usize = 8 << 20;
const LINGER: std::time::Duration = std::time::Duration::from_secs(5);

/// A 403 for `req`, after reading and dropping what remains of its body
/// (at most [`LINGER_BYTES`], for at most [`LINGER`]); the connection is
/// closed after it, so that no client reuses a connection whose request
/// was cut short.
async fn refuse(req: Request, why: String) -> Response {
    use futures_util::StreamExt;
    let mut body = req.into_body().into_data_stream();
    let drain = async {
        let mut read = 0;
        while let Some(Ok(chunk)) = body.next().await {
            read += chunk.len();
            if read > LINGER_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(LINGER, drain).await;
    let mut res = ApiError::Forbidden(why).into_response();
    res.headers_mut().insert(
        header::CONNECTION,
        axum::http::HeaderValue::from_static("close"),
    );
    res
}

/// The middleware: the two rules above, before any route.
pub async fn guard(
    State(st): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let http = &st.settings.http;
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    if let Some(h) = host {
        match host_name(h) {
            Some(name) if host_allowed(&name, &http.allowed_hosts) => {}
            _ => {
                let why = format!(
                    "host {} is not served here: add it to ALLOWED_HOSTS",
                    crate::ingest::echo(h)
                );
                return Ok(refuse(req, why).await);
            }
        }
    }
    if writes(req.method())
        && from_another_site(req.headers(), &http.allowed_origins)
        && !has_token(&st, &req)
    {
        let why =
            "requests from pages of other sites need a token (or the site in ALLOWED_ORIGINS)";
        return Ok(refuse(req, why.into()).await);
    }
    Ok(next.run(req).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names() {
        assert_eq!(host_name("LocalHost:8080").as_deref(), Some("localhost"));
        assert_eq!(host_name("[::1]:80").as_deref(), Some("::1"));
        assert_eq!(
            host_name("stt.example.com.").as_deref(),
            Some("stt.example.com")
        );
        let allowed = vec!["stt.example.com".to_string()];
        for ok in [
            "localhost",
            "app.localhost",
            "127.0.0.1",
            "10.1.2.3",
            "::1",
            "stt.example.com",
        ] {
            assert!(host_allowed(ok, &allowed), "{ok}");
        }
        for bad in ["evil.example", "localhost.evil.example", "example.com"] {
            assert!(!host_allowed(bad, &allowed), "{bad}");
        }
    }

    #[test]
    fn other_sites() {
        let h = |pairs: &[(&'static str, &'static str)]| {
            let mut m = HeaderMap::new();
            for (k, v) in pairs {
                m.insert(*k, v.parse().unwrap());
            }
            m
        };
        let none: Vec<String> = vec![];
        assert!(!from_another_site(&h(&[("host", "127.0.0.1:8080")]), &none));
        assert!(!from_another_site(
            &h(&[
                ("host", "127.0.0.1:8080"),
                ("origin", "http://127.0.0.1:8080")
            ]),
            &none
        ));
        assert!(from_another_site(
            &h(&[
                ("host", "127.0.0.1:8080"),
                ("origin", "https://evil.example")
            ]),
            &none
        ));
        assert!(from_another_site(
            &h(&[("host", "127.0.0.1:8080"), ("origin", "null")]),
            &none
        ));
        assert!(from_another_site(
            &h(&[("host", "127.0.0.1:8080"), ("sec-fetch-site", "cross-site")]),
            &none
        ));
        assert!(!from_another_site(
            &h(&[
                ("host", "127.0.0.1:8080"),
                ("origin", "https://app.example")
            ]),
            &["https://app.example".to_string()]
        ));
    }
}
