//! The AWS layout one Kafka cluster needs behind PrivateLink, as plain data:
//! what should exist ([`Spec`], [`TargetGroupSpec`]) and what does
//! ([`Observed`]). The AWS layer fills `Observed`; [`super::diff`] compares.

use super::connections::{Connection, ConnectionPolicy};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::Ipv4Addr;

use super::ports::{BrokerId, DEFAULT_BROKER_PORT};

/// What a target group or listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Broker(BrokerId),
    Bootstrap,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Broker(id) => write!(f, "broker/{id}"),
            Role::Bootstrap => f.write_str("bootstrap"),
        }
    }
}

impl Role {
    /// Parses the value of [`ROLE_TAG`](super::ownership::ROLE_TAG).
    pub fn parse(tag: &str) -> Option<Role> {
        match tag {
            "bootstrap" => Some(Role::Bootstrap),
            _ => tag.strip_prefix("broker/")?.parse().ok().map(Role::Broker),
        }
    }
}

/// What a target group sends traffic to: an IP address, or an EC2 instance
/// (its primary private address).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TargetId {
    Ip(Ipv4Addr),
    Instance(String),
}

impl TargetId {
    /// As ELBv2 spells a target's id: an instance id starts with `i-`.
    pub fn parse(id: &str) -> Option<TargetId> {
        if id.starts_with("i-") { Some(TargetId::Instance(id.to_owned())) } else { id.parse().ok().map(TargetId::Ip) }
    }

    pub fn kind(&self) -> TargetKind {
        match self {
            TargetId::Ip(_) => TargetKind::Ip,
            TargetId::Instance(_) => TargetKind::Instance,
        }
    }
}

impl std::fmt::Display for TargetId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetId::Ip(ip) => write!(f, "{ip}"),
            TargetId::Instance(id) => f.write_str(id),
        }
    }
}

/// A target group's target type; fixed for the group's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum TargetKind {
    #[default]
    Ip,
    Instance,
}

impl TargetKind {
    /// As ELBv2 spells a target type (`ip`, `instance`).
    pub fn parse(s: &str) -> Option<TargetKind> {
        match s {
            "ip" => Some(TargetKind::Ip),
            "instance" => Some(TargetKind::Instance),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Ip => "ip",
            TargetKind::Instance => "instance",
        }
    }
}

/// A registered target: what, and on which port.
pub type Target = (TargetId, u16);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthProtocol {
    Tcp,
    Http,
    Https,
}

impl HealthProtocol {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "TCP" => Self::Tcp,
            "HTTP" => Self::Http,
            "HTTPS" => Self::Https,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tcp => "TCP",
            Self::Http => "HTTP",
            Self::Https => "HTTPS",
        }
    }
}

/// Where health checks connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthPort {
    /// The target's own port (`traffic-port`).
    Traffic,
    Port(u16),
}

/// Target group health checks. `None` leaves AWS's value alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HealthCheck {
    pub protocol: Option<HealthProtocol>,
    pub port: Option<HealthPort>,
    pub interval: Option<u32>,
    pub healthy_threshold: Option<u32>,
    pub unhealthy_threshold: Option<u32>,
    pub timeout: Option<u32>,
}

/// Who puts targets into the target groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Registration {
    /// The resource registers each broker's target and removes any other.
    #[default]
    Provider,
    /// Another actor (the AWS Load Balancer Controller, through a
    /// `TargetGroupBinding`) registers and deregisters targets: they are
    /// never touched, and are never drift.
    External,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerSpec {
    /// The broker's target; `None` when another actor registers it
    /// ([`Registration::External`]).
    pub target: Option<TargetId>,
    /// The port the broker listens on (the target port).
    pub port: u16,
    /// The NLB listener port.
    pub listener_port: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootstrapSpec {
    pub listener_port: u16,
    /// Target port on every broker; `None`: each broker's own port.
    pub target_port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceSpec {
    pub acceptance_required: bool,
    /// The whole list of allowed principals; `None`: AWS's are left alone
    /// (others manage them).
    pub principals: Option<BTreeSet<String>>,
    pub supported_regions: BTreeSet<String>,
    pub connections: ConnectionPolicy,
}

/// Where the load balancer comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadBalancerSpec {
    /// Created (and deleted) by the resource, in these subnets.
    Create { subnets: BTreeSet<String> },
    /// An existing NLB; never modified beyond the listeners and attributes
    /// the resource manages, never deleted.
    Adopt { arn: String },
}

/// Everything the resource's configuration asks for, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The setup's name: target group names and the owner tag carry it.
    pub name: String,
    /// The name the load balancer is created with: the setup's `name`, or
    /// for the setup's other load balancers `<name>-<k>` (see
    /// [`super::spread`]).
    pub load_balancer_name: String,
    pub vpc_id: String,
    pub load_balancer: LoadBalancerSpec,
    /// The brokers behind this load balancer.
    pub brokers: BTreeMap<BrokerId, BrokerSpec>,
    /// Brokers behind the setup's other load balancers: the bootstrap group
    /// (on the first one) holds them too. Empty for a setup of one.
    pub elsewhere: BTreeMap<BrokerId, BrokerSpec>,
    pub bootstrap: Option<BootstrapSpec>,
    /// Who registers the groups' targets.
    pub registration: Registration,
    /// Every group's target type: the brokers' when the resource registers
    /// them (one kind per cluster; the plan refuses a mix, since the
    /// bootstrap group holds them all), else the declared one. Decided by
    /// the configuration, not by the brokers behind one load balancer, which
    /// may be none.
    pub target_kind: TargetKind,
    pub health_check: HealthCheck,
    pub deregistration_delay: Option<u32>,
    pub tcp_idle_timeout: Option<u32>,
    /// `None`: the load balancer's setting is left alone (an adopted one
    /// whose setting the configuration does not name).
    pub cross_zone: Option<bool>,
    /// `None`: the load balancer's security groups are left alone (adopted,
    /// or not named by the configuration).
    pub security_groups: Option<SecurityGroupSpec>,
    pub service: ServiceSpec,
    /// Tags for every object, ownership tags excluded (added per object).
    pub tags: BTreeMap<String, String>,
}

/// The security groups of a load balancer the resource creates. AWS never
/// adds a group to an NLB created without one, nor removes the last one of
/// an NLB created with some: empty ↔ non-empty is a new load balancer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecurityGroupSpec {
    pub ids: BTreeSet<String>,
    /// Whether inbound rules apply to PrivateLink traffic (AWS default:
    /// on); `None` leaves it alone.
    pub enforce_on_private_link: Option<bool>,
}

/// What a target group should hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupTargets {
    /// Exactly these targets: the resource registers them and removes any
    /// other.
    Registered(BTreeSet<Target>),
    /// Whatever another actor registers ([`Registration::External`]): no
    /// target is ever registered or deregistered by the resource.
    External,
}

impl GroupTargets {
    /// The targets the resource registers (none when another actor does).
    pub fn registered(&self) -> Option<&BTreeSet<Target>> {
        match self {
            GroupTargets::Registered(t) => Some(t),
            GroupTargets::External => None,
        }
    }
}

/// A target group as it should exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetGroupSpec {
    pub role: Role,
    pub name: String,
    pub port: u16,
    pub kind: TargetKind,
    pub targets: GroupTargets,
    pub listener_port: u16,
}

impl Spec {
    /// A group's targets: `targets` when the resource registers them.
    fn group_targets(&self, targets: impl Iterator<Item = Target>) -> GroupTargets {
        match self.registration {
            Registration::Provider => GroupTargets::Registered(targets.collect()),
            Registration::External => GroupTargets::External,
        }
    }

    /// Every broker the bootstrap group holds: this load balancer's and
    /// those behind the setup's others.
    fn all_brokers(&self) -> impl Iterator<Item = &BrokerSpec> {
        self.brokers.values().chain(self.elsewhere.values())
    }

    /// The target groups, brokers first (by id), then the bootstrap group.
    pub fn target_groups(&self) -> Vec<TargetGroupSpec> {
        let kind = self.target_kind;
        let mut out: Vec<TargetGroupSpec> = self
            .brokers
            .iter()
            .map(|(id, b)| TargetGroupSpec {
                role: Role::Broker(*id),
                name: target_group_name(&self.name, Role::Broker(*id), kind, b.port),
                port: b.port,
                kind,
                targets: self.group_targets(b.target.iter().map(|t| (t.clone(), b.port))),
                listener_port: b.listener_port,
            })
            .collect();
        if let Some(boot) = self.bootstrap {
            // One group holds every broker. Its port is nominal when targets
            // carry their own ports.
            let port = boot
                .target_port
                .unwrap_or_else(|| self.all_brokers().map(|b| b.port).min().unwrap_or(DEFAULT_BROKER_PORT));
            out.push(TargetGroupSpec {
                role: Role::Bootstrap,
                name: target_group_name(&self.name, Role::Bootstrap, kind, port),
                port,
                kind,
                targets: self.group_targets(
                    self.all_brokers()
                        .filter_map(|b| b.target.as_ref().map(|t| (t.clone(), boot.target_port.unwrap_or(b.port)))),
                ),
                listener_port: boot.listener_port,
            });
        }
        out
    }
}

/// `<name>-b<id>-<port>` or `<name>-boot-<port>` for IP targets,
/// `<name>-i<id>-<port>` or `<name>-iboot-<port>` for instances. The port is
/// part of the name because a target group's port cannot change, and so is
/// the kind because its target type cannot either: either change needs a
/// second group while the first still exists (the listener moves between
/// them), and AWS refuses two groups of one name.
pub fn target_group_name(name: &str, role: Role, kind: TargetKind, port: u16) -> String {
    match (role, kind) {
        (Role::Broker(id), TargetKind::Ip) => format!("{name}-b{id}-{port}"),
        (Role::Broker(id), TargetKind::Instance) => format!("{name}-i{id}-{port}"),
        (Role::Bootstrap, TargetKind::Ip) => format!("{name}-boot-{port}"),
        (Role::Bootstrap, TargetKind::Instance) => format!("{name}-iboot-{port}"),
    }
}

// === what exists ===

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObservedLoadBalancer {
    pub arn: String,
    pub tags: BTreeMap<String, String>,
    pub name: String,
    pub dns_name: String,
    pub vpc_id: String,
    pub is_network: bool,
    pub subnets: BTreeSet<String>,
    /// Availability zone names of its subnets, as ELBv2 reports them.
    pub zone_names: BTreeSet<String>,
    pub cross_zone: Option<bool>,
    pub security_groups: BTreeSet<String>,
    /// `None` when AWS does not report it (no security groups).
    pub enforce_on_private_link: Option<bool>,
    /// `active` (not `provisioning` or `failed`) when last seen.
    pub active: bool,
    /// This resource instance's (see [`super::ownership`]).
    pub owned: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObservedTargetGroup {
    pub arn: String,
    pub name: String,
    pub port: u16,
    pub kind: TargetKind,
    pub vpc_id: String,
    /// From the role tag.
    pub role: Option<Role>,
    /// This resource instance's (see [`super::ownership`]).
    pub owned: bool,
    pub targets: BTreeSet<Target>,
    /// How the load balancer sees each target (read with the targets).
    pub health: BTreeMap<Target, TargetHealth>,
    pub health_check: HealthCheck,
    pub deregistration_delay: Option<u32>,
    pub tags: BTreeMap<String, String>,
    /// The load balancers whose listeners forward to the group.
    pub load_balancer_arns: BTreeSet<String>,
}

impl ObservedService {
    /// The zones of `lb` this service does not list: consumers cannot place
    /// endpoints there through it. AWS updates a service's zones after its
    /// load balancer's change, and has been seen not to (hashicorp/aws
    /// #40809). Compared by zone name, which both report in the same
    /// account.
    pub fn zones_lagging(&self, lb: &ObservedLoadBalancer) -> Vec<String> {
        lb.zone_names.difference(&self.availability_zones).cloned().collect()
    }
}

impl ObservedTargetGroup {
    /// Whether the group sends traffic to `port`: a port its targets are
    /// registered on, or — with no targets — its own port. A group's own
    /// port is only the default for targets registered without one (the
    /// TiDB Cloud guide's groups are on 9093 with their target on 39092).
    /// A stray target on another port is drift to deregister, not a reason
    /// to give up the group.
    pub fn serves(&self, port: u16) -> bool {
        if self.targets.is_empty() { self.port == port } else { self.targets.iter().any(|t| t.1 == port) }
    }
}

/// A target's health as ELBv2 reports it: `state` as AWS spells it
/// (`initial`, `healthy`, `unhealthy`, `unused`, `draining`,
/// `unavailable`, …) and AWS's reason code when there is one
/// (`Target.FailedHealthChecks`, `Elb.RegistrationInProgress`, …).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetHealth {
    pub state: String,
    pub reason: Option<String>,
}

impl TargetHealth {
    /// How well the target serves, best first: healthy, then still
    /// checking, then on its way out, then failing, then anything AWS adds
    /// later.
    pub fn rank(&self) -> u8 {
        match self.state.as_str() {
            "healthy" => 0,
            "initial" => 1,
            "draining" => 2,
            "unhealthy" | "unhealthy.draining" => 3,
            "unused" => 4,
            "unavailable" => 5,
            _ => 6,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObservedListener {
    pub arn: String,
    pub port: u16,
    /// Where its default action forwards (single target group).
    pub target_group_arn: Option<String>,
    pub idle_timeout: Option<u32>,
    /// Read only when a create looks for what an interrupted one left.
    pub tags: BTreeMap<String, String>,
    /// This resource instance's (see [`super::ownership`]).
    pub owned: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObservedService {
    pub id: String,
    pub name: String,
    pub acceptance_required: bool,
    pub supported_regions: BTreeSet<String>,
    pub principals: BTreeSet<String>,
    /// Zone names in the provider's account.
    pub availability_zones: BTreeSet<String>,
    /// Zone ids: what consumers in other accounts need.
    pub availability_zone_ids: BTreeSet<String>,
    pub load_balancer_arns: BTreeSet<String>,
    /// Consumer endpoints, in every state AWS reports.
    pub connections: Vec<Connection>,
    pub tags: BTreeMap<String, String>,
    /// This resource instance's (see [`super::ownership`]).
    pub owned: bool,
}

/// What AWS holds for one resource. Applies update it as they go, so that a
/// failed or interrupted apply still knows every object it created.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Observed {
    pub load_balancer: Option<ObservedLoadBalancer>,
    pub target_groups: Vec<ObservedTargetGroup>,
    pub listeners: Vec<ObservedListener>,
    pub service: Option<ObservedService>,
}

impl Observed {
    pub fn target_group(&self, arn: &str) -> Option<&ObservedTargetGroup> {
        self.target_groups.iter().find(|t| t.arn == arn)
    }

    pub fn target_group_by_name(&self, name: &str) -> Option<&ObservedTargetGroup> {
        self.target_groups.iter().find(|t| t.name == name)
    }

    pub fn listener_on(&self, port: u16) -> Option<&ObservedListener> {
        self.listeners.iter().find(|l| l.port == port)
    }

    /// The group that serves each desired role, for [`super::diff`] and
    /// for the state: the group the state recorded for that role, if it is
    /// ours, its role tag (if any) agrees and — for a broker — its port is
    /// the broker's (a port change needs a new group); otherwise an owned
    /// group tagged with the role and port (left by an interrupted apply).
    /// Never a group by its name or by the listener in front of it, and
    /// never one group for two roles.
    pub fn assign_groups(
        &self,
        desired: &[TargetGroupSpec],
        recorded: &BTreeMap<Role, String>,
    ) -> BTreeMap<Role, &ObservedTargetGroup> {
        let mut out = BTreeMap::new();
        let mut taken: BTreeSet<&str> = BTreeSet::new();
        let fits = |tg: &ObservedTargetGroup, spec: &TargetGroupSpec| {
            tg.owned
                && tg.kind == spec.kind
                && tg.role.is_none_or(|r| r == spec.role)
                && (spec.role == Role::Bootstrap
                    || tg.serves(spec.port)
                    // Targets may sit elsewhere (another actor's, on a
                    // NodePort; strays): the group's own port is the
                    // broker's then.
                    || tg.port == spec.port)
        };
        for spec in desired {
            let by_record = recorded
                .get(&spec.role)
                .and_then(|arn| self.target_group(arn))
                .filter(|tg| fits(tg, spec) && !taken.contains(tg.arn.as_str()));
            let by_tag = || {
                self.target_groups
                    .iter()
                    .find(|tg| tg.role == Some(spec.role) && fits(tg, spec) && !taken.contains(tg.arn.as_str()))
            };
            if let Some(tg) = by_record.or_else(by_tag) {
                taken.insert(tg.arn.as_str());
                out.insert(spec.role, tg);
            }
        }
        out
    }

    /// The listener on `port`, if it forwards to `group`.
    pub fn listener_serving(&self, port: u16, group: &ObservedTargetGroup) -> Option<&ObservedListener> {
        self.listener_on(port).filter(|l| l.target_group_arn.as_deref() == Some(group.arn.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Spec {
        Spec {
            name: "orders".into(),
            load_balancer_name: "orders".into(),
            elsewhere: BTreeMap::new(),
            vpc_id: "vpc-1".into(),
            load_balancer: LoadBalancerSpec::Create { subnets: BTreeSet::from(["subnet-1".into()]) },
            brokers: BTreeMap::from([
                (
                    BrokerId::new(1),
                    BrokerSpec {
                        target: Some(TargetId::Ip(Ipv4Addr::new(10, 0, 1, 10))),
                        port: 9092,
                        listener_port: 9001,
                    },
                ),
                (
                    BrokerId::new(2),
                    BrokerSpec {
                        target: Some(TargetId::Ip(Ipv4Addr::new(10, 0, 2, 10))),
                        port: 9094,
                        listener_port: 9002,
                    },
                ),
            ]),
            bootstrap: Some(BootstrapSpec { listener_port: 9000, target_port: None }),
            registration: Registration::Provider,
            target_kind: TargetKind::Ip,
            health_check: HealthCheck::default(),
            deregistration_delay: None,
            tcp_idle_timeout: None,
            cross_zone: None,
            security_groups: None,
            service: ServiceSpec::default(),
            tags: BTreeMap::new(),
        }
    }

    #[test]
    fn one_group_per_broker_and_a_bootstrap_group_holding_all() {
        let tgs = spec().target_groups();
        assert_eq!(tgs.len(), 3);
        assert_eq!(tgs[0].name, "orders-b1-9092");
        assert_eq!(
            tgs[1].targets,
            GroupTargets::Registered(BTreeSet::from([(TargetId::Ip(Ipv4Addr::new(10, 0, 2, 10)), 9094)]))
        );
        assert_eq!(tgs[2].role, Role::Bootstrap);
        assert_eq!(tgs[2].listener_port, 9000);
        assert_eq!(
            tgs[2].targets,
            GroupTargets::Registered(BTreeSet::from([
                (TargetId::Ip(Ipv4Addr::new(10, 0, 1, 10)), 9092),
                (TargetId::Ip(Ipv4Addr::new(10, 0, 2, 10)), 9094)
            ]))
        );
    }

    #[test]
    fn role_tags_round_trip() {
        for r in [Role::Broker(BrokerId::new(0)), Role::Broker(BrokerId::new(1001)), Role::Bootstrap] {
            assert_eq!(Role::parse(&r.to_string()), Some(r));
        }
        assert_eq!(Role::parse("broker/x"), None);
    }

    #[test]
    fn group_names_carry_the_role_the_kind_and_the_port() {
        let names: Vec<String> = [
            (Role::Broker(BrokerId::new(1001)), TargetKind::Ip),
            (Role::Broker(BrokerId::new(1001)), TargetKind::Instance),
            (Role::Bootstrap, TargetKind::Ip),
            (Role::Bootstrap, TargetKind::Instance),
        ]
        .into_iter()
        .map(|(role, kind)| target_group_name("orders", role, kind, 9092))
        .collect();
        assert_eq!(names, ["orders-b1001-9092", "orders-i1001-9092", "orders-boot-9092", "orders-iboot-9092"]);
    }

    #[test]
    fn a_group_serves_the_port_of_its_targets_not_its_own() {
        let ip = TargetId::Ip(Ipv4Addr::new(10, 0, 1, 10));
        let tidb =
            ObservedTargetGroup { port: 9093, targets: BTreeSet::from([(ip.clone(), 39092)]), ..Default::default() };
        assert!(tidb.serves(39092));
        assert!(!tidb.serves(9093));
        let empty = ObservedTargetGroup { port: 9092, ..Default::default() };
        assert!(empty.serves(9092));
        let stray = ObservedTargetGroup {
            port: 9092,
            targets: BTreeSet::from([(ip, 9092), (TargetId::Ip(Ipv4Addr::new(10, 0, 1, 11)), 9999)]),
            ..Default::default()
        };
        assert!(stray.serves(9092), "a stray target does not cost the group");
    }
}
