//! Direct AWS access to the test's moto: set up networks, build setups by
//! hand, and read back what AWS holds, independently of the provider.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::Filter;

use super::Moto;

pub struct Aws {
    pub ec2: aws_sdk_ec2::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
}

/// A VPC with one subnet in each of three zones.
#[derive(Debug, Clone)]
pub struct Network {
    pub vpc: String,
    pub subnets: Vec<Subnet>,
}

/// One subnet of a test network: a /24 in a zone of its own.
#[derive(Debug, Clone)]
pub struct Subnet {
    pub id: String,
    pub zone_id: String,
    /// The first three octets of its CIDR, such as "10.0.1": a broker at
    /// `format!("{prefix}.10")` is in it.
    pub prefix: String,
}

impl Network {
    pub fn subnet_ids_hcl(&self) -> String {
        let ids: Vec<String> = self.subnets.iter().map(|s| format!("\"{}\"", s.id)).collect();
        format!("[{}]", ids.join(", "))
    }
}

/// What moto holds, in plain data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub load_balancers: Vec<String>,
    /// listener port → (listener ARN, target group ARN)
    pub listeners: BTreeMap<u16, (String, String)>,
    /// target group name → (ARN, port, targets "ip:port")
    pub target_groups: BTreeMap<String, (String, u16, BTreeSet<String>)>,
    /// service id → (acceptance required, principals, supported regions)
    pub services: BTreeMap<String, (bool, BTreeSet<String>, BTreeSet<String>)>,
    pub cross_zone: Option<bool>,
    /// load balancer name → listener port → target group ARN
    pub by_load_balancer: BTreeMap<String, BTreeMap<u16, String>>,
    /// service id → the load balancer ARNs it fronts
    pub service_load_balancers: BTreeMap<String, BTreeSet<String>>,
}

impl Snapshot {
    /// Load balancer name → listener port → the targets behind it: what a
    /// setup of several load balancers serves, each on its own ports.
    pub fn routes_by_load_balancer(&self) -> BTreeMap<String, BTreeMap<u16, BTreeSet<String>>> {
        let targets = |tg: &String| {
            self.target_groups.values().find(|(arn, _, _)| arn == tg).map(|t| t.2.clone()).unwrap_or_default()
        };
        self.by_load_balancer
            .iter()
            .map(|(lb, ports)| (lb.clone(), ports.iter().map(|(p, tg)| (*p, targets(tg))).collect()))
            .collect()
    }

    /// Listener port → the targets behind it.
    pub fn routes(&self) -> BTreeMap<u16, BTreeSet<String>> {
        self.listeners
            .iter()
            .map(|(port, (_, tg))| {
                let targets =
                    self.target_groups.values().find(|(arn, _, _)| arn == tg).map(|t| t.2.clone()).unwrap_or_default();
                (*port, targets)
            })
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.load_balancers.is_empty() && self.target_groups.is_empty() && self.services.is_empty()
    }
}

impl Aws {
    pub async fn new(moto: &Moto) -> Self {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new("us-east-1"))
            .endpoint_url(&moto.url)
            .credentials_provider(aws_credential_types::Credentials::new("testing", "testing", None, None, "test"))
            .load()
            .await;
        Aws { ec2: aws_sdk_ec2::Client::new(&config), elb: aws_sdk_elasticloadbalancingv2::Client::new(&config) }
    }

    pub async fn network(&self, second_octet: u8) -> Network {
        let vpc = self
            .ec2
            .create_vpc()
            .cidr_block(format!("10.{second_octet}.0.0/16"))
            .send()
            .await
            .unwrap()
            .vpc
            .unwrap()
            .vpc_id
            .unwrap();
        let mut subnets = Vec::new();
        for (i, zone) in ["us-east-1a", "us-east-1b", "us-east-1c"].iter().enumerate() {
            let prefix = format!("10.{second_octet}.{}", i + 1);
            let s = self
                .ec2
                .create_subnet()
                .vpc_id(&vpc)
                .cidr_block(format!("{prefix}.0/24"))
                .availability_zone(*zone)
                .send()
                .await
                .unwrap()
                .subnet
                .unwrap();
            subnets.push(Subnet { id: s.subnet_id.unwrap(), zone_id: s.availability_zone_id.unwrap(), prefix });
        }
        Network { vpc, subnets }
    }

    pub async fn snapshot(&self) -> Snapshot {
        let mut snap = Snapshot::default();
        let lbs = self.elb.describe_load_balancers().send().await.unwrap();
        for lb in lbs.load_balancers() {
            let arn = lb.load_balancer_arn().unwrap().to_owned();
            let attrs = self.elb.describe_load_balancer_attributes().load_balancer_arn(&arn).send().await.unwrap();
            snap.cross_zone = attrs
                .attributes()
                .iter()
                .find(|a| a.key() == Some("load_balancing.cross_zone.enabled"))
                .and_then(|a| a.value())
                .map(|v| v == "true");
            let listeners = self.elb.describe_listeners().load_balancer_arn(&arn).send().await.unwrap();
            let name = lb.load_balancer_name().unwrap().to_owned();
            for l in listeners.listeners() {
                let tg = l.default_actions().first().and_then(|a| a.target_group_arn()).unwrap_or_default().to_owned();
                snap.by_load_balancer.entry(name.clone()).or_default().insert(l.port().unwrap() as u16, tg.clone());
                snap.listeners.insert(l.port().unwrap() as u16, (l.listener_arn().unwrap().to_owned(), tg));
            }
            snap.by_load_balancer.entry(name).or_default();
            snap.load_balancers.push(arn);
        }
        let tgs = self.elb.describe_target_groups().send().await.unwrap();
        for tg in tgs.target_groups() {
            let arn = tg.target_group_arn().unwrap().to_owned();
            let health = self.elb.describe_target_health().target_group_arn(&arn).send().await.unwrap();
            let targets = health
                .target_health_descriptions()
                .iter()
                .filter_map(|d| d.target())
                .map(|t| format!("{}:{}", t.id().unwrap(), t.port().unwrap()))
                .collect();
            snap.target_groups
                .insert(tg.target_group_name().unwrap().to_owned(), (arn, tg.port().unwrap() as u16, targets));
        }
        let svcs = self.ec2.describe_vpc_endpoint_service_configurations().send().await.unwrap();
        for s in svcs.service_configurations() {
            let id = s.service_id().unwrap().to_owned();
            let perms = self.ec2.describe_vpc_endpoint_service_permissions().service_id(&id).send().await.unwrap();
            let principals =
                perms.allowed_principals().iter().filter_map(|p| p.principal().map(str::to_owned)).collect();
            let regions = s.supported_regions().iter().filter_map(|r| r.region().map(str::to_owned)).collect();
            snap.service_load_balancers.insert(id.clone(), s.network_load_balancer_arns().iter().cloned().collect());
            snap.services.insert(id, (s.acceptance_required().unwrap_or(false), principals, regions));
        }
        snap
    }

    /// Subnets by id (for building setups by hand).
    pub async fn subnet_zone(&self, subnet: &str) -> String {
        let out = self
            .ec2
            .describe_subnets()
            .filters(Filter::builder().name("subnet-id").values(subnet).build())
            .send()
            .await
            .unwrap();
        out.subnets()[0].availability_zone_id().unwrap().to_owned()
    }
}

/// One listener of a hand-built setup: its port, its group's name and port,
/// and the group's targets (ip, port).
pub struct HandListener<'a> {
    pub port: u16,
    pub group: &'a str,
    pub group_port: u16,
    pub targets: Vec<(String, u16)>,
}

impl Aws {
    /// Builds an NLB setup directly with the SDK, as a module or a person
    /// would: returns (load balancer ARN, endpoint service id).
    pub async fn hand_built(
        &self,
        net: &Network,
        name: &str,
        kind: aws_sdk_elasticloadbalancingv2::types::LoadBalancerTypeEnum,
        listeners: &[HandListener<'_>],
        service: Option<(bool, &[&str])>,
    ) -> (String, Option<String>) {
        use aws_sdk_elasticloadbalancingv2::types::{
            Action, ActionTypeEnum, LoadBalancerSchemeEnum, ProtocolEnum, TargetDescription, TargetTypeEnum,
        };
        let lb = self
            .elb
            .create_load_balancer()
            .name(name)
            .r#type(kind)
            .scheme(LoadBalancerSchemeEnum::Internal)
            .set_subnets(Some(net.subnets.iter().map(|s| s.id.clone()).collect()))
            .send()
            .await
            .unwrap();
        let lb_arn = lb.load_balancers()[0].load_balancer_arn().unwrap().to_owned();
        for l in listeners {
            let tg = self
                .elb
                .create_target_group()
                .name(l.group)
                .protocol(ProtocolEnum::Tcp)
                .port(i32::from(l.group_port))
                .vpc_id(&net.vpc)
                .target_type(TargetTypeEnum::Ip)
                .send()
                .await
                .unwrap();
            let tg_arn = tg.target_groups()[0].target_group_arn().unwrap().to_owned();
            let targets = l
                .targets
                .iter()
                .map(|(ip, p)| TargetDescription::builder().id(ip).port(i32::from(*p)).build())
                .collect();
            self.elb.register_targets().target_group_arn(&tg_arn).set_targets(Some(targets)).send().await.unwrap();
            self.elb
                .create_listener()
                .load_balancer_arn(&lb_arn)
                .protocol(ProtocolEnum::Tcp)
                .port(i32::from(l.port))
                .default_actions(Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(&tg_arn).build())
                .send()
                .await
                .unwrap();
        }
        let svc = match service {
            None => None,
            Some((acceptance, principals)) => {
                let out = self
                    .ec2
                    .create_vpc_endpoint_service_configuration()
                    .network_load_balancer_arns(&lb_arn)
                    .acceptance_required(acceptance)
                    .send()
                    .await
                    .unwrap();
                let id = out.service_configuration().unwrap().service_id().unwrap().to_owned();
                if !principals.is_empty() {
                    self.ec2
                        .modify_vpc_endpoint_service_permissions()
                        .service_id(&id)
                        .set_add_allowed_principals(Some(principals.iter().map(|p| (*p).to_owned()).collect()))
                        .send()
                        .await
                        .unwrap();
                }
                Some(id)
            }
        };
        (lb_arn, svc)
    }
}

impl Aws {
    /// An internal network load balancer with nothing on it, in the first
    /// subnet of `net`, made by hand (someone else's, for adoption tests).
    pub async fn bare_load_balancer(&self, net: &Network, name: &str) -> String {
        let lb = self
            .elb
            .create_load_balancer()
            .name(name)
            .r#type(aws_sdk_elasticloadbalancingv2::types::LoadBalancerTypeEnum::Network)
            .scheme(aws_sdk_elasticloadbalancingv2::types::LoadBalancerSchemeEnum::Internal)
            .subnets(&net.subnets[0].id)
            .send()
            .await
            .unwrap();
        lb.load_balancers()[0].load_balancer_arn().unwrap().to_owned()
    }

    /// The layout of MaterializeInc's Kafka PrivateLink modules, named
    /// `lb_name`: groups `mz-kafka-target-group-N` on the cluster port 9092,
    /// listeners 9001 + N, an endpoint service without acceptance or
    /// principals. Returns (load balancer ARN, endpoint service id).
    pub async fn materialize_layout(&self, net: &Network, lb_name: &str) -> (String, String) {
        let listeners: Vec<HandListener<'_>> = (0..3)
            .map(|i| HandListener {
                port: 9001 + i as u16,
                group: ["mz-kafka-target-group-0", "mz-kafka-target-group-1", "mz-kafka-target-group-2"][i],
                group_port: 9092,
                targets: vec![(format!("{}.10", net.subnets[i].prefix), 9092)],
            })
            .collect();
        let kind = aws_sdk_elasticloadbalancingv2::types::LoadBalancerTypeEnum::Network;
        let (lb, svc) = self.hand_built(net, lb_name, kind, &listeners, Some((false, &[]))).await;
        (lb, svc.expect("service created"))
    }
}

impl Aws {
    /// A security group in `net`, admitting TCP `ports` from `cidr` when given.
    pub async fn security_group(&self, net: &Network, name: &str, ingress: Option<((i32, i32), &str)>) -> String {
        let sg = self
            .ec2
            .create_security_group()
            .group_name(name)
            .description(name)
            .vpc_id(&net.vpc)
            .send()
            .await
            .unwrap()
            .group_id
            .unwrap();
        if let Some(((from, to), cidr)) = ingress {
            self.allow(&sg, (from, to), cidr).await;
        }
        sg
    }

    /// Adds an inbound rule: TCP `ports` from `cidr`.
    pub async fn allow(&self, sg: &str, (from, to): (i32, i32), cidr: &str) {
        use aws_sdk_ec2::types::{IpPermission, IpRange};
        self.ec2
            .authorize_security_group_ingress()
            .group_id(sg)
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(from)
                    .to_port(to)
                    .ip_ranges(IpRange::builder().cidr_ip(cidr).build())
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }

    /// An EC2 instance (a broker) at `ip` in subnet `subnet` of `net`,
    /// guarded by `sg` when given; returns its id.
    pub async fn instance(&self, net: &Network, subnet: usize, ip: &str, sg: Option<&str>) -> String {
        let out = self
            .ec2
            .run_instances()
            .image_id("ami-12c6146b")
            .min_count(1)
            .max_count(1)
            .subnet_id(&net.subnets[subnet].id)
            .private_ip_address(ip)
            .set_security_group_ids(sg.map(|g| vec![g.to_owned()]))
            .send()
            .await
            .unwrap();
        out.instances()[0].instance_id().unwrap().to_owned()
    }
}
