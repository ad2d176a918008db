//! Amazon MSK: a provisioned cluster's brokers (`ListNodes`, paginated) and
//! its bootstrap string (`GetBootstrapBrokers`).

use super::error::{AwsError, ErrorKind};
use crate::domain::msk::{Authentication, MskBroker};
use crate::domain::ports::BrokerId;

/// Every broker of the cluster, by id (none for a cluster without
/// provisioned brokers). A cluster that does not exist is
/// `ErrorKind::NotFound`.
pub async fn brokers(client: &aws_sdk_kafka::Client, arn: &str) -> Result<Vec<MskBroker>, AwsError> {
    let action = "reading MSK cluster brokers";
    let nodes = client
        .list_nodes()
        .cluster_arn(arn)
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| AwsError::from_sdk_call("kafka:ListNodes", action, arn, e))?;
    let mut out = Vec::new();
    for node in &nodes {
        let Some(b) = node.broker_node_info() else { continue };
        let id = b
            .broker_id()
            .filter(|id| id.fract() == 0.0 && *id >= 0.0 && *id <= f64::from(u32::MAX))
            .map(|id| BrokerId::new(id as u32));
        let ip = b.client_vpc_ip_address().and_then(|ip| ip.parse().ok());
        let (Some(id), Some(ip)) = (id, ip) else {
            return Err(AwsError::new(
                action,
                arn,
                ErrorKind::Transport("a broker without an id or a client IP address".into()),
            ));
        };
        out.push(MskBroker {
            id,
            ip,
            host: b.endpoints().first().cloned().unwrap_or_default(),
            subnet_id: b.client_subnet().unwrap_or_default().to_owned(),
        });
    }
    out.sort_by_key(|b| b.id);
    Ok(out)
}

/// The private bootstrap string for `auth`; empty when the cluster does not
/// offer that mode.
pub async fn bootstrap(client: &aws_sdk_kafka::Client, arn: &str, auth: Authentication) -> Result<String, AwsError> {
    let out =
        client.get_bootstrap_brokers().cluster_arn(arn).send().await.map_err(|e| {
            AwsError::from_sdk_call("kafka:GetBootstrapBrokers", "reading MSK bootstrap brokers", arn, e)
        })?;
    let s = match auth {
        Authentication::Plaintext => out.bootstrap_broker_string(),
        Authentication::Tls => out.bootstrap_broker_string_tls(),
        Authentication::SaslScram => out.bootstrap_broker_string_sasl_scram(),
        Authentication::Iam => out.bootstrap_broker_string_sasl_iam(),
    };
    Ok(s.unwrap_or_default().to_owned())
}
