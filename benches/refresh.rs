//! `make bench`, part two: what a `terraform plan` refresh of one
//! `kafka_privatelink` costs — AWS calls and wall time — for clusters of 3 to
//! 49 brokers, against moto (so the time is the provider's, not AWS's).
//! Compares the calls with the N+8 aim and with the 7N+3 of one
//! hashicorp/aws resource per object.

// A scenario reads best in one piece: the function-length lint is for src.
#![allow(clippy::too_many_lines)]
// Tests and benches time external processes (Terraform, moto) by the wall
// clock: std's Instant is right here, unlike in src (clippy.toml).
#![allow(clippy::disallowed_types)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

// moto behind the test proxy, which answers what moto lacks (the endpoint
// service's connections, read on every refresh) in AWS's wire shape.
#[path = "../tests/e2e/common/mod.rs"]
#[allow(unused_imports)]
mod common;

use terraform_provider_kafka::aws::execute::{Execution, execute};
use terraform_provider_kafka::aws::observe::{CallCounter, Lookup, observe};
use terraform_provider_kafka::aws::{AwsSettings, Endpoints, Secret};
use terraform_provider_kafka::domain::diff::converge;
use terraform_provider_kafka::domain::layout::{
    BrokerSpec, HealthCheck, LoadBalancerSpec, Observed, Registration, ServiceSpec, Spec, TargetId,
};
use terraform_provider_kafka::domain::ownership::{Instance, Recorded};
use terraform_provider_kafka::domain::ports::BrokerId;
use tokio_util::sync::CancellationToken;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let moto = common::Moto::start();
    let url = moto.url.clone();
    let clients = AwsSettings {
        region: Some("us-east-1".into()),
        access_key: Some(terraform_provider_kafka::aws::Secret::new("bench")),
        secret_key: Some(Secret::new("bench")),
        endpoints: Endpoints { ec2: Some(url.clone()), elbv2: Some(url), kafka: None, sts: None },
        ..Default::default()
    }
    .connect()
    .await
    .expect("clients");
    let vpc = clients.ec2.create_vpc().cidr_block("10.0.0.0/16").send().await.unwrap().vpc.unwrap().vpc_id.unwrap();
    let mut subnets = BTreeSet::new();
    for (i, zone) in ["us-east-1a", "us-east-1b", "us-east-1c"].iter().enumerate() {
        let s = clients
            .ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("10.0.{}.0/24", i + 1))
            .availability_zone(*zone)
            .send()
            .await
            .unwrap();
        subnets.insert(s.subnet.unwrap().subnet_id.unwrap());
    }

    println!("refresh of one kafka_privatelink (against moto)\n");
    println!("{:>8} {:>10} {:>8} {:>14} {:>14}", "brokers", "AWS calls", "N+8", "hashicorp/aws", "ms/refresh");
    for n in [3u32, 9, 30, 49] {
        let spec = Spec {
            name: format!("bench{n}"),
            load_balancer_name: format!("bench{n}"),
            elsewhere: BTreeMap::new(),
            vpc_id: vpc.clone(),
            load_balancer: LoadBalancerSpec::Create { subnets: subnets.clone() },
            brokers: (1..=n)
                .map(|i| {
                    let ip = Ipv4Addr::new(10, 0, (i % 3 + 1) as u8, (10 + i) as u8);
                    (
                        BrokerId::new(i),
                        BrokerSpec { target: Some(TargetId::Ip(ip)), port: 9092, listener_port: 9000 + i as u16 },
                    )
                })
                .collect(),
            bootstrap: None,
            registration: Registration::Provider,
            target_kind: terraform_provider_kafka::domain::layout::TargetKind::Ip,
            health_check: HealthCheck::default(),
            deregistration_delay: None,
            tcp_idle_timeout: None,
            cross_zone: Some(false),
            security_groups: None,
            service: ServiceSpec {
                acceptance_required: true,
                principals: Some(BTreeSet::new()),
                supported_regions: BTreeSet::new(),
                ..Default::default()
            },
            tags: BTreeMap::new(),
        };
        let exec = Execution {
            vpc_id: vpc.clone(),
            timeout: Duration::from_secs(60),
            client_token: format!("bench{n}"),
            stop: CancellationToken::new(),
            together: None,
        };
        let mut instance = Instance {
            name: spec.name.clone(),
            token: format!("bench{n}"),
            recorded: Recorded::default(),
            complete: false,
        };
        let mut observed = Observed::default();
        let plan = converge(&spec, &observed, &instance).expect("plan");
        execute(&clients, &plan, &mut observed, &exec).await.expect("create");
        instance.complete = true;
        instance.recorded.load_balancer = observed.load_balancer.as_ref().map(|l| l.arn.clone());
        instance.recorded.service = observed.service.as_ref().map(|s| s.id.clone());
        // What the state records after a create: every group by role, every listener.
        instance.recorded.groups = observed
            .assign_groups(&spec.target_groups(), &BTreeMap::new())
            .into_iter()
            .map(|(role, tg)| (role, tg.arn.clone()))
            .collect();
        instance.recorded.listeners = observed.listeners.iter().map(|l| l.arn.clone()).collect();

        let lookup = Lookup {
            load_balancer_arn: observed.load_balancer.as_ref().map(|l| l.arn.clone()),
            service_id: observed.service.as_ref().map(|s| s.id.clone()),
            read_targets: true,
            ..Lookup::default()
        };
        let rounds = 5u32;
        let calls = CallCounter::default();
        let start = Instant::now();
        for _ in 0..rounds {
            let mut seen = observe(&clients, &lookup, &calls).await.expect("refresh");
            instance.claim(&mut seen, &spec.vpc_id);
            assert!(converge(&spec, &seen, &instance).expect("diff").is_empty(), "converged");
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds);
        println!("{n:>8} {:>10} {:>8} {:>14} {ms:>14.1}", calls.get() / rounds as usize, n + 8, 7 * n + 3);
    }
}
