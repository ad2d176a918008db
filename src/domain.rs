//! The Kafka PrivateLink domain: which NLB port each broker gets, and what
//! brokers must advertise so that clients behind PrivateLink reach each one.
//! Pure functions over plain data — no Terraform, no AWS, no I/O — shared by
//! the `kafka_privatelink` resource and the `kafka_advertised_listeners`
//! data source, so both always agree on the broker ↔ port mapping.

pub mod arn;
pub mod connections;
pub mod consumers;
pub mod diff;
pub mod effect;
pub mod import;
pub mod layout;
pub mod listeners;
pub mod msk;
pub mod net;
pub mod ownership;
pub mod ports;
pub mod preflight;
pub mod promise;
pub mod spread;
pub mod validate;

pub use ports::{BrokerId, MAX_LISTENERS_PER_NLB};
