//! terraform-provider-kafka: a Terraform provider that exposes one Kafka
//! cluster through AWS PrivateLink, one NLB listener port per broker.
//!
//! # Structure
//! Four layers, each in its own folder, each ignorant of the ones it does not
//! need:
//! - [`server`]: the Terraform plugin protocol 6 server (handshake, mTLS,
//!   gRPC, values, schemas, diagnostics). Knows nothing of Kafka or AWS.
//! - [`domain`]: the pure Kafka PrivateLink logic — broker → port
//!   assignment, advertised listeners, the desired AWS layout. No I/O.
//! - [`aws`]: AWS access (clients, retries, waiters, pagination). Knows
//!   nothing of Terraform.
//! - [`resources`]: the provider itself — the provider block, resources and
//!   data sources — translating between the three above.

#![forbid(unsafe_code)]

pub mod aws;
pub mod domain;
pub mod resources;
pub mod server;

/// The provider's registry address; `--debug` prints it in the reattach value.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/kafka-privatelink/kafka";
/// This build's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
