//! The Terraform plugin server, in two halves that know nothing of Kafka or
//! AWS:
//! - [`api`]: what a provider is written against: the [`Provider`],
//!   [`Resource`] and [`DataSource`] traits, schemas, values (with their
//!   unknowns), attribute paths and diagnostics. `src/resources` uses this
//!   half and nothing else of the server.
//! - [`transport`]: how Terraform reaches the provider: handshake, mTLS,
//!   gRPC, the wire encoding. Only `main` starts it ([`serve`]); a test
//!   (`offline::layers`) keeps the resources from naming it.
//!
//! [`Provider`]: api::provider::Provider
//! [`Resource`]: api::provider::Resource
//! [`DataSource`]: api::provider::DataSource

pub mod api;
pub mod transport;

pub use transport::{ServeError, serve, serve_debug};
