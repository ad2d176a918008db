//! The `provider "kafka"` block. Its names mirror the hashicorp/aws provider
//! block, so that habits carry over.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use serde::Deserialize;
use tokio::sync::OnceCell;

use super::advertised_listeners::AdvertisedListeners;
use super::check::Checks;
use super::endpoint_accepter::EndpointConnectionAccepter;
use super::endpoint_principal::EndpointServicePrincipal;
use super::msk_brokers::MskBrokers;
use super::privatelink::{KafkaPrivatelink, KafkaPrivatelinkList};
use crate::aws::{AssumeRole, AwsSettings, Clients, Endpoints, Secret};
use crate::domain::validate;
use crate::domain::validate::{check_role_arn, check_url, limits, parse_duration};
use crate::server::api::diag::{Diagnostic, Diagnostics};
use crate::server::api::path::AttributePath;
use crate::server::api::provider::{Context, DataSource, Function, ListResource, Provider, Resource};
use crate::server::api::schema::{Attribute, Block, NestedBlock, Schema};
use crate::server::api::types::Type;
use crate::server::api::value::{Tri, Value, from_value};

/// What configure hands to resources: AWS settings, and clients built from
/// them on first use.
#[derive(Debug, Default)]
pub struct ProviderState {
    configured: RwLock<Option<Configured>>,
    clients: OnceCell<Clients>,
}

#[derive(Debug, Clone, Default)]
struct Configured {
    settings: AwsSettings,
    default_tags: BTreeMap<String, String>,
    /// Some default tag (or the whole block) is unknown until apply.
    default_tags_unknown: bool,
}

impl ProviderState {
    /// The AWS clients, built on first use.
    pub async fn clients(&self) -> Result<&Clients, Diagnostic> {
        let settings =
            self.configured.read().ok().and_then(|c| c.as_ref().map(|c| c.settings.clone())).ok_or_else(|| {
                Diagnostic::provider_bug("Provider not configured", "The kafka provider was not configured before use")
            })?;
        self.clients
            .get_or_try_init(|| async move { settings.connect().await })
            .await
            .map_err(|e| Diagnostic::error("Invalid AWS configuration", e.to_string()))
    }

    /// The provider's `default_tags`.
    pub fn default_tags(&self) -> BTreeMap<String, String> {
        self.configured.read().ok().and_then(|c| c.as_ref().map(|c| c.default_tags.clone())).unwrap_or_default()
    }

    /// Whether every default tag is known (at plan time it may not be).
    pub fn default_tags_known(&self) -> bool {
        self.configured.read().ok().and_then(|c| c.as_ref().map(|c| !c.default_tags_unknown)).unwrap_or(true)
    }
}

pub struct KafkaProvider {
    version: &'static str,
    state: Arc<ProviderState>,
    privatelink: Arc<KafkaPrivatelink>,
}

impl KafkaProvider {
    pub fn new(version: &'static str) -> Self {
        let state = Arc::new(ProviderState::default());
        Self { version, privatelink: Arc::new(KafkaPrivatelink::new(state.clone())), state }
    }
}

/// The provider block as Terraform sends it. No `Debug`: it holds the
/// credentials as given.
#[derive(Deserialize)]
struct Config {
    region: Tri<String>,
    profile: Tri<String>,
    shared_config_files: Tri<Vec<Tri<String>>>,
    shared_credentials_files: Tri<Vec<Tri<String>>>,
    access_key: Tri<String>,
    secret_key: Tri<String>,
    token: Tri<String>,
    max_retries: Tri<f64>,
    assume_role: Tri<Vec<AssumeRoleConfig>>,
    endpoints: Tri<Vec<EndpointsConfig>>,
    default_tags: Tri<Vec<DefaultTagsConfig>>,
}

#[derive(Deserialize)]
struct AssumeRoleConfig {
    role_arn: Tri<String>,
    session_name: Tri<String>,
    external_id: Tri<String>,
    duration: Tri<String>,
}

#[derive(Debug, Deserialize)]
struct EndpointsConfig {
    ec2: Tri<String>,
    elbv2: Tri<String>,
    kafka: Tri<String>,
    sts: Tri<String>,
}

#[derive(Debug, Deserialize)]
struct DefaultTagsConfig {
    tags: Tri<BTreeMap<String, Tri<String>>>,
}

fn block_path(name: &str) -> AttributePath {
    AttributePath::attr(name).index(0)
}

impl Config {
    fn check(&self) -> Checks {
        let mut c = Checks::default();
        c.string(&self.region, AttributePath::attr("region"), "Invalid region", validate::check_region);
        c.range(&self.max_retries, AttributePath::attr("max_retries"), &limits::MAX_RETRIES);
        match (&self.access_key, &self.secret_key) {
            (Tri::Known(_), Tri::Null) => c.fail(
                AttributePath::attr("secret_key"),
                "Missing secret_key",
                "access_key is set, so secret_key must be set too.",
            ),
            (Tri::Null, Tri::Known(_)) => c.fail(
                AttributePath::attr("access_key"),
                "Missing access_key",
                "secret_key is set, so access_key must be set too.",
            ),
            _ => {}
        }
        if let Some(role) = self.assume_role.known().and_then(|r| r.first()) {
            let p = block_path("assume_role");
            c.string(&role.role_arn, p.attribute("role_arn"), "Invalid role ARN", check_role_arn);
            if role.role_arn.is_null() {
                c.fail(p.attribute("role_arn"), "Missing role ARN", "assume_role needs role_arn.");
            }
            c.string(&role.duration, p.attribute("duration"), "Invalid duration", |d| {
                parse_duration(d)
                    .map(|_| ())
                    .ok_or_else(|| format!("{d:?} is not a duration such as \"1h\", \"15m\" or \"3600s\""))
            });
        }
        if let Some(ep) = self.endpoints.known().and_then(|e| e.first()) {
            let p = block_path("endpoints");
            for (name, v) in [("ec2", &ep.ec2), ("elbv2", &ep.elbv2), ("kafka", &ep.kafka), ("sts", &ep.sts)] {
                c.string(v, p.attribute(name), "Invalid endpoint URL", check_url);
            }
        }
        c
    }

    /// The settings; `None` where Terraform does not know a value yet.
    fn settings(&self) -> AwsSettings {
        let list = |v: &Tri<Vec<Tri<String>>>| -> Vec<String> {
            v.known().map(|l| l.iter().filter_map(|s| s.known().cloned()).collect()).unwrap_or_default()
        };
        let role = self.assume_role.known().and_then(|r| r.first());
        let ep = self.endpoints.known().and_then(|e| e.first());
        AwsSettings {
            region: self.region.known().cloned(),
            profile: self.profile.known().cloned(),
            shared_config_files: list(&self.shared_config_files),
            shared_credentials_files: list(&self.shared_credentials_files),
            access_key: self.access_key.known().cloned().map(Secret::new),
            secret_key: self.secret_key.known().map(Secret::new),
            token: self.token.known().map(Secret::new),
            assume_role: role.and_then(|r| {
                Some(AssumeRole {
                    role_arn: r.role_arn.known()?.clone(),
                    session_name: r.session_name.known().cloned(),
                    external_id: r.external_id.known().cloned(),
                    duration: r.duration.known().and_then(|d| parse_duration(d)),
                })
            }),
            endpoints: Endpoints {
                ec2: ep.and_then(|e| e.ec2.known().cloned()),
                elbv2: ep.and_then(|e| e.elbv2.known().cloned()),
                kafka: ep.and_then(|e| e.kafka.known().cloned()),
                sts: ep.and_then(|e| e.sts.known().cloned()),
            },
            max_retries: self.max_retries.known().map(|n| *n as u32),
        }
    }

    fn default_tags_unknown(&self) -> bool {
        match &self.default_tags {
            Tri::Unknown => true,
            Tri::Null => false,
            Tri::Known(blocks) => blocks.first().is_some_and(|d| match &d.tags {
                Tri::Unknown => true,
                Tri::Null => false,
                Tri::Known(t) => t.values().any(Tri::is_unknown),
            }),
        }
    }

    fn default_tags(&self) -> BTreeMap<String, String> {
        self.default_tags
            .known()
            .and_then(|d| d.first())
            .and_then(|d| d.tags.known())
            .map(|t| t.iter().filter_map(|(k, v)| Some((k.clone(), v.known()?.clone()))).collect())
            .unwrap_or_default()
    }
}

fn provider_schema() -> Schema {
    let string = |name: &str, doc: &str| Attribute::new(name, Type::String).describe(doc);
    let endpoint = |name: &str, service: &str| {
        string(name, &format!("Custom endpoint URL for {service}, e.g. a VPC interface endpoint, LocalStack or moto."))
    };
    Schema::new(
        0,
        Block::new()
            .describe("Reaches AWS the way the hashicorp/aws provider does: same argument names, same fallbacks (environment, shared files, SSO, instance metadata). The `kafka_advertised_listeners` data source needs no AWS access at all.")
            .attribute(string("region", "AWS region, e.g. `us-east-1`. Falls back to `AWS_REGION` / `AWS_DEFAULT_REGION` and the shared config profile."))
            .attribute(string("profile", "Named profile of the shared config and credentials files. Falls back to `AWS_PROFILE`."))
            .attribute(Attribute::new("shared_config_files", Type::list(Type::String)).describe("Paths of shared config files (default `~/.aws/config`)."))
            .attribute(Attribute::new("shared_credentials_files", Type::list(Type::String)).describe("Paths of shared credentials files (default `~/.aws/credentials`)."))
            .attribute(string("access_key", "Access key id. Use together with `secret_key`; prefer the environment or a profile.").sensitive())
            .attribute(string("secret_key", "Secret access key.").sensitive())
            .attribute(string("token", "Session token of temporary credentials.").sensitive())
            .attribute(Attribute::new("max_retries", Type::Number).describe("How many times a throttled or transiently failing AWS call is retried (standard retry mode with backoff). Default: 25, as in the hashicorp/aws provider, or the `AWS_MAX_ATTEMPTS` environment variable's attempts when it is set."))
            .block(NestedBlock::single(
                "assume_role",
                Block::new()
                    .describe("Assume an IAM role with the credentials found above.")
                    .attribute(string("role_arn", "ARN of the role to assume."))
                    .attribute(string("session_name", "Session name (default `terraform-provider-kafka`)."))
                    .attribute(string("external_id", "External id the role's trust policy requires."))
                    .attribute(string("duration", "Session duration, e.g. `1h` or `15m`.")),
            ))
            .block(NestedBlock::single(
                "endpoints",
                Block::new()
                    .describe("Custom service endpoints.")
                    .attribute(endpoint("ec2", "EC2 (VPC endpoint services, subnets)"))
                    .attribute(endpoint("elbv2", "Elastic Load Balancing v2 (NLB, listeners, target groups)"))
                    .attribute(endpoint("kafka", "Amazon MSK (`kafka_msk_brokers`)"))
                    .attribute(endpoint("sts", "STS (used by `assume_role`)")),
            ))
            .block(NestedBlock::single(
                "default_tags",
                Block::new()
                    .describe("Tags added to every AWS object the provider creates; a resource's own `tags` win.")
                    .attribute(Attribute::new("tags", Type::map(Type::String)).describe("The tags.")),
            )),
    )
}

#[async_trait]
impl Provider for KafkaProvider {
    fn schema(&self) -> Schema {
        provider_schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        match from_value::<Config>(config) {
            Ok(c) => c.check().0,
            Err(e) => crate::server::api::diag::value_error("provider configuration", e).into(),
        }
    }

    async fn configure(&self, _ctx: &Context, terraform_version: &str, config: Value) -> Diagnostics {
        let config = match from_value::<Config>(&config) {
            Ok(c) => c,
            Err(e) => return crate::server::api::diag::value_error("provider configuration", e).into(),
        };
        let checks = config.check();
        if checks.has_errors() {
            return checks.0;
        }
        tracing::debug!(terraform_version, provider_version = self.version, "provider configured");
        let configured = Configured {
            settings: config.settings(),
            default_tags: config.default_tags(),
            default_tags_unknown: config.default_tags_unknown(),
        };
        if let Ok(mut slot) = self.state.configured.write() {
            *slot = Some(configured);
        }
        checks.0
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![
            self.privatelink.clone(),
            Arc::new(EndpointServicePrincipal::new(self.state.clone())),
            Arc::new(EndpointConnectionAccepter::new(self.state.clone())),
        ]
    }

    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        vec![Arc::new(KafkaPrivatelinkList::new(self.privatelink.clone()))]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![Arc::new(AdvertisedListeners), Arc::new(MskBrokers::new(self.state.clone()))]
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        vec![Arc::new(super::functions::ListenerPorts), Arc::new(super::functions::AdvertisedListeners)]
    }
}
