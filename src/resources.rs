//! The provider itself: the `provider "kafka"` block, and one module per
//! Terraform type. Each translates between Terraform values (the server
//! layer), the domain core and the AWS layer; none knows the wire format.

mod advertised_listeners;
mod check;
mod endpoint_accepter;
mod endpoint_principal;
mod errors;
mod functions;
mod msk_brokers;
mod privatelink;
mod provider;
pub mod refusals;
mod values;

pub use provider::KafkaProvider;

/// The one list of what the provider calls sensitive: the credentials of
/// the provider block, which Terraform never stores in state and the
/// provider never logs, formats or echoes. Nothing a resource or data
/// source holds is: principal ARNs, account ids and endpoint ids are
/// identifiers, shown by AWS to anyone who may describe the service (as
/// hashicorp/aws treats them). `tests/e2e/provider_config.rs` looks for
/// these values in plan, apply and trace output and in state.
pub const SENSITIVE: [&str; 3] = ["provider.access_key", "provider.secret_key", "provider.token"];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::api::provider::Provider;

    #[test]
    fn the_schemas_mark_exactly_the_listed_attributes_sensitive() {
        let p = KafkaProvider::new("0.0.0");
        let mut found: Vec<String> =
            p.schema().block.sensitive_paths().into_iter().map(|a| format!("provider.{a}")).collect();
        let resources = p.resources();
        let data_sources = p.data_sources();
        assert!(!resources.is_empty() && !data_sources.is_empty());
        for r in &resources {
            found.extend(r.schema().block.sensitive_paths().into_iter().map(|a| format!("{}.{a}", r.type_name())));
        }
        for d in &data_sources {
            found.extend(d.schema().block.sensitive_paths().into_iter().map(|a| format!("{}.{a}", d.type_name())));
        }
        found.sort();
        let mut listed: Vec<String> = SENSITIVE.iter().map(ToString::to_string).collect();
        listed.sort();
        assert_eq!(found, listed, "resources::SENSITIVE is the one list: change both, and the docs");
    }
}
