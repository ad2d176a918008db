//! Every refusal a resource makes of its own — a configuration it will not
//! plan, an apply it will not carry out — as a value of a type: a summary,
//! a detail and the attribute it points at, turned into a diagnostic in one
//! place ([`refuse`]). The reasons the domain finds (`DiffError`,
//! `PortError`, `Broken`, …) are the domain's; these types are their
//! Terraform face, and the refusals no domain type names.
//!
//! Each kind says where the docs explain it ([`Refusal::documented`]);
//! `tests/e2e/offline/docs.rs` walks the examples of every kind
//! ([`Refusal::examples`]) and matches them with the page's "Errors it
//! reports" list both ways. A new kind does not compile until it is placed
//! in each exhaustive match here; give it an example and a list item, or
//! the list and the examples disagree (an item without an example fails
//! the test; a kind with neither is what a review must catch).

use crate::domain::ports::PortError;
use crate::domain::promise::Broken;
use crate::domain::spread::SpreadError;
use crate::server::api::diag::Diagnostic;
use crate::server::api::path::AttributePath;

/// A refusal's face in Terraform.
pub trait Refusal: Sized {
    /// The summary line; its fixed words start it (see [`Self::documented`]).
    fn summary(&self) -> String;
    fn detail(&self) -> String;
    /// The attribute the refusal is about, if one is.
    fn at(&self) -> Option<AttributePath>;
    /// The docs page that explains this kind, and the summary's fixed words
    /// as that page spells them.
    fn documented(&self) -> (&'static str, &'static str);
    /// One value of each kind, for the docs test.
    #[doc(hidden)]
    fn examples() -> Vec<Self>;
}

/// The one conversion of a refusal into a diagnostic.
pub fn refuse(r: &impl Refusal) -> Diagnostic {
    let d = Diagnostic::error(r.summary(), r.detail());
    match r.at() {
        Some(at) => d.at(at),
        None => d,
    }
}

const PRIVATELINK_PAGE: &str = "docs/resources/privatelink.md";
const ACCEPTER_PAGE: &str = "docs/resources/endpoint_connection_accepter.md";
const PRINCIPAL_PAGE: &str = "docs/resources/endpoint_service_principal.md";

fn list(items: &[String]) -> String {
    items.join(", ")
}

fn brokers_at(key: &str, field: &str) -> Option<AttributePath> {
    Some(AttributePath::attr("brokers").key(key.to_owned()).attribute(field))
}

/// What a `kafka_privatelink` plan or apply refuses of its own.
#[derive(Debug, Clone)]
pub enum LinkRefusal {
    /// A listener port the assignment cannot give.
    ListenerPort {
        error: PortError,
        at: AttributePath,
    },
    /// A replacement would give brokers other listener ports: (key, was, now).
    MovesPorts {
        because: Vec<String>,
        moved: Vec<(String, u16, u16)>,
    },
    /// Whether the load balancer is replaced depends on a value unknown
    /// until apply.
    Undecidable(Undecided),
    /// Subnets to remove while consumer endpoints are connected.
    SubnetRemoval {
        gone: Vec<String>,
        live: Vec<String>,
    },
    UnknownSubnet {
        id: String,
        vpc: String,
    },
    TwoSubnetsInZone {
        first: String,
        second: String,
        zone_id: String,
        zone_name: String,
    },
    BrokerOutsideVpc {
        key: String,
        ip: String,
        vpc: String,
    },
    BrokerZoneMismatch {
        key: String,
        found: String,
        given: String,
    },
    UnknownInstance {
        key: String,
        instance: String,
        region: String,
    },
    InstanceOutsideVpc {
        key: String,
        instance: String,
        found: String,
        vpc: String,
    },
    IpNotInstances {
        key: String,
        instance: String,
        has: String,
        given: String,
    },
    /// A saved plan that AWS has moved away from: nothing was written.
    PlanOutOfDate {
        name: String,
        broken: Vec<(Broken, AttributePath)>,
    },
    /// Values the plan showed that AWS changed while the apply ran.
    ChangedDuringApply {
        name: String,
        paths: Vec<AttributePath>,
    },
    /// `brokers_per_load_balancer` would move live brokers.
    Spread(SpreadError),
    /// Unsetting `brokers_per_load_balancer` would gather brokers behind
    /// several load balancers onto one.
    Gather {
        load_balancers: usize,
    },
    /// Two listeners on one port of one load balancer.
    SharedListenerPort {
        port: u16,
        load_balancer: String,
        first: AttributePath,
        second: AttributePath,
    },
}

/// The list whose unknown value leaves a replacement undecided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undecided {
    SubnetIds,
    SecurityGroupIds,
}

impl Refusal for LinkRefusal {
    fn summary(&self) -> String {
        let fixed = self.documented().1;
        match self {
            LinkRefusal::PlanOutOfDate { name, .. } | LinkRefusal::ChangedDuringApply { name, .. } => {
                format!("{fixed} ({name})")
            }
            _ => fixed.to_owned(),
        }
    }

    fn detail(&self) -> String {
        match self {
            LinkRefusal::ListenerPort { error, .. } => error.to_string(),
            LinkRefusal::MovesPorts { because, moved } => {
                let moves: Vec<String> =
                    moved.iter().map(|(k, was, now)| format!("broker {k} from {was} to {now}")).collect();
                let pins: Vec<String> =
                    moved.iter().map(|(k, was, _)| format!("brokers[\"{k}\"].listener_port = {was}")).collect();
                format!(
                    "This plan replaces the load balancer ({}), and a new one assigns listener ports afresh: it \
                     would move {}. A broker keeps its listener port for life (its clients were told it). Pin the \
                     ports it has: {}.",
                    list(because),
                    list(&moves),
                    list(&pins)
                )
            }
            LinkRefusal::Undecidable(Undecided::SubnetIds) => UNKNOWN_SUBNETS.to_owned(),
            LinkRefusal::Undecidable(Undecided::SecurityGroupIds) => UNKNOWN_GROUPS.to_owned(),
            LinkRefusal::SubnetRemoval { gone, live } => format!(
                "Removing {} from the load balancer is refused by AWS while consumer endpoints are connected to \
                 its endpoint service ({}). Remove the subnet once they have gone (or rejected: \
                 endpoint_service.reject_unlisted), or keep it for now.",
                list(gone),
                list(live)
            ),
            LinkRefusal::UnknownSubnet { id, vpc } => format!("{id} is not a subnet of {vpc}."),
            LinkRefusal::TwoSubnetsInZone { first, second, zone_id, zone_name } => format!(
                "{first} and {second} are both in {zone_id} ({zone_name}); a load balancer takes one subnet per \
                 availability zone."
            ),
            LinkRefusal::BrokerOutsideVpc { ip, vpc, .. } => {
                format!("{ip} is in no subnet of {vpc}; IP targets must be addresses in the load balancer's VPC.")
            }
            LinkRefusal::BrokerZoneMismatch { key, found, given } => format!(
                "Broker {key}'s IP is in {found}, not in {given}; leave availability_zone_id out to have it computed."
            ),
            LinkRefusal::UnknownInstance { instance, region, .. } => {
                format!("No EC2 instance {instance} exists in {region}.")
            }
            LinkRefusal::InstanceOutsideVpc { instance, found, vpc, .. } => {
                format!("The instance {instance} is in {found}, not in {vpc}.")
            }
            LinkRefusal::IpNotInstances { instance, has, given, .. } => {
                format!("The instance {instance} has the IP {has}, not {given}; give one or the other.")
            }
            LinkRefusal::PlanOutOfDate { broken, .. } => out_of_date(broken),
            LinkRefusal::ChangedDuringApply { paths, .. } => changed(paths),
            LinkRefusal::Spread(_) | LinkRefusal::Gather { .. } | LinkRefusal::SharedListenerPort { .. } => {
                spread_detail(self)
            }
        }
    }

    fn at(&self) -> Option<AttributePath> {
        match self {
            LinkRefusal::ListenerPort { at, .. } => Some(at.clone()),
            LinkRefusal::MovesPorts { moved, .. } => moved.first().and_then(|(k, _, _)| brokers_at(k, "listener_port")),
            LinkRefusal::Undecidable(Undecided::SubnetIds)
            | LinkRefusal::SubnetRemoval { .. }
            | LinkRefusal::UnknownSubnet { .. }
            | LinkRefusal::TwoSubnetsInZone { .. } => Some(AttributePath::attr("subnet_ids")),
            LinkRefusal::Undecidable(Undecided::SecurityGroupIds) => Some(AttributePath::attr("security_group_ids")),
            LinkRefusal::BrokerOutsideVpc { key, .. } => brokers_at(key, "ip"),
            LinkRefusal::BrokerZoneMismatch { key, .. } => brokers_at(key, "availability_zone_id"),
            LinkRefusal::UnknownInstance { key, .. } | LinkRefusal::InstanceOutsideVpc { key, .. } => {
                brokers_at(key, "instance_id")
            }
            LinkRefusal::IpNotInstances { key, .. } => brokers_at(key, "ip"),
            LinkRefusal::PlanOutOfDate { broken, .. } => broken.first().map(|(_, at)| at.clone()),
            LinkRefusal::ChangedDuringApply { paths, .. } => paths.first().cloned(),
            LinkRefusal::Spread(_) | LinkRefusal::Gather { .. } => {
                Some(AttributePath::attr("brokers_per_load_balancer"))
            }
            LinkRefusal::SharedListenerPort { second, .. } => Some(second.clone()),
        }
    }

    fn documented(&self) -> (&'static str, &'static str) {
        let fixed = match self {
            LinkRefusal::ListenerPort { .. } => "Invalid listener port",
            LinkRefusal::MovesPorts { .. } => "Replacement would move listener ports",
            LinkRefusal::Undecidable(_) => "Replacement undecidable at plan",
            LinkRefusal::SubnetRemoval { .. } => "Subnet removal refused while consumers are connected",
            LinkRefusal::UnknownSubnet { .. } => "Unknown subnet",
            LinkRefusal::TwoSubnetsInZone { .. } => "Two subnets in one availability zone",
            LinkRefusal::BrokerOutsideVpc { .. } => "Broker outside the VPC",
            LinkRefusal::BrokerZoneMismatch { .. } => "Broker zone mismatch",
            LinkRefusal::UnknownInstance { .. } => "Unknown broker instance",
            LinkRefusal::InstanceOutsideVpc { .. } => "Broker instance outside the VPC",
            LinkRefusal::IpNotInstances { .. } => "Broker IP is not its instance's",
            LinkRefusal::PlanOutOfDate { .. } => "Plan out of date for Kafka PrivateLink",
            LinkRefusal::ChangedDuringApply { .. } => "AWS changed during the apply of Kafka PrivateLink",
            LinkRefusal::Spread(_) | LinkRefusal::Gather { .. } => "Brokers would move between load balancers",
            LinkRefusal::SharedListenerPort { .. } => "Duplicate listener port on a load balancer",
        };
        (PRIVATELINK_PAGE, fixed)
    }

    fn examples() -> Vec<Self> {
        let s = String::new;
        let b = crate::domain::ports::BrokerId::new(1);
        vec![
            LinkRefusal::ListenerPort { error: PortError::Zero { broker: b }, at: AttributePath::attr("brokers") },
            LinkRefusal::MovesPorts { because: vec![], moved: vec![] },
            LinkRefusal::Undecidable(Undecided::SubnetIds),
            LinkRefusal::Undecidable(Undecided::SecurityGroupIds),
            LinkRefusal::SubnetRemoval { gone: vec![], live: vec![] },
            LinkRefusal::UnknownSubnet { id: s(), vpc: s() },
            LinkRefusal::TwoSubnetsInZone { first: s(), second: s(), zone_id: s(), zone_name: s() },
            LinkRefusal::BrokerOutsideVpc { key: s(), ip: s(), vpc: s() },
            LinkRefusal::BrokerZoneMismatch { key: s(), found: s(), given: s() },
            LinkRefusal::UnknownInstance { key: s(), instance: s(), region: s() },
            LinkRefusal::InstanceOutsideVpc { key: s(), instance: s(), found: s(), vpc: s() },
            LinkRefusal::IpNotInstances { key: s(), instance: s(), has: s(), given: s() },
            LinkRefusal::PlanOutOfDate { name: s(), broken: vec![] },
            LinkRefusal::ChangedDuringApply { name: s(), paths: vec![] },
            LinkRefusal::Spread(SpreadError::Crowded { shard: 0, brokers: vec![b], per: 1 }),
            LinkRefusal::Gather { load_balancers: 2 },
            LinkRefusal::SharedListenerPort {
                port: 9092,
                load_balancer: s(),
                first: AttributePath::attr("brokers"),
                second: AttributePath::attr("brokers"),
            },
        ]
    }
}

/// The details of the refusals that keep brokers where they are among
/// several load balancers.
fn spread_detail(r: &LinkRefusal) -> String {
    match r {
        LinkRefusal::Spread(e) => format!(
            "{e}. Keep brokers_per_load_balancer at or above what each load balancer holds, or move brokers \
                 deliberately: remove them in one apply and add them back (with new listener ports, told to their \
                 clients) in the next."
        ),
        LinkRefusal::Gather { load_balancers } => format!(
            "The brokers sit behind {load_balancers} load balancers; without brokers_per_load_balancer they \
                 would all move behind one, and their clients were told their addresses. Keep \
                 brokers_per_load_balancer."
        ),
        LinkRefusal::SharedListenerPort { port, load_balancer, first, .. } => format!(
            "Listener port {port} of load balancer {load_balancer} is already used by {first}; brokers behind \
                 one load balancer need listener ports of their own."
        ),
        _ => String::new(),
    }
}

fn out_of_date(broken: &[(Broken, AttributePath)]) -> String {
    let what: Vec<String> = broken.iter().map(|(b, _)| b.to_string()).collect();
    format!(
        "Since this plan was made, AWS changed: {}. Applying the plan as it is would make these objects anew, with \
         other identifiers than the plan shows. Nothing was changed. Run `terraform plan` again (in a pipeline: \
         save a new plan file, review it, and apply that one); it shows the repair.",
        what.join("; ")
    )
}

fn changed(paths: &[AttributePath]) -> String {
    let named: Vec<String> = paths.iter().map(ToString::to_string).collect();
    format!(
        "While this apply ran, AWS came to differ from what the plan showed at {}. The state records what AWS holds \
         now. Run `terraform plan` again to see what is left to do.",
        list(&named)
    )
}

const UNKNOWN_GROUPS: &str = "Whether the load balancer keeps, gains or loses its security groups decides whether it \
     is replaced (AWS changes neither none to some nor some to none in place), and this list is unknown until apply. \
     Give the list itself in the configuration (its ids may be unknown, e.g. [aws_security_group.kafka.id]), or \
     apply what produces it first (terraform apply -target=…).";

const UNKNOWN_SUBNETS: &str = "A subnet the load balancer has is missing from the known subnet ids, and some ids are \
     unknown until apply: whether the unknown ones include it decides whether it is removed, or even the load \
     balancer replaced. List the load balancer's subnets by known ids, or apply what produces the unknown ones \
     first (terraform apply -target=…).";

/// What a `kafka_endpoint_connection_accepter` refuses of its own.
#[derive(Debug, Clone)]
pub enum AccepterRefusal {
    /// The configuration now names another account than the accepted
    /// endpoint's owner.
    AnotherConsumer {
        owner: String,
        account: String,
    },
    /// Accepted, then not available (in time, or at all): `why` says what
    /// was seen.
    AcceptedNotAvailable {
        endpoint: String,
        why: String,
    },
    /// No connection was accepted: `why` says what was seen.
    NoneAccepted {
        service: String,
        why: String,
    },
    ImportPending {
        service: String,
        endpoint: String,
    },
    ImportMissing {
        service: String,
        endpoint: String,
    },
}

impl Refusal for AccepterRefusal {
    fn summary(&self) -> String {
        match self {
            AccepterRefusal::AcceptedNotAvailable { endpoint, .. } => {
                format!("Connection {endpoint} accepted, not available")
            }
            AccepterRefusal::NoneAccepted { service, .. } => format!("No connection accepted on {service}"),
            _ => self.documented().1.to_owned(),
        }
    }

    fn detail(&self) -> String {
        match self {
            AccepterRefusal::AnotherConsumer { owner, account } => format!(
                "The accepted endpoint belongs to account {owner}; the configuration now names account {account}. \
                 Replace the accepter (terraform apply -replace) to accept that account's request."
            ),
            AccepterRefusal::AcceptedNotAvailable { why, .. } | AccepterRefusal::NoneAccepted { why, .. } => {
                why.clone()
            }
            AccepterRefusal::ImportPending { service, endpoint } => {
                format!("{endpoint} waits for acceptance on {service}: create the accepter instead, and it accepts it.")
            }
            AccepterRefusal::ImportMissing { service, endpoint } => {
                format!("{service} has no connection from {endpoint}.")
            }
        }
    }

    fn at(&self) -> Option<AttributePath> {
        // The account may come from `account_id` or from `principal_arn`:
        // the refusal names it in words instead.
        None
    }

    fn documented(&self) -> (&'static str, &'static str) {
        let fixed = match self {
            AccepterRefusal::AnotherConsumer { .. } => "Another consumer",
            AccepterRefusal::AcceptedNotAvailable { .. } => "accepted, not available",
            AccepterRefusal::NoneAccepted { .. } => "No connection accepted on",
            AccepterRefusal::ImportPending { .. } => "Cannot import a connection not accepted yet",
            AccepterRefusal::ImportMissing { .. } => "Cannot import a connection that does not exist",
        };
        (ACCEPTER_PAGE, fixed)
    }

    fn examples() -> Vec<Self> {
        let s = String::new;
        vec![
            AccepterRefusal::AnotherConsumer { owner: s(), account: s() },
            AccepterRefusal::AcceptedNotAvailable { endpoint: s(), why: s() },
            AccepterRefusal::NoneAccepted { service: s(), why: s() },
            AccepterRefusal::ImportPending { service: s(), endpoint: s() },
            AccepterRefusal::ImportMissing { service: s(), endpoint: s() },
        ]
    }
}

/// What a `kafka_endpoint_service_principal` refuses of its own.
#[derive(Debug, Clone)]
pub enum PrincipalRefusal {
    /// The service allows the principal already: someone else manages it.
    AlreadyAllowed {
        service: String,
    },
    ImportNotAllowed {
        service: String,
    },
}

impl Refusal for PrincipalRefusal {
    fn summary(&self) -> String {
        match self {
            PrincipalRefusal::AlreadyAllowed { service } => format!("{} {service}", self.documented().1),
            PrincipalRefusal::ImportNotAllowed { .. } => self.documented().1.to_owned(),
        }
    }

    fn detail(&self) -> String {
        match self {
            PrincipalRefusal::AlreadyAllowed { .. } => "The service already allows this principal: through \
                kafka_privatelink's endpoint_service.allowed_principals, another kafka_endpoint_service_principal, \
                or by hand. Managed twice, the first removal would take it from both. Leave it to the one that \
                manages it (unset allowed_principals to hand it over), or, if an interrupted apply of this resource \
                added it, import it: terraform import <address> <service_id>,<principal_arn>."
                .to_owned(),
            PrincipalRefusal::ImportNotAllowed { service } => {
                format!("{service} does not allow that principal: there is nothing to import.")
            }
        }
    }

    fn at(&self) -> Option<AttributePath> {
        match self {
            PrincipalRefusal::AlreadyAllowed { .. } => Some(AttributePath::attr("principal_arn")),
            PrincipalRefusal::ImportNotAllowed { .. } => None,
        }
    }

    fn documented(&self) -> (&'static str, &'static str) {
        let fixed = match self {
            PrincipalRefusal::AlreadyAllowed { .. } => "Principal already allowed on",
            PrincipalRefusal::ImportNotAllowed { .. } => "Cannot import a principal the service does not allow",
        };
        (PRINCIPAL_PAGE, fixed)
    }

    fn examples() -> Vec<Self> {
        vec![
            PrincipalRefusal::AlreadyAllowed { service: String::new() },
            PrincipalRefusal::ImportNotAllowed { service: String::new() },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn each_summary_starts_with_or_holds_its_fixed_words<R: Refusal>() {
        let examples = R::examples();
        assert!(!examples.is_empty());
        for r in &examples {
            let (page, fixed) = r.documented();
            assert!(page.starts_with("docs/"), "{page}");
            assert!(r.summary().contains(fixed), "{} does not hold {fixed:?}", r.summary());
            assert_eq!(refuse(r).summary, r.summary());
        }
    }

    #[test]
    fn summaries_hold_the_words_the_docs_are_checked_for() {
        each_summary_starts_with_or_holds_its_fixed_words::<LinkRefusal>();
        each_summary_starts_with_or_holds_its_fixed_words::<AccepterRefusal>();
        each_summary_starts_with_or_holds_its_fixed_words::<PrincipalRefusal>();
    }

    #[test]
    fn a_refusal_points_at_its_attribute() {
        let r = LinkRefusal::BrokerZoneMismatch { key: "2".into(), found: "a".into(), given: "b".into() };
        assert_eq!(refuse(&r).path.map(|p| p.to_string()).as_deref(), Some("brokers[\"2\"].availability_zone_id"));
        let moved =
            LinkRefusal::MovesPorts { because: vec!["subnet_ids".into()], moved: vec![("3".into(), 9003, 9001)] };
        let d = refuse(&moved);
        assert_eq!(d.path.map(|p| p.to_string()).as_deref(), Some("brokers[\"3\"].listener_port"));
        assert!(
            d.detail.contains("broker 3 from 9003 to 9001") && d.detail.contains("brokers[\"3\"].listener_port = 9003")
        );
    }
}
