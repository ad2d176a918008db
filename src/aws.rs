//! AWS access: client construction from provider settings, and one module
//! per service with its reads (batched), writes, waiters and retries.
//! Knows nothing of Terraform.

pub mod config;
pub mod ec2;
pub mod elbv2;
pub mod error;
pub mod execute;
pub mod msk;
pub mod observe;
pub mod retry;
pub mod wait;

pub use config::{AssumeRole, AwsSettings, Clients, ConfigError, Endpoints, Secret};
pub use error::{AwsError, ErrorKind};
