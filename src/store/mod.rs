//! The store: the SQL of events and transcripts ([`events`], [`view`]) and
//! of the cluster's nodes and shared settings ([`cluster`]), on the
//! database of [`crate::db`] (re-exported here). The queue's SQL is in
//! `queue/`.

pub mod cluster;
pub mod events;
pub mod view;

pub use crate::db::{connect, connect_with, Conn, Dialect, Pool};
