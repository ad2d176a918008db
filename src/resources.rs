//! The provider itself: the `provider "kafka"` block, and one module per
//! Terraform type. Each translates between Terraform values (the server
//! layer), the domain core and the AWS layer; none knows the wire format.

mod advertised_listeners;
mod check;
mod endpoint_accepter;
mod endpoint_principal;
mod errors;
mod msk_brokers;
mod privatelink;
mod provider;
mod values;

pub use provider::KafkaProvider;
