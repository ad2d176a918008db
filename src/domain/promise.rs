//! What a plan promised about AWS objects that already exist, and whether
//! the world an apply finds still lets it keep that promise.
//!
//! A plan names an existing object by its identifier (the load balancer's
//! ARN, a broker's target group and listener, the endpoint service's id)
//! when it means to keep that object. Terraform holds the apply to every
//! value the plan showed as known: an apply that had to recreate one of
//! those objects would return another identifier, and Terraform would stop
//! with "Provider produced inconsistent result". That happens when a plan
//! saved with `terraform plan -out` is applied after the object was deleted
//! or replaced out of band. [`broken`] finds those cases before the apply
//! writes anything, so that the apply can refuse with what changed instead.

use std::collections::BTreeMap;
use std::fmt;

use super::diff::{Schedule, Step};
use super::layout::{Observed, Role};

/// The existing objects a plan names by identifier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Promised {
    pub load_balancer: Option<String>,
    pub groups: BTreeMap<Role, String>,
    /// Each role's listener: its ARN and port.
    pub listeners: BTreeMap<Role, (String, u16)>,
    pub service: Option<String>,
}

/// One object a plan named that the apply could not keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broken {
    LoadBalancer { arn: String },
    Group { role: Role, arn: String },
    Listener { role: Role, arn: String },
    Service { id: String },
}

fn whose(role: Role) -> String {
    match role {
        Role::Broker(id) => format!("broker {id}'s"),
        Role::Bootstrap => "the bootstrap listener's".to_owned(),
    }
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Broken::LoadBalancer { arn } => write!(f, "the load balancer {arn} is gone or replaced"),
            Broken::Group { role, arn } => write!(f, "{} target group {arn} is gone or replaced", whose(*role)),
            Broken::Listener { role, arn } => write!(f, "{} listener {arn} is gone or replaced", whose(*role)),
            Broken::Service { id } => write!(f, "the endpoint service {id} is gone or replaced"),
        }
    }
}

/// The promised objects that `observed` no longer holds, or that
/// `schedule` would delete or create anew: each would end the apply with
/// another identifier than the plan showed.
pub fn broken(promised: &Promised, observed: &Observed, schedule: &Schedule) -> Vec<Broken> {
    let mut out = Vec::new();
    let steps: Vec<&Step> = schedule.steps().collect();
    if let Some(arn) = &promised.load_balancer {
        let held = observed.load_balancer.as_ref().is_some_and(|l| &l.arn == arn);
        let remade = steps.iter().any(|s| {
            matches!(s, Step::CreateLoadBalancer { .. }) || matches!(s, Step::DeleteLoadBalancer { arn: a } if a == arn)
        });
        if !held || remade {
            out.push(Broken::LoadBalancer { arn: arn.clone() });
        }
    }
    for (role, arn) in &promised.groups {
        let held = observed.target_group(arn).is_some();
        let remade = steps.iter().any(|s| match s {
            Step::CreateTargetGroup { role: r, .. } => r == role,
            Step::DeleteTargetGroup { arn: a, .. } => a == arn,
            _ => false,
        });
        if !held || remade {
            out.push(Broken::Group { role: *role, arn: arn.clone() });
        }
    }
    for (role, (arn, port)) in &promised.listeners {
        let held = observed.listeners.iter().any(|l| &l.arn == arn);
        let remade = steps.iter().any(|s| match s {
            Step::CreateListener { port: p, .. } => p == port,
            Step::DeleteListener { arn: a, .. } => a == arn,
            _ => false,
        });
        if !held || remade {
            out.push(Broken::Listener { role: *role, arn: arn.clone() });
        }
    }
    if let Some(id) = &promised.service {
        let held = observed.service.as_ref().is_some_and(|s| &s.id == id);
        let remade = steps.iter().any(|s| {
            matches!(s, Step::CreateService { .. }) || matches!(s, Step::DeleteService { id: i, .. } if i == id)
        });
        if !held || remade {
            out.push(Broken::Service { id: id.clone() });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::layout::{ObservedListener, ObservedLoadBalancer, ObservedService, ObservedTargetGroup};
    use crate::domain::ports::BrokerId;
    use std::collections::BTreeSet;

    fn world() -> (Promised, Observed) {
        let promised = Promised {
            load_balancer: Some("lb".into()),
            groups: BTreeMap::from([(Role::Broker(BrokerId::new(1)), "tg1".into()), (Role::Bootstrap, "tgb".into())]),
            listeners: BTreeMap::from([(Role::Broker(BrokerId::new(1)), ("l1".into(), 9001))]),
            service: Some("vpce-svc-1".into()),
        };
        let observed = Observed {
            load_balancer: Some(ObservedLoadBalancer { arn: "lb".into(), ..Default::default() }),
            target_groups: vec![
                ObservedTargetGroup { arn: "tg1".into(), ..Default::default() },
                ObservedTargetGroup { arn: "tgb".into(), ..Default::default() },
            ],
            listeners: vec![ObservedListener { arn: "l1".into(), port: 9001, ..Default::default() }],
            service: Some(ObservedService { id: "vpce-svc-1".into(), ..Default::default() }),
        };
        (promised, observed)
    }

    #[test]
    fn a_world_that_holds_every_promised_object_breaks_nothing() {
        let (promised, observed) = world();
        let mut schedule = Schedule::default();
        // changes to kept objects keep their identifiers
        schedule.phases.entry(crate::domain::diff::Phase::Permissions).or_default().push(Step::Permissions {
            add: BTreeSet::from(["arn:aws:iam::111111111111:root".to_owned()]),
            remove: BTreeSet::new(),
        });
        assert_eq!(broken(&promised, &observed, &schedule), vec![]);
    }

    #[test]
    fn each_object_gone_is_named() {
        let (promised, full) = world();
        type Change = fn(&mut Observed);
        let cases: Vec<(Change, Broken)> = vec![
            (|o| o.load_balancer = None, Broken::LoadBalancer { arn: "lb".into() }),
            (
                |o| o.target_groups.retain(|t| t.arn != "tgb"),
                Broken::Group { role: Role::Bootstrap, arn: "tgb".into() },
            ),
            (|o| o.listeners.clear(), Broken::Listener { role: Role::Broker(BrokerId::new(1)), arn: "l1".into() }),
            (|o| o.service = None, Broken::Service { id: "vpce-svc-1".into() }),
        ];
        assert!(!cases.is_empty());
        for (change, want) in cases {
            let mut observed = full.clone();
            change(&mut observed);
            assert_eq!(broken(&promised, &observed, &Schedule::default()), vec![want]);
        }
    }

    #[test]
    fn an_object_the_schedule_would_make_anew_is_broken_though_it_exists() {
        let (promised, observed) = world();
        let mut schedule = Schedule::default();
        schedule.phases.entry(crate::domain::diff::Phase::Listeners).or_default().extend([
            Step::DeleteListener { arn: "l1".into(), port: 9001 },
            Step::CreateListener {
                port: 9001,
                target_group: crate::domain::diff::TargetGroupRef::Arn("tg1".into()),
                tags: BTreeMap::new(),
            },
        ]);
        let found = broken(&promised, &observed, &schedule);
        assert_eq!(found, vec![Broken::Listener { role: Role::Broker(BrokerId::new(1)), arn: "l1".into() }]);
        assert_eq!(found[0].to_string(), "broker 1's listener l1 is gone or replaced");
    }
}
