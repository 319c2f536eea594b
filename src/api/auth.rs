//! Bearer-token checks. `/api/admin/*`: `ADMIN_TOKEN` when set, otherwise
//! loopback clients only. `/api/events` (and `/v1`): `API_TOKEN` when set.

use super::{ApiError, AppState};
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::net::{IpAddr, SocketAddr};

/// Compares without an early exit on the first differing byte (`subtle`).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    subtle::ConstantTimeEq::ct_eq(a, b).into()
}

/// The token of an `Authorization: Bearer …` header (the one parser of it).
pub(super) fn bearer(req: &Request) -> Option<&str> {
    req.headers()
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Headers a reverse proxy adds: a request carrying one came from further
/// away than its loopback peer address says.
const PROXY_HEADERS: [&str; 3] = ["forwarded", "x-forwarded-for", "x-real-ip"];

/// Whether the request carries a proxy header.
pub fn proxied(headers: &axum::http::HeaderMap) -> bool {
    PROXY_HEADERS.iter().any(|h| headers.contains_key(*h))
}

/// The admin rule, on its own for tests. Without a token: loopback peers
/// only (IPv4-mapped IPv6 loopback included), and never through a proxy.
pub fn authorize_admin(
    token: Option<&str>,
    presented: Option<&str>,
    peer: Option<IpAddr>,
    proxied: bool,
) -> Result<(), ApiError> {
    match token {
        Some(t) => match presented {
            Some(p) if constant_time_eq(p.as_bytes(), t.as_bytes()) => Ok(()),
            _ => Err(ApiError::Unauthorized(
                "admin routes need Authorization: Bearer <ADMIN_TOKEN>".into(),
            )),
        },
        None if proxied => Err(ApiError::Forbidden(
            "admin requests through a proxy (Forwarded, X-Forwarded-For or X-Real-IP) need ADMIN_TOKEN"
                .into(),
        )),
        None if peer.is_some_and(|ip| ip.to_canonical().is_loopback()) => Ok(()),
        None => Err(ApiError::Forbidden(
            "admin routes answer only loopback clients while ADMIN_TOKEN is not set".into(),
        )),
    }
}

/// The API rule: open unless `API_TOKEN` is set.
pub fn authorize_api(token: Option<&str>, presented: Option<&str>) -> Result<(), ApiError> {
    match token {
        None => Ok(()),
        Some(t) => match presented {
            Some(p) if constant_time_eq(p.as_bytes(), t.as_bytes()) => Ok(()),
            _ => Err(ApiError::Unauthorized(
                "this API needs Authorization: Bearer <API_TOKEN>".into(),
            )),
        },
    }
}

fn peer(req: &Request) -> Option<IpAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

pub async fn admin(
    State(st): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    authorize_admin(
        st.settings.admin_token.as_deref(),
        bearer(&req),
        peer(&req),
        proxied(req.headers()),
    )?;
    Ok(next.run(req).await)
}

pub async fn api(
    State(st): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    authorize_api(st.settings.api_token.as_deref(), bearer(&req))?;
    Ok(next.run(req).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_rules() {
        let lo: Option<IpAddr> = Some("127.0.0.1".parse().unwrap());
        let lo6: Option<IpAddr> = Some("::1".parse().unwrap());
        let mapped: Option<IpAddr> = Some("::ffff:127.0.0.1".parse().unwrap());
        let remote: Option<IpAddr> = Some("192.0.2.7".parse().unwrap());
        let mapped_remote: Option<IpAddr> = Some("::ffff:192.0.2.7".parse().unwrap());
        assert!(authorize_admin(None, None, lo, false).is_ok());
        assert!(authorize_admin(None, None, lo6, false).is_ok());
        assert!(authorize_admin(None, None, mapped, false).is_ok());
        assert!(matches!(
            authorize_admin(None, None, lo, true),
            Err(ApiError::Forbidden(_))
        ));
        for peer in [remote, mapped_remote, None] {
            assert!(matches!(
                authorize_admin(None, None, peer, false),
                Err(ApiError::Forbidden(_))
            ));
        }
        assert!(authorize_admin(Some("s3cret"), Some("s3cret"), remote, true).is_ok());
        assert!(matches!(
            authorize_admin(Some("s3cret"), Some("s3cres"), lo, false),
            Err(ApiError::Unauthorized(_))
        ));
        assert!(matches!(
            authorize_admin(Some("s3cret"), None, lo, false),
            Err(ApiError::Unauthorized(_))
        ));
        assert!(authorize_api(None, None).is_ok());
        assert!(authorize_api(Some("t"), Some("t")).is_ok());
        assert!(authorize_api(Some("t"), Some("tt")).is_err());
        assert!(
            constant_time_eq(b"abc", b"abc")
                && !constant_time_eq(b"abc", b"abd")
                && !constant_time_eq(b"a", b"ab")
        );
    }
}
