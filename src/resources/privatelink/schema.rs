//! The `kafka_privatelink` schema. Descriptions are the documentation.

use crate::server::api::schema::{Attribute, Block, NestedBlock, Nesting, Schema};
use crate::server::api::types::Type;

use super::model::defaults;

pub fn schema() -> Schema {
    Schema::new(
        0,
        Block::new()
            .describe("Everything AWS PrivateLink needs so that a consumer in another VPC or account reaches every broker of one Kafka cluster: per broker a target group (IP target, TCP) and a listener on its own port, optionally a bootstrap listener to all brokers, the network load balancer (created or adopted), the VPC endpoint service and its allowed principals. Brokers are keyed by id and keep their listener port for life.")
            .attribute(s("id", "The ARN of the network load balancer.").computed())
            .attribute(s("name", "Prefix of every AWS object name: the load balancer is `<name>`, target groups `<name>-b<broker id>-<port>` (`-i<broker id>-` for instance brokers; at most 32 characters). Changing it replaces everything when the resource creates the load balancer; with `load_balancer_arn` it only names target groups created from then on.").required())
            .attribute(s("vpc_id", "The VPC of the brokers. Changing it replaces everything.").required())
            .attribute(set("subnet_ids", "Subnets of the network load balancer the resource creates, at most one per availability zone. Subnets are added and removed in place (a subnet replaced within one zone is removed, then the new one added), except that removing one is refused while consumers are connected (AWS refuses it), and a list that keeps none of the load balancer's subnets replaces it. Conflicts with `load_balancer_arn`."))
            .attribute(s("load_balancer_arn", "Adopt this existing network load balancer instead of creating one: only the listeners and attributes this resource manages are changed, and it is never deleted. Computed when the resource creates the load balancer.").optional_computed())
            .attribute(set("security_group_ids", "Security groups of the load balancer the resource creates (at most 5), e.g. one admitting the consumers' CIDR on the listener ports. Changed in place. AWS never adds a security group to a Network Load Balancer created without one, nor removes the last one: going from none to some, or from some to none, replaces the load balancer (the plan says so). With `load_balancer_arn`: the adopted load balancer's groups, reported only.").optional_computed())
            .attribute(s("enforce_security_group_inbound_rules_on_private_link_traffic", "`\"on\"` (AWS's default) or `\"off\"`: whether the security groups' inbound rules also filter traffic arriving through PrivateLink. Needs `security_group_ids`. Shown as AWS reports it.").optional_computed())
            .attribute(n("broker_port", &format!("The port brokers listen on, for brokers that name none. Default `{}`.", defaults::BROKER_PORT)).optional_computed())
            .attribute(n("listener_port_base", &format!("First NLB listener port for brokers without an explicit `listener_port`. Default `{}`.", defaults::LISTENER_PORT_BASE)).optional_computed())
            .attribute(n("brokers_per_load_balancer", &format!("Spread the brokers over several network load balancers, at most this many behind each (1–{MAX}), each load balancer with its own target groups, listeners and VPC endpoint service carrying the same `endpoint_service` settings. Unset: one load balancer for every broker, as many as its {MAX} listeners allow. A broker keeps its load balancer for life, and a new one takes a free place on an existing load balancer before another is created; one left with no broker is deleted, except the first, which the single-valued attributes speak of. With `1` (the per-broker layout Amazon MSK needs, since its brokers' addresses cannot change), a broker's `listener_port` defaults to its own `port`. Lowering it below what a load balancer holds is refused: it would move live brokers. Needs `subnet_ids`.", MAX = crate::domain::ports::MAX_LISTENERS_PER_NLB)))
            .attribute(s("target_registration", "Who puts brokers into the target groups. `\"provider\"` (default): this resource registers each broker's `ip` or `instance_id` and removes any other target. `\"external\"`: another actor registers them — the AWS Load Balancer Controller, through one `TargetGroupBinding` per broker's `target_group_arn` (Strimzi, Confluent for Kubernetes, Redpanda): the target groups, listeners, bootstrap and endpoint service are managed as ever, but no target is ever registered or deregistered, the actor's targets are never drift, and brokers name no `ip` or `instance_id` (their `port` is the target port). Switching is in place: to `\"external\"`, switch first (the switch makes no target call, so the targets this resource registered serve until the controller replaces them), then bind; to `\"provider\"`, give every broker its target and switch: the apply registers them and waits until they are healthy before it removes the others.").optional_computed())
            .attribute(s("target_type", "The target groups' target type, `\"ip\"` or `\"instance\"`, as a `TargetGroupBinding`'s `targetType` needs it. With `target_registration = \"external\"` it is declared here (`\"ip\"`: pods on their container port; `\"instance\"`: nodes on a NodePort); unset, the groups keep the type they have, so that switching to `\"external\"` moves nothing, and a new setup's are `\"ip\"`. Otherwise it is the brokers' (`instance` when they name `instance_id`), and set, it must agree. Changing it creates new groups and moves the listeners to them.").optional_computed())
            .attribute(brokers())
            .block(NestedBlock::single("bootstrap", bootstrap()))
            .attribute(b("cross_zone_load_balancing", &format!("Whether every load balancer node may reach brokers in every zone. Forced on when `endpoint_service.supported_regions` is set (cross-region PrivateLink needs it); an explicit `false` with supported regions is an error. Default `{}`; with `load_balancer_arn`, unset leaves the adopted load balancer's own setting alone.", defaults::CROSS_ZONE)).optional_computed())
            .block(NestedBlock::single("health_check", health_check()))
            .attribute(n("deregistration_delay", "Seconds a removed broker keeps its connections (target group attribute `deregistration_delay.timeout_seconds`, 0–3600)."))
            .attribute(n("tcp_idle_timeout", "Listener attribute `tcp.idle_timeout.seconds`, 60–6000 (AWS default 350). Keep Kafka clients' `connections.max.idle.ms` below it."))
            .block(NestedBlock::required_single("endpoint_service", endpoint_service()))
            .attribute(Attribute::new("tags", Type::map(Type::String)).describe("Tags for every AWS object the resource creates, merged over the provider's `default_tags`."))
            .attribute(Attribute::new("tags_all", Type::map(Type::String)).computed().describe("The tags applied: `default_tags` merged with `tags`."))
            .block(NestedBlock::single("timeouts", timeouts()))
            .attribute(s("load_balancer_dns_name", "DNS name of the load balancer.").computed())
            .attribute(Attribute::new("availability_zone_ids", Type::set(Type::String)).computed().describe("Availability zone ids of the load balancer's subnets."))
            .attribute(
                Attribute::new("target_health", Type::map(Type::object([("state", Type::String), ("reason", Type::String)])))
                    .computed()
                    .describe("Each broker's target health as the load balancer sees it, by broker id (with `target_registration = \"external\"`: the healthiest of the targets the other actor registered; no entry while there is none), read on every refresh in the same call that reads the targets: `state` (`initial`, `healthy`, `unhealthy`, `unused` while no listener uses the group, `unavailable`) and AWS's `reason` code when it gives one (`Target.FailedHealthChecks`, `Elb.RegistrationInProgress`, …). A broker registered by this apply appears from the next refresh on. Informational: it never causes a change, and it is kept apart from `brokers` so that passing `brokers` on stays stable."),
            )
            .attribute(s("bootstrap_servers", "A `bootstrap.servers` hint for clients inside the VPC: the (first) load balancer's DNS name with the bootstrap port, or with the listener port of every broker behind it.").computed())
            .attribute(
                Attribute::new(
                    "load_balancers",
                    Type::list(Type::object([
                        ("name", Type::String),
                        ("load_balancer_arn", Type::String),
                        ("endpoint_service_id", Type::String),
                        ("endpoint_service_name", Type::String),
                        ("broker_ids", Type::list(Type::String)),
                    ])),
                )
                .computed()
                .describe("The setup's load balancers, the first first: each one's `name` (known at plan, a stable key for `for_each`), `load_balancer_arn`, `endpoint_service_id`, `endpoint_service_name` and the `broker_ids` behind it. One entry without `brokers_per_load_balancer`. Wire a consumer per entry, e.g. `kafka_endpoint_service_principal` with `for_each = { for lb in kafka_privatelink.x.load_balancers : lb.name => lb }`."),
            ),
    )
}

fn s(name: &str, doc: &str) -> Attribute {
    Attribute::new(name, Type::String).describe(doc)
}

fn n(name: &str, doc: &str) -> Attribute {
    Attribute::new(name, Type::Number).describe(doc)
}

fn b(name: &str, doc: &str) -> Attribute {
    Attribute::new(name, Type::Bool).describe(doc)
}

fn set(name: &str, doc: &str) -> Attribute {
    Attribute::new(name, Type::set(Type::String)).describe(doc)
}

fn brokers() -> Attribute {
    Attribute::nested(
        "brokers",
        Nesting::Map,
        vec![
            s("ip", "The broker's private IPv4 address, inside `vpc_id` (an `ip` target). With `instance_id`: its instance's primary private address, read at plan.").optional_computed(),
            s("instance_id", "The EC2 instance the broker runs on, instead of `ip`: the broker's target group is then an `instance` group, its target the instance on `port`, and its zone the instance's subnet's. Every broker of a cluster is given the same way."),
            n("port", "The port the broker listens on (the target port). Default `broker_port`. Changing it creates a new target group and moves the listener to it; the listener stays.").optional_computed(),
            n("listener_port", "The NLB listener port of this broker. When unset: on creation `listener_port_base` + the broker's rank by id; for a broker added later, the lowest free port at or above the base. A broker keeps its port for life; adding or removing brokers never moves another broker's port.").optional_computed(),
            s("availability_zone_id", "Availability zone id of the subnet that holds `ip`. Computed; when given (as `kafka_msk_brokers` gives it), it must be that zone.").optional_computed(),
            s("host", "Informational: the broker's own host name (e.g. an MSK broker's DNS name from `kafka_msk_brokers`), passed on to `kafka_advertised_listeners` with the rest of `brokers`. Changes nothing in AWS."),
            s("target_group_arn", "ARN of the broker's target group.").computed(),
            s("listener_arn", "ARN of the broker's listener.").computed(),
            Attribute::new("targets", Type::set(Type::String)).computed().describe("The `ip:port` targets registered in the broker's target group; anything but the broker itself is removed on the next apply. With `target_registration = \"external\"`: whatever the other actor registered, as last refreshed, never a reason for a change."),
            s("target_type", "The broker's target group's target type (`ip` or `instance`): with `target_group_arn`, what a `TargetGroupBinding` names.").computed(),
            s("endpoint_service_name", "The service name of the endpoint service in front of the broker's load balancer: what `kafka_advertised_listeners` takes to name each consumer connection when brokers sit behind several.").computed(),
        ],
    )
    .required()
    .describe("The brokers, keyed by broker id as a decimal string (`\"1\"`), Kafka's `broker.id`/`node.id`. The map can be passed as it is to `kafka_advertised_listeners`.")
}

fn bootstrap() -> Block {
    Block::new()
    .describe("A bootstrap listener whose target group holds every broker (the TiDB Cloud layout).")
    .attribute(n("listener_port", "Its listener port, e.g. `9092`.").required())
    .attribute(n("target_port", "The port targeted on every broker. Default: each broker's `port`."))
    .attribute(s("target_group_arn", "ARN of the bootstrap target group.").computed())
    .attribute(s("listener_arn", "ARN of the bootstrap listener.").computed())
    .attribute(
        Attribute::new("targets", Type::set(Type::String)).computed().describe("The `target:port` targets registered in the bootstrap group; it holds every broker, anything else is removed on the next apply. With `target_registration = \"external\"`: whatever the other actor registered, as last refreshed."),
    )
}

fn health_check() -> Block {
    Block::new()
        .describe("Health checks of the broker target groups. Unset settings keep AWS's defaults.")
        .attribute(s("protocol", "`TCP` (default), `HTTP` or `HTTPS`."))
        .attribute(s("port", "`traffic-port` (default) or a port number."))
        .attribute(n("interval", "Seconds between checks, 5–300."))
        .attribute(n("healthy_threshold", "Consecutive successes before a broker is healthy, 2–10."))
        .attribute(n("unhealthy_threshold", "Consecutive failures before a broker is unhealthy, 2–10."))
        .attribute(n("timeout", "Seconds before a check fails, 2–120."))
}

fn endpoint_service() -> Block {
    Block::new()
    .describe("The VPC endpoint service in front of the load balancer.")
    .attribute(b("acceptance_required", &format!("Whether each consumer connection must be accepted. Default `{}`.", defaults::ACCEPTANCE_REQUIRED)).optional_computed())
    .attribute(set("allowed_principals", "IAM principals allowed to connect, e.g. `arn:aws:iam::123456789012:root`. `\"*\"` needs `allow_any_principal = true`. Set, it is the whole list: principals added or removed out of band (or by a `kafka_endpoint_service_principal`) are repaired, and `[]` removes every one. Unset, the service's principals are reported and left alone, for `kafka_endpoint_service_principal` resources to manage; never manage one principal both ways.").optional_computed())
    .attribute(b("allow_any_principal", "Allow `\"*\"` in `allowed_principals`: any AWS account may connect."))
    .attribute(set("supported_regions", "Regions consumers may connect from (cross-region PrivateLink); forces cross-zone load balancing."))
    .attribute(b("reject_connections_on_destroy", "On destroy, reject consumer connections that still exist instead of failing."))
    .attribute(b("auto_accept", "Accept, on every apply, the pending connections of accounts that `allowed_principals` lists (any account when `\"*\"` is allowed). The plan names the endpoints it will accept. Default `false`: connections wait for someone to accept them."))
    .attribute(b("reject_unlisted", "Reject, on every apply, the pending and available connections of accounts that `allowed_principals` does not list. Removing a principal does not end its account's existing connections on AWS; with this set, the same apply rejects them. Default `false`: such connections are left alone."))
    .attribute(
        Attribute::new(
            "connections",
            Type::list(Type::object([("endpoint_id", Type::String), ("owner", Type::String), ("state", Type::String)])),
        )
        .computed()
        .describe("Every consumer endpoint connection AWS reports (of every load balancer's service, with `brokers_per_load_balancer`), by endpoint id: `endpoint_id`, `owner` (the endpoint's account) and `state` (`pendingAcceptance`, `available`, `rejected`, …)."),
    )
    .attribute(s("id", "The service id, `vpce-svc-…`.").computed())
    .attribute(s("service_name", "The service name consumers use, `com.amazonaws.vpce.<region>.vpce-svc-…`.").computed())
    .attribute(Attribute::new("availability_zones", Type::set(Type::String)).computed().describe("Zone names (in this account) the service is available in."))
    .attribute(Attribute::new("availability_zone_ids", Type::set(Type::String)).computed().describe("Zone ids the service is available in: what consumers in other accounts match against."))
}

fn timeouts() -> Block {
    let timeout = format!("Default `{}m`.", defaults::TIMEOUT.as_secs() / 60);
    Block::new()
        .describe("How long waits may take.")
        .attribute(s("create", &timeout))
        .attribute(s("update", &timeout))
        .attribute(s("delete", &timeout))
}
