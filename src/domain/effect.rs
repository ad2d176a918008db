//! What one confirmed AWS write changed, and how it is written into
//! [`Observed`]. `aws::execute` produces an [`Effect`] the moment AWS
//! confirms a step and records it at once, so a failed or interrupted apply
//! returns a state naming everything that exists. Recording is pure: it is
//! tested here without AWS.

use std::collections::{BTreeMap, BTreeSet};

use super::connections::Connection;
use super::layout::{
    HealthCheck, Observed, ObservedListener, ObservedLoadBalancer, ObservedService, ObservedTargetGroup, Target,
};
use super::ownership::COMPLETE_TAG;

/// One confirmed change. ARNs and ids name the object changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A load balancer created, with the tags it was created with.
    LoadBalancer(ObservedLoadBalancer, BTreeMap<String, String>),
    Subnets(BTreeSet<String>),
    CrossZone(bool),
    /// Security groups and, when set, the PrivateLink inbound-rule switch.
    SecurityGroups(BTreeSet<String>, Option<bool>),
    LoadBalancerDeleted,
    TargetGroup(ObservedTargetGroup),
    Registered(String, BTreeSet<Target>),
    Deregistered(String, BTreeSet<Target>),
    HealthCheck(String, HealthCheck),
    DeregistrationDelay(String, u32),
    TargetGroupDeleted(String),
    /// A wait ended well; nothing to record.
    Ready,
    ListenerCreated(ObservedListener),
    /// The listener (first) now forwards to the target group (second).
    ListenerPointed(String, String),
    ListenerDeleted(String),
    IdleTimeout(String, u32),
    ServiceCreated(ObservedService),
    /// Acceptance (when changed), regions added, regions removed.
    ServiceModified(Option<bool>, BTreeSet<String>, BTreeSet<String>),
    /// Principals added, principals removed.
    Permissions(BTreeSet<String>, BTreeSet<String>),
    /// The object's tags: set, then removed keys.
    Retagged(String, BTreeMap<String, String>, BTreeSet<String>),
    /// These objects now carry the complete tag.
    MarkedComplete(Vec<String>),
    /// These connections are now in this state.
    Connections(BTreeSet<String>, &'static str),
    /// These connections, as AWS now reports them.
    ConnectionsNow(Vec<Connection>),
    ServiceDeleted,
}

impl Effect {
    /// The id or ARN of the object this effect created, if it created one.
    pub fn created(&self) -> Option<&str> {
        match self {
            Effect::LoadBalancer(lb, _) => Some(&lb.arn),
            Effect::TargetGroup(tg) => Some(&tg.arn),
            Effect::ListenerCreated(l) => Some(&l.arn),
            Effect::ServiceCreated(s) => Some(&s.id),
            _ => None,
        }
    }
}

impl Observed {
    /// Writes a confirmed change into what is known. Whatever this apply
    /// created is recorded as this instance's own.
    pub fn record(&mut self, effect: Effect) {
        match effect {
            Effect::LoadBalancer(..)
            | Effect::Subnets(_)
            | Effect::CrossZone(_)
            | Effect::SecurityGroups(..)
            | Effect::LoadBalancerDeleted => self.record_load_balancer(effect),
            Effect::TargetGroup(_)
            | Effect::Registered(..)
            | Effect::Deregistered(..)
            | Effect::HealthCheck(..)
            | Effect::DeregistrationDelay(..)
            | Effect::TargetGroupDeleted(_) => self.record_target_group(effect),
            Effect::ListenerCreated(_)
            | Effect::ListenerPointed(..)
            | Effect::ListenerDeleted(_)
            | Effect::IdleTimeout(..) => self.record_listener(effect),
            Effect::ServiceCreated(_)
            | Effect::ServiceModified(..)
            | Effect::Permissions(..)
            | Effect::Connections(..)
            | Effect::ConnectionsNow(_)
            | Effect::ServiceDeleted => self.record_service(effect),
            Effect::Retagged(arn, add, remove) => {
                if let Some(tags) = self.tags_of(&arn) {
                    tags.retain(|k, _| !remove.contains(k));
                    tags.extend(add);
                }
            }
            Effect::MarkedComplete(arns) => {
                for arn in arns {
                    if let Some(tags) = self.tags_of(&arn) {
                        tags.insert(COMPLETE_TAG.to_owned(), "true".to_owned());
                    }
                }
            }
            Effect::Ready => {}
        }
    }

    fn record_load_balancer(&mut self, effect: Effect) {
        if let Effect::LoadBalancer(mut lb, tags) = effect {
            lb.tags = tags;
            lb.owned = true;
            self.load_balancer = Some(lb);
            return;
        }
        if matches!(effect, Effect::LoadBalancerDeleted) {
            self.load_balancer = None;
            return;
        }
        let Some(lb) = self.load_balancer.as_mut() else { return };
        match effect {
            Effect::Subnets(s) => lb.subnets = s,
            Effect::CrossZone(on) => lb.cross_zone = Some(on),
            Effect::SecurityGroups(ids, enforce) => {
                lb.security_groups = ids;
                if enforce.is_some() {
                    lb.enforce_on_private_link = enforce;
                }
            }
            _ => {}
        }
    }

    fn record_target_group(&mut self, effect: Effect) {
        let arn = match effect {
            Effect::TargetGroup(mut tg) => {
                tg.owned = true;
                self.target_groups.push(tg);
                return;
            }
            Effect::TargetGroupDeleted(arn) => {
                self.target_groups.retain(|t| t.arn != arn);
                return;
            }
            Effect::Registered(ref arn, _)
            | Effect::Deregistered(ref arn, _)
            | Effect::HealthCheck(ref arn, _)
            | Effect::DeregistrationDelay(ref arn, _) => arn.clone(),
            _ => return,
        };
        let Some(tg) = self.target_groups.iter_mut().find(|g| g.arn == arn) else { return };
        match effect {
            Effect::Registered(_, t) => tg.targets.extend(t),
            Effect::Deregistered(_, t) => tg.targets.retain(|x| !t.contains(x)),
            Effect::HealthCheck(_, hc) => tg.health_check = hc,
            Effect::DeregistrationDelay(_, d) => tg.deregistration_delay = Some(d),
            _ => {}
        }
    }

    fn record_listener(&mut self, effect: Effect) {
        match effect {
            Effect::ListenerCreated(l) => self.listeners.push(l),
            Effect::ListenerDeleted(arn) => self.listeners.retain(|l| l.arn != arn),
            Effect::ListenerPointed(arn, tg) => {
                if let Some(l) = self.listeners.iter_mut().find(|l| l.arn == arn) {
                    l.target_group_arn = Some(tg);
                }
            }
            Effect::IdleTimeout(arn, s) => {
                if let Some(l) = self.listeners.iter_mut().find(|l| l.arn == arn) {
                    l.idle_timeout = Some(s);
                }
            }
            _ => {}
        }
    }

    fn record_service(&mut self, effect: Effect) {
        match effect {
            Effect::ServiceCreated(s) => self.service = Some(ObservedService { owned: true, ..s }),
            Effect::ServiceDeleted => self.service = None,
            Effect::ServiceModified(acceptance, add, remove) => {
                if let Some(s) = self.service.as_mut() {
                    if let Some(a) = acceptance {
                        s.acceptance_required = a;
                    }
                    s.supported_regions.extend(add);
                    s.supported_regions.retain(|r| !remove.contains(r));
                }
            }
            Effect::Permissions(add, remove) => {
                if let Some(s) = self.service.as_mut() {
                    s.principals.extend(add);
                    s.principals.retain(|p| !remove.contains(p));
                }
            }
            Effect::Connections(endpoints, state) => {
                for c in self.service.iter_mut().flat_map(|s| s.connections.iter_mut()) {
                    if endpoints.contains(&c.endpoint_id) {
                        c.state = state.to_owned();
                    }
                }
            }
            Effect::ConnectionsNow(now) => {
                for c in self.service.iter_mut().flat_map(|s| s.connections.iter_mut()) {
                    if let Some(n) = now.iter().find(|n| n.endpoint_id == c.endpoint_id) {
                        c.state = n.state.clone();
                    }
                }
            }
            _ => {}
        }
    }

    /// The tags of the object with this ARN or id, as recorded.
    fn tags_of(&mut self, arn: &str) -> Option<&mut BTreeMap<String, String>> {
        if self.load_balancer.as_ref().is_some_and(|l| l.arn == arn) {
            self.load_balancer.as_mut().map(|l| &mut l.tags)
        } else if self.service.as_ref().is_some_and(|s| s.id == arn) {
            self.service.as_mut().map(|s| &mut s.tags)
        } else {
            self.target_groups.iter_mut().find(|t| t.arn == arn).map(|t| &mut t.tags)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::connections::{AVAILABLE, PENDING, REJECTED};

    fn lb(arn: &str) -> ObservedLoadBalancer {
        ObservedLoadBalancer { arn: arn.into(), ..Default::default() }
    }

    fn tg(arn: &str) -> ObservedTargetGroup {
        ObservedTargetGroup { arn: arn.into(), ..Default::default() }
    }

    fn connection(endpoint: &str, state: &str) -> Connection {
        Connection { endpoint_id: endpoint.into(), state: state.into(), ..Default::default() }
    }

    fn service(connections: Vec<Connection>) -> ObservedService {
        ObservedService { id: "vpce-svc-1".into(), connections, ..Default::default() }
    }

    #[test]
    fn what_an_apply_creates_is_recorded_as_its_own_with_its_tags() {
        let mut o = Observed::default();
        let tags = BTreeMap::from([("k".to_owned(), "v".to_owned())]);
        o.record(Effect::LoadBalancer(lb("lb"), tags.clone()));
        o.record(Effect::TargetGroup(tg("tg")));
        o.record(Effect::ServiceCreated(service(vec![])));
        let recorded = o.load_balancer.as_ref().expect("load balancer recorded");
        assert!(recorded.owned);
        assert_eq!(recorded.tags, tags);
        assert!(o.target_group("tg").is_some_and(|t| t.owned));
        assert!(o.service.as_ref().is_some_and(|s| s.owned));
    }

    #[test]
    fn created_names_exactly_the_objects_an_effect_made() {
        let made = [
            Effect::LoadBalancer(lb("a"), BTreeMap::new()),
            Effect::TargetGroup(tg("b")),
            Effect::ListenerCreated(ObservedListener { arn: "c".into(), ..Default::default() }),
            Effect::ServiceCreated(service(vec![])),
        ];
        let ids: Vec<_> = made.iter().filter_map(Effect::created).collect();
        assert_eq!(ids, ["a", "b", "c", "vpce-svc-1"]);
        assert_eq!(Effect::TargetGroupDeleted("b".into()).created(), None);
        assert_eq!(Effect::Ready.created(), None);
    }

    #[test]
    fn changes_land_on_the_named_object_only() {
        let mut o = Observed { target_groups: vec![tg("one"), tg("two")], ..Default::default() };
        let t: Target = (crate::domain::layout::TargetId::Ip([10, 0, 0, 1].into()), 9092);
        o.record(Effect::Registered("two".into(), BTreeSet::from([t.clone()])));
        o.record(Effect::DeregistrationDelay("two".into(), 30));
        assert!(o.target_group("one").is_some_and(|g| g.targets.is_empty() && g.deregistration_delay.is_none()));
        let two = o.target_group("two").expect("two kept");
        assert!(two.targets.contains(&t));
        assert_eq!(two.deregistration_delay, Some(30));
        o.record(Effect::Deregistered("two".into(), BTreeSet::from([t])));
        assert!(o.target_group("two").is_some_and(|g| g.targets.is_empty()));
        o.record(Effect::TargetGroupDeleted("one".into()));
        assert!(o.target_group("one").is_none());
        assert!(o.target_group("two").is_some());
    }

    #[test]
    fn a_change_to_an_object_not_recorded_is_ignored() {
        let mut o = Observed::default();
        o.record(Effect::Subnets(BTreeSet::from(["subnet-1".to_owned()])));
        o.record(Effect::HealthCheck("nope".into(), HealthCheck::default()));
        o.record(Effect::Permissions(BTreeSet::from(["p".to_owned()]), BTreeSet::new()));
        assert_eq!(o, Observed::default());
    }

    #[test]
    fn listeners_are_added_pointed_and_removed() {
        let mut o = Observed::default();
        o.record(Effect::ListenerCreated(ObservedListener { arn: "l".into(), port: 9001, ..Default::default() }));
        o.record(Effect::ListenerPointed("l".into(), "tg-2".into()));
        o.record(Effect::IdleTimeout("l".into(), 600));
        let l = o.listener_on(9001).expect("listener recorded");
        assert_eq!(l.target_group_arn.as_deref(), Some("tg-2"));
        assert_eq!(l.idle_timeout, Some(600));
        o.record(Effect::ListenerDeleted("l".into()));
        assert!(o.listeners.is_empty());
    }

    #[test]
    fn connections_take_the_state_named_or_reported() {
        let mut o = Observed {
            service: Some(service(vec![connection("vpce-1", PENDING), connection("vpce-2", PENDING)])),
            ..Default::default()
        };
        o.record(Effect::Connections(BTreeSet::from(["vpce-1".to_owned()]), REJECTED));
        o.record(Effect::ConnectionsNow(vec![connection("vpce-2", AVAILABLE)]));
        let states: Vec<_> =
            o.service.as_ref().expect("service").connections.iter().map(|c| c.state.as_str()).collect();
        assert_eq!(states, [REJECTED, AVAILABLE]);
    }

    #[test]
    fn tags_are_set_removed_and_marked_complete_on_the_object_named() {
        let mut o = Observed {
            load_balancer: Some(lb("lb")),
            target_groups: vec![tg("tg")],
            service: Some(service(vec![])),
            ..Default::default()
        };
        let add = BTreeMap::from([("a".to_owned(), "1".to_owned())]);
        o.record(Effect::Retagged("vpce-svc-1".into(), add, BTreeSet::new()));
        o.record(Effect::MarkedComplete(vec!["tg".into(), "lb".into()]));
        o.record(Effect::Retagged("lb".into(), BTreeMap::new(), BTreeSet::from([COMPLETE_TAG.to_owned()])));
        let service_tags = &o.service.as_ref().expect("service").tags;
        assert_eq!(service_tags.get("a").map(String::as_str), Some("1"));
        assert!(o.target_group("tg").is_some_and(|t| t.tags.contains_key(COMPLETE_TAG)));
        assert!(o.load_balancer.as_ref().is_some_and(|l| l.tags.is_empty()));
    }

    #[test]
    fn deletions_forget_the_object() {
        let mut o = Observed { load_balancer: Some(lb("lb")), service: Some(service(vec![])), ..Default::default() };
        o.record(Effect::ServiceDeleted);
        o.record(Effect::LoadBalancerDeleted);
        assert_eq!(o, Observed::default());
    }
}
