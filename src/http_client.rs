//! Outbound HTTPS (model downloads, the extract webhook, the S3 client):
//! TLS through rustls, verified against the system's certificate store, or
//! against Mozilla's roots bundled in the binary where the system has none
//! (a minimal container without `ca-certificates`), so that a machine
//! without a store still starts, downloads and reaches its bucket.

use reqwest::{Certificate, Client, ClientBuilder};

/// Builds a client from `configure(Client::builder())`: the system's
/// roots first, the bundled ones when the system's cannot be loaded.
pub fn build(configure: impl Fn(ClientBuilder) -> ClientBuilder) -> reqwest::Result<Client> {
    match configure(Client::builder()).build() {
        Ok(client) => Ok(client),
        Err(error) => {
            warn_bundled(&error);
            configure(Client::builder())
                .tls_certs_only(bundled_der().filter_map(|der| Certificate::from_der(der).ok()))
                .build()
        }
    }
}

/// Whether a client can be built on the system's certificate store alone;
/// when not, says so (once per call) in the log.
pub fn system_roots_usable() -> bool {
    match Client::builder().build() {
        Ok(_) => true,
        Err(error) => {
            warn_bundled(&error);
            false
        }
    }
}

/// Mozilla's root certificates as built into the binary, DER-encoded.
pub fn bundled_der() -> impl Iterator<Item = &'static [u8]> {
    webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|der| der.as_ref())
}

fn warn_bundled(error: &reqwest::Error) {
    tracing::warn!(
        error = %error,
        "the system's TLS certificates could not be loaded; using the bundled roots"
    );
}
