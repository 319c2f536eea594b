//! Which database and audio store a test runs on. By default SQLite and a
//! local folder. Under `scripts/with-pg-s3` (`SUSURRO_TEST_BACKEND=postgres`,
//! which `scripts/test` runs for the queue, lifecycle, end-to-end and
//! cluster tests) every data folder gets its own database on the real
//! PostgreSQL of `TEST_DATABASE_URL` and its own prefix in the real
//! S3-compatible bucket of `TEST_S3_BUCKET`.

use std::hash::{Hash, Hasher};
use std::path::Path;
use std::process::Command;

/// Whether this run uses PostgreSQL and S3.
pub fn on_postgres() -> bool {
    std::env::var("SUSURRO_TEST_BACKEND").as_deref() == Ok("postgres")
}

/// Panics unless this run has PostgreSQL and S3 (tests that only make sense there).
pub fn require_postgres() {
    assert!(
        on_postgres(),
        "this test needs PostgreSQL and an S3 server: run it through scripts/with-pg-s3 \
         (scripts/test does)"
    );
}

fn key(dir: &Path) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    dir.hash(&mut h);
    format!("t{:016x}", h.finish())
}

fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL (set by scripts/with-pg-s3)")
}

/// A database for the data folder `dir`: `sqlite://<dir>/susurro.db`, or a
/// PostgreSQL database of its own (created on first use).
pub fn database_url(dir: &Path) -> String {
    database_url_of_file(&dir.join("susurro.db"))
}

/// The SQLite file `file`, or a PostgreSQL database of its own.
pub fn database_url_of_file(file: &Path) -> String {
    if !on_postgres() {
        return format!("sqlite://{}", file.display());
    }
    let server = server_url();
    let name = key(file);
    // Another test may be restarting the server (cluster::the_nodes_ride_out_
    // a_postgresql_restart): a refused or cut connection is tried again.
    const TRANSIENT: [&str; 4] = [
        "terminating connection",
        "closed the connection",
        "Connection refused",
        "the database system is",
    ];
    let create = || {
        let out = Command::new("psql")
            .args([
                server.as_str(),
                "-qAt",
                "-c",
                &format!("create database {name}"),
            ])
            .output()
            .expect("psql runs");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        if out.status.success() || err.contains("already exists") {
            Some(Ok(()))
        } else if TRANSIENT.iter().any(|t| err.contains(t)) {
            None
        } else {
            Some(Err(err))
        }
    };
    match super::wait_blocking(std::time::Duration::from_secs(30), create) {
        Some(Ok(())) => {}
        Some(Err(err)) => panic!("create database {name}: {err}"),
        None => panic!("create database {name}: the server did not come back in 30 s"),
    }
    let (base, _) = server
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL names a database");
    format!("{base}/{name}")
}

/// Where the data folder `dir` keeps audio: its `audio` folder, or its own
/// prefix in the test bucket.
pub fn audio_store_url(dir: &Path) -> String {
    if !on_postgres() {
        return format!("file://{}", dir.join("audio").display());
    }
    let bucket =
        std::env::var("TEST_S3_BUCKET").expect("TEST_S3_BUCKET (set by scripts/with-pg-s3)");
    format!("s3://{bucket}/{}", key(dir))
}

/// The settings that put a server's data on this run's backend.
pub fn env(dir: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", database_url(dir)),
        ("AUDIO_STORE_URL", audio_store_url(dir)),
    ]
}

/// The names of the audio stored for the data folder `dir`.
pub async fn stored_audio(dir: &Path) -> Vec<String> {
    let store = susurro::storage::AudioStore::open(&audio_store_url(dir), dir.join("staging"))
        .expect("audio store opens");
    let mut names: Vec<String> = store
        .list()
        .await
        .expect("audio store lists")
        .into_iter()
        .map(|a| a.name)
        .collect();
    names.sort();
    names
}
