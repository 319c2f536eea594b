//! Outbound HTTP clients (model downloads, the extract webhook): TLS
//! through rustls, verified against the system's certificate store, or
//! against Mozilla's roots bundled in the binary where the system has none
//! (a minimal container without `ca-certificates`), so that a machine
//! without a store still starts and still downloads.

use reqwest::{Certificate, Client, ClientBuilder};

/// Builds a client from `configure(Client::builder())`: the system's
/// roots first, the bundled ones when the system's cannot be loaded.
pub fn build(configure: impl Fn(ClientBuilder) -> ClientBuilder) -> reqwest::Result<Client> {
    match configure(Client::builder()).build() {
        Ok(client) => Ok(client),
        Err(error) => {
            tracing::warn!(
                error = %error,
                "the system's TLS certificates could not be loaded; using the bundled roots"
            );
            configure(Client::builder())
                .tls_certs_only(bundled_roots())
                .build()
        }
    }
}

fn bundled_roots() -> impl Iterator<Item = Certificate> {
    webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .filter_map(|der| Certificate::from_der(der.as_ref()).ok())
}
