//! The `kafka_msk_brokers` data source: an Amazon MSK cluster's brokers,
//! keyed by broker id, in the shape `kafka_privatelink.brokers` takes — so
//! that MSK is one line, and ports follow broker ids, never list indexes.

use crate::resources::errors::{Doing, Subject};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::check::Checks;
use super::provider::ProviderState;
use crate::aws::{ec2, msk};
use crate::domain::msk::{Authentication, check_cluster_arn};
use crate::server::api::diag::value_error;
use crate::server::api::diag::{Diagnostic, Diagnostics};
use crate::server::api::path::AttributePath;
use crate::server::api::provider::{Context, DataSource};
use crate::server::api::schema::{Attribute, Block, Schema};
use crate::server::api::types::Type;
use crate::server::api::value::{Tri, Value, from_value};

pub struct MskBrokers {
    provider: Arc<ProviderState>,
}

impl MskBrokers {
    pub fn new(provider: Arc<ProviderState>) -> Self {
        Self { provider }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
struct Model {
    cluster_arn: Tri<String>,
    authentication: Tri<String>,
    brokers: Tri<BTreeMap<String, Broker>>,
    bootstrap_brokers: Tri<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
struct Broker {
    ip: Tri<String>,
    port: Tri<f64>,
    host: Tri<String>,
    availability_zone_id: Tri<String>,
    subnet_id: Tri<String>,
}

impl Model {
    fn check(&self) -> Checks {
        let mut c = Checks::default();
        c.string(&self.cluster_arn, AttributePath::attr("cluster_arn"), "Invalid MSK cluster ARN", check_cluster_arn);
        c.string(&self.authentication, AttributePath::attr("authentication"), "Invalid authentication", |a| {
            Authentication::parse(a).map(|_| ())
        });
        c
    }
}

impl super::values::Typed for Model {
    fn schema() -> Schema {
        schema()
    }
    fn check(&self) -> Checks {
        Model::check(self)
    }
}

fn schema() -> Schema {
    let s = |name: &str, doc: &str| Attribute::new(name, Type::String).describe(doc);
    Schema::new(
        0,
        Block::new()
            .describe("The brokers of a provisioned Amazon MSK cluster, keyed by broker id, in the shape `kafka_privatelink.brokers` takes: `brokers = data.kafka_msk_brokers.x.brokers`. Read with `ListNodes` and `GetBootstrapBrokers` through the provider's AWS settings (`endpoints { kafka = … }` included).")
            .attribute(s("cluster_arn", "The cluster's ARN, `arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>`. Checked at plan, before any AWS call.").required())
            .attribute(s("authentication", "How clients authenticate, which sets every broker's `port`: `plaintext` (9092), `tls` (9094), `sasl_scram` (9096) or `iam` (9098).").required())
            .attribute(
                Attribute::new(
                    "brokers",
                    Type::map(Type::object([
                        ("ip", Type::String),
                        ("port", Type::Number),
                        ("host", Type::String),
                        ("availability_zone_id", Type::String),
                        ("subnet_id", Type::String),
                    ])),
                )
                .computed()
                .describe("By MSK broker id (`\"1\"`, `\"2\"`, …): `ip` (its client network interface's address), `port` (from `authentication`), `host` (its DNS name), `availability_zone_id` and `subnet_id` (its client subnet)."),
            )
            .attribute(s("bootstrap_brokers", "MSK's bootstrap string for `authentication` (private connectivity); empty when the cluster does not offer that mode.").computed()),
    )
}

/// The brokers as the data source lists them, by id, with each one's zone.
fn brokers_of(
    brokers: &[crate::domain::msk::MskBroker],
    subnets: &[ec2::Subnet],
    auth: Authentication,
) -> BTreeMap<String, Broker> {
    let zone = |id: &str| subnets.iter().find(|s| s.id == id).map(|s| s.zone_id.clone());
    brokers
        .iter()
        .map(|b| {
            let broker = Broker {
                ip: Tri::Known(b.ip.to_string()),
                port: Tri::Known(f64::from(auth.port())),
                host: Tri::Known(b.host.clone()),
                availability_zone_id: zone(&b.subnet_id).into(),
                subnet_id: Tri::Known(b.subnet_id.clone()),
            };
            (b.id.to_string(), broker)
        })
        .collect()
}

#[async_trait]
impl DataSource for MskBrokers {
    super::values::typed!(Model, "kafka_msk_brokers");

    async fn read(&self, _ctx: &Context, config: Value) -> Result<Value, Diagnostics> {
        let mut m = from_value::<Model>(&config).map_err(|e| Diagnostics::from(value_error("configuration", e)))?;
        let checks = m.check();
        if checks.has_errors() {
            return Err(checks.0);
        }
        let (Some(arn), Some(auth)) = (m.cluster_arn.known().cloned(), m.authentication.known()) else {
            return Err(
                Diagnostic::error("Incomplete configuration", "cluster_arn and authentication must be known.").into()
            );
        };
        let auth = Authentication::parse(auth)
            .map_err(|e| Diagnostics::from(Diagnostic::error("Invalid authentication", e)))?;
        let clients = self.provider.clients().await.map_err(Diagnostics::from)?;
        let failed = |e: crate::aws::AwsError| {
            let d = if e.is_not_found() {
                Diagnostic::error(
                    format!("Error {} {}", Doing::Reading.as_str(), Subject::MskCluster(&arn)),
                    format!("No MSK cluster {arn} exists in {}.", clients.region),
                )
            } else {
                super::errors::aws_diagnostic(clients, Doing::Reading, &Subject::MskCluster(&arn), &e)
            };
            Diagnostics::from(d.at(AttributePath::attr("cluster_arn")))
        };
        let (brokers, bootstrap) =
            tokio::try_join!(msk::brokers(&clients.kafka, &arn), msk::bootstrap(&clients.kafka, &arn, auth))
                .map_err(failed)?;
        if brokers.is_empty() {
            return Err(Diagnostic::error(
                "No brokers to expose",
                format!(
                    "The MSK cluster {arn} lists no provisioned brokers; MSK Serverless clusters are out of scope."
                ),
            )
            .at(AttributePath::attr("cluster_arn"))
            .into());
        }
        let subnet_ids: BTreeSet<String> = brokers.iter().map(|b| b.subnet_id.clone()).collect();
        let subnets = ec2::subnets_by_ids(&clients.ec2, &subnet_ids).await.map_err(failed)?;
        m.brokers = Tri::Known(brokers_of(&brokers, &subnets, auth));
        m.bootstrap_brokers = Tri::Known(bootstrap);
        super::values::encode(&m)
    }
}
