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
use axum::response::Response;

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
                return Err(ApiError::Forbidden(format!(
                    "host {} is not served here: add it to ALLOWED_HOSTS",
                    crate::ingest::echo(h)
                )))
            }
        }
    }
    if writes(req.method())
        && from_another_site(req.headers(), &http.allowed_origins)
        && !has_token(&st, &req)
    {
        return Err(ApiError::Forbidden(
            "requests from pages of other sites need a token (or the site in ALLOWED_ORIGINS)"
                .into(),
        ));
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
