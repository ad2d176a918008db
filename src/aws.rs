//! AWS access: client construction from provider settings, and (per
//! service) finders, waiters and batched reads. Knows nothing of Terraform.

pub mod config;

pub use config::{AssumeRole, AwsSettings, Clients, ConfigError, Endpoints, Secret};
