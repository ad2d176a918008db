//! terraform-provider-kafka: a Terraform provider that exposes one Kafka
//! cluster through AWS PrivateLink, one NLB listener port per broker.
//!
//! # Structure
//! Four layers — [`server`] (the plugin protocol), [`domain`] (the pure
//! rules), [`aws`] (every AWS call and wait) and [`resources`] (each
//! Terraform type, between them). `ARCHITECTURE.md` at the repository root
//! is the map: what each layer must not know, the two shapes a resource
//! takes, the cross-cutting concerns, and where a new piece goes.

#![forbid(unsafe_code)]

pub mod aws;
pub mod domain;
pub mod resources;
pub mod server;

/// The provider's registry address; `--debug` prints it in the reattach value.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/kafka-privatelink/kafka";
/// This build's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
