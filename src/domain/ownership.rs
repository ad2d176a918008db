//! Which AWS objects belong to one `kafka_privatelink` instance.
//!
//! A name is not an owner: two Terraform states may both call their setup
//! `orders`. An object belongs to an instance when
//! - the instance's state records it (its ARN or id), or
//! - it carries the instance's token ([`INSTANCE_TAG`]), a random value made
//!   when the instance is first applied and kept in Terraform's private state.
//!
//! A crash in the middle of the first apply loses the token together with the
//! state. The objects made so far carry it, but not yet [`COMPLETE_TAG`],
//! which the first apply adds to everything it made only once everything
//! exists (and every later apply adds to whatever of the instance lacks it:
//! imported objects, those of older versions). So a create that finds
//! objects of its name that are provably unfinished — a token, no mark, no
//! object of that token marked, attached to no other load balancer — resumes
//! them ([`resolve`]); anything else of its name belongs to some other
//! instance or to nobody we know, and is refused, never changed.
//!
//! A crash in the middle of a later apply loses the private state (Terraform
//! keeps the prior state without it), so the token is read back off the
//! objects the state records: whatever that apply wrote carries it.

use std::collections::{BTreeMap, BTreeSet};

use super::layout::{LoadBalancerSpec, Observed, ObservedLoadBalancer, Role, Spec};

/// Tag naming the `kafka_privatelink` resource (its `name`); informative.
pub const OWNER_TAG: &str = "kafka-privatelink:owner";
/// Tag saying what an object is for: `broker/<id>`, `bootstrap`,
/// `load-balancer` or `endpoint-service`.
pub const ROLE_TAG: &str = "kafka-privatelink:role";
/// Tag carrying the owning instance's token.
pub const INSTANCE_TAG: &str = "kafka-privatelink:instance";
/// Tag on an instance's anchor objects once its first apply completed.
pub const COMPLETE_TAG: &str = "kafka-privatelink:complete";
/// Tag on an endpoint service whose `kafka_privatelink` accepts its
/// consumers itself (`endpoint_service.auto_accept`): what an accepter reads
/// to know it would wait for a request it never gets to see.
pub const AUTO_ACCEPT_TAG: &str = "kafka-privatelink:auto-accept";
/// Every tag key under this prefix is the provider's own.
pub const RESERVED_TAG_PREFIX: &str = "kafka-privatelink:";

/// Whether a tag key is one the provider sets itself (users may not).
pub fn is_reserved_tag(key: &str) -> bool {
    key.starts_with(RESERVED_TAG_PREFIX)
}

/// What the Terraform state names: these objects are the instance's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    pub load_balancer: Option<String>,
    /// The target group recorded for each role.
    pub groups: BTreeMap<Role, String>,
    /// Groups the state holds without a role: left over by an apply that
    /// failed before it could delete them.
    pub leftover_groups: BTreeSet<String>,
    /// Listeners, those left over by a failed apply included.
    pub listeners: BTreeSet<String>,
    pub service: Option<String>,
}

impl Recorded {
    pub fn group_arns(&self) -> impl Iterator<Item = &String> {
        self.groups.values().chain(&self.leftover_groups)
    }
}

/// One resource instance: what it is called, its token, what its state
/// records, and whether its first apply has completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub name: String,
    pub token: String,
    pub recorded: Recorded,
    /// The first apply completed before this one started: objects created
    /// now are complete from birth.
    pub complete: bool,
}

impl Instance {
    /// An instance without a token yet (a state from before tokens) owns
    /// nothing by tag: AWS allows empty tag values.
    fn has_token(&self, tags: &BTreeMap<String, String>) -> bool {
        !self.token.is_empty() && tags.get(INSTANCE_TAG) == Some(&self.token)
    }

    /// The tags of an object with `role` (`spec.tags` plus ownership).
    pub fn tags_for(&self, spec: &Spec, role: &str) -> BTreeMap<String, String> {
        let mut t = spec.tags.clone();
        t.insert(OWNER_TAG.to_owned(), self.name.clone());
        t.insert(ROLE_TAG.to_owned(), role.to_owned());
        t.insert(INSTANCE_TAG.to_owned(), self.token.clone());
        if self.complete {
            t.insert(COMPLETE_TAG.to_owned(), "true".to_owned());
        }
        if role == "endpoint-service" && spec.service.connections.auto_accept {
            t.insert(AUTO_ACCEPT_TAG.to_owned(), "true".to_owned());
        }
        t
    }

    /// Marks what `observed` holds of this instance as owned.
    pub fn claim(&self, observed: &mut Observed, vpc_id: &str) {
        if let Some(lb) = observed.load_balancer.as_mut() {
            lb.owned = self.recorded.load_balancer.as_deref() == Some(lb.arn.as_str()) || self.has_token(&lb.tags);
        }
        let recorded: BTreeSet<&String> = self.recorded.group_arns().collect();
        for tg in &mut observed.target_groups {
            tg.owned = recorded.contains(&tg.arn) || (self.has_token(&tg.tags) && tg.vpc_id == vpc_id);
        }
        for l in &mut observed.listeners {
            l.owned = self.recorded.listeners.contains(&l.arn) || self.has_token(&l.tags);
        }
        if let Some(svc) = observed.service.as_mut() {
            svc.owned = self.recorded.service.as_deref() == Some(svc.id.as_str()) || self.has_token(&svc.tags);
        }
    }
}

/// Where an instance's token comes from on this apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// Kept in the state.
    Stored(String),
    /// Read off the objects the state records (the private state was lost:
    /// the provider was killed in the middle of an apply).
    Recovered(String),
    /// Read off objects a crashed first apply left behind.
    Resumed(String),
    /// Nothing of ours exists yet (or the state predates tokens): a new one.
    Fresh,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OwnershipError {
    #[error(
        "a load balancer named {name:?} already exists ({arn}) and {holder}; nothing of it was changed. \
         Choose another name, or take it over with `terraform import` (by this ARN). If this apply \
         replaces this resource with create_before_destroy (set in its lifecycle, or forced by a resource \
         that depends on it), that load balancer is the one being replaced: the new one would need the \
         names the old one still holds, which AWS keeps unique, so remove create_before_destroy (the \
         replacement then deletes first) or change `name` in the same apply"
    )]
    NameTaken { name: String, arn: String, holder: String },
    #[error("the load balancer {arn} is in {found}, not in the configured VPC {wanted}")]
    WrongVpc { arn: String, found: String, wanted: String },
    #[error(
        "target groups of more than one unfinished kafka_privatelink named {name:?} are attached to {arn} \
         (instances {tokens}); remove the ones that are not this resource's"
    )]
    AmbiguousResume { name: String, arn: String, tokens: String },
}

/// Who holds an object, in words, from its tags.
pub fn holder(tags: &BTreeMap<String, String>) -> String {
    match (tags.get(OWNER_TAG), tags.get(INSTANCE_TAG), tags.contains_key(COMPLETE_TAG)) {
        (Some(name), Some(token), true) => {
            format!("belongs to another kafka_privatelink named {name:?} (instance {token})")
        }
        (Some(name), _, _) => format!("was made by another kafka_privatelink named {name:?}"),
        _ => "was not made by a kafka_privatelink resource".to_owned(),
    }
}

/// Who holds an object that a new instance named `name` would have to take
/// (the load balancer of its name, the service on the load balancer it
/// adopts, a target group of its names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InTheWay {
    /// In words ([`holder`]).
    pub holder: String,
    /// A `kafka_privatelink` of the same name holds it: another state's, or
    /// this resource's own predecessor, which Terraform destroys before the
    /// create (a deposed object, an instance being replaced). Only the
    /// apply can tell the two apart.
    pub namesake: bool,
}

/// The holder of an object a new instance named `name` would take, when it
/// may not: `None` when the object carries one of `ours` (the tokens of the
/// instance it replaces) or is a crashed first apply of `name`, which the
/// apply resumes or refuses itself.
pub fn in_the_way(name: &str, tags: &BTreeMap<String, String>, ours: &[&str]) -> Option<InTheWay> {
    let token = tags.get(INSTANCE_TAG).map(String::as_str);
    if token.is_some_and(|t| !t.is_empty() && ours.contains(&t)) || unfinished(name, tags).is_some() {
        return None;
    }
    Some(InTheWay { holder: holder(tags), namesake: tags.get(OWNER_TAG).map(String::as_str) == Some(name) })
}

/// A half-built first apply of `name` that a crash left: our tags, a token,
/// no completion mark.
fn unfinished<'a>(name: &str, tags: &'a BTreeMap<String, String>) -> Option<&'a String> {
    (tags.get(OWNER_TAG).map(String::as_str) == Some(name) && !tags.contains_key(COMPLETE_TAG))
        .then(|| tags.get(INSTANCE_TAG))
        .flatten()
}

/// Decides this apply's token. `stored` is the private state's; `recorded`
/// what the state names (`None`: there is no state).
pub fn resolve(
    spec: &Spec,
    observed: &Observed,
    stored: Option<&str>,
    recorded: Option<&Recorded>,
) -> Result<Token, OwnershipError> {
    if let Some(t) = stored {
        return Ok(Token::Stored(t.to_owned()));
    }
    if let Some(lb) = &observed.load_balancer
        && lb.vpc_id != spec.vpc_id
    {
        return Err(OwnershipError::WrongVpc {
            arn: lb.arn.clone(),
            found: lb.vpc_id.clone(),
            wanted: spec.vpc_id.clone(),
        });
    }
    if let Some(recorded) = recorded {
        // The records say what is ours; their token (if they agree on one)
        // is ours too. A state from before tokens has none: a new one.
        return Ok(recorded_token(spec, observed, recorded).map_or(Token::Fresh, Token::Recovered));
    }
    match (&spec.load_balancer, &observed.load_balancer) {
        (LoadBalancerSpec::Create { .. }, Some(lb)) => resume_created(spec, lb),
        (LoadBalancerSpec::Adopt { arn }, Some(lb)) => {
            let finished = finished_tokens(observed);
            // a token any group of which another load balancer uses is some
            // other setup's, however its other groups look
            let elsewhere: BTreeSet<&String> = observed
                .target_groups
                .iter()
                .filter(|t| t.load_balancer_arns.iter().any(|a| a != arn))
                .filter_map(|t| t.tags.get(INSTANCE_TAG))
                .collect();
            let tokens: BTreeSet<&String> = observed
                .target_groups
                .iter()
                .filter(|t| t.vpc_id == spec.vpc_id)
                .filter_map(|t| unfinished(&spec.name, &t.tags))
                .filter(|t| !finished.contains(t) && !elsewhere.contains(t))
                .collect();
            match tokens.len() {
                0 => Ok(Token::Fresh),
                1 => Ok(Token::Resumed(tokens.into_iter().next().cloned().unwrap_or_default())),
                _ => Err(OwnershipError::AmbiguousResume {
                    name: spec.name.clone(),
                    arn: lb.arn.clone(),
                    tokens: tokens.into_iter().cloned().collect::<Vec<_>>().join(", "),
                }),
            }
        }
        (_, None) => Ok(Token::Fresh),
    }
}

/// Every tag map of `observed`, with the id of its object.
fn all_tags(observed: &Observed) -> impl Iterator<Item = (&str, &BTreeMap<String, String>)> {
    let lb = observed.load_balancer.iter().map(|l| (l.arn.as_str(), &l.tags));
    let groups = observed.target_groups.iter().map(|t| (t.arn.as_str(), &t.tags));
    let listeners = observed.listeners.iter().map(|l| (l.arn.as_str(), &l.tags));
    let service = observed.service.iter().map(|s| (s.id.as_str(), &s.tags));
    lb.chain(groups).chain(listeners).chain(service)
}

/// Tokens some object of which is marked complete: finished instances.
fn finished_tokens(observed: &Observed) -> BTreeSet<&String> {
    all_tags(observed).filter(|(_, t)| t.contains_key(COMPLETE_TAG)).filter_map(|(_, t)| t.get(INSTANCE_TAG)).collect()
}

/// The one token the objects `recorded` names carry, if they carry one and
/// carry this instance's name: an adopted load balancer is recorded too,
/// but it is not ours, and may carry another instance's token.
fn recorded_token(spec: &Spec, observed: &Observed, recorded: &Recorded) -> Option<String> {
    let lb = match spec.load_balancer {
        LoadBalancerSpec::Create { .. } => recorded.load_balancer.as_ref(),
        LoadBalancerSpec::Adopt { .. } => None,
    };
    let mine: BTreeSet<&str> = lb
        .into_iter()
        .chain(recorded.group_arns())
        .chain(&recorded.listeners)
        .chain(recorded.service.iter())
        .map(String::as_str)
        .collect();
    let tokens: BTreeSet<&String> = all_tags(observed)
        .filter(|(id, t)| mine.contains(id) && t.get(OWNER_TAG) == Some(&spec.name))
        .filter_map(|(_, t)| t.get(INSTANCE_TAG))
        .filter(|t| !t.is_empty())
        .collect();
    (tokens.len() == 1).then(|| tokens.into_iter().next().cloned()).flatten()
}

fn resume_created(spec: &Spec, lb: &ObservedLoadBalancer) -> Result<Token, OwnershipError> {
    match unfinished(&spec.name, &lb.tags) {
        Some(token) => Ok(Token::Resumed(token.clone())),
        None => Err(OwnershipError::NameTaken { name: lb.name.clone(), arn: lb.arn.clone(), holder: holder(&lb.tags) }),
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use crate::domain::layout::TargetId;

    use super::*;
    use crate::domain::layout::{
        BrokerSpec, HealthCheck, ObservedListener, ObservedService, ObservedTargetGroup, ServiceSpec,
    };
    use crate::domain::ports::BrokerId;

    fn spec(mode: LoadBalancerSpec) -> Spec {
        Spec {
            name: "orders".into(),
            load_balancer_name: "orders".into(),
            elsewhere: BTreeMap::new(),
            vpc_id: "vpc-1".into(),
            load_balancer: mode,
            brokers: BTreeMap::from([(
                BrokerId::new(1),
                BrokerSpec { target: Some(TargetId::Ip(Ipv4Addr::new(10, 0, 1, 10))), port: 9092, listener_port: 9001 },
            )]),
            bootstrap: None,
            registration: crate::domain::layout::Registration::Provider,
            target_kind: crate::domain::layout::TargetKind::Ip,
            health_check: HealthCheck::default(),
            deregistration_delay: None,
            tcp_idle_timeout: None,
            cross_zone: Some(false),
            security_groups: None,
            service: ServiceSpec::default(),
            tags: BTreeMap::new(),
        }
    }

    fn create() -> Spec {
        spec(LoadBalancerSpec::Create { subnets: BTreeSet::from(["subnet-1".into()]) })
    }

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn lb(t: BTreeMap<String, String>) -> Observed {
        Observed {
            load_balancer: Some(ObservedLoadBalancer {
                arn: "arn:lb/orders".into(),
                name: "orders".into(),
                vpc_id: "vpc-1".into(),
                is_network: true,
                tags: t,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn only_a_predecessor_or_an_unfinished_namesake_is_not_in_the_way() {
        let tags = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
        };
        let other = tags(&[(OWNER_TAG, "orders"), (INSTANCE_TAG, "t2"), (COMPLETE_TAG, "true")]);
        assert_eq!(in_the_way("orders", &other, &["t1"]), Some(InTheWay { holder: holder(&other), namesake: true }));
        assert_eq!(in_the_way("payments", &other, &[]).map(|w| w.namesake), Some(false));
        assert_eq!(in_the_way("orders", &other, &["t2"]), None, "the instance being replaced");
        let crashed = tags(&[(OWNER_TAG, "orders"), (INSTANCE_TAG, "t3")]);
        assert_eq!(in_the_way("orders", &crashed, &[]), None, "resumed or refused by the apply");
        assert!(in_the_way("payments", &crashed, &[]).is_some(), "another name's unfinished objects");
        let hand_made = tags(&[("team", "x")]);
        let hand = in_the_way("orders", &hand_made, &[]).expect("in the way");
        assert_eq!((hand.holder.as_str(), hand.namesake), ("was not made by a kafka_privatelink resource", false));
        let empty_token = tags(&[(OWNER_TAG, "orders"), (INSTANCE_TAG, ""), (COMPLETE_TAG, "true")]);
        assert!(in_the_way("orders", &empty_token, &[""]).is_some(), "an empty token owns nothing");
    }

    #[test]
    fn a_stored_token_wins_and_nothing_found_means_fresh() {
        let o = lb(tags(&[(OWNER_TAG, "orders"), (INSTANCE_TAG, "other"), (COMPLETE_TAG, "true")]));
        assert_eq!(resolve(&create(), &o, Some("mine"), Some(&Recorded::default())), Ok(Token::Stored("mine".into())));
        assert_eq!(resolve(&create(), &Observed::default(), None, None), Ok(Token::Fresh));
    }

    #[test]
    fn a_crashed_first_apply_is_resumed() {
        let o = lb(tags(&[(OWNER_TAG, "orders"), (INSTANCE_TAG, "t1")]));
        assert_eq!(resolve(&create(), &o, None, None), Ok(Token::Resumed("t1".into())));
    }

    #[test]
    fn a_complete_or_foreign_load_balancer_of_the_same_name_is_refused() {
        let complete = lb(tags(&[(OWNER_TAG, "orders"), (INSTANCE_TAG, "t1"), (COMPLETE_TAG, "true")]));
        let e = resolve(&create(), &complete, None, None).unwrap_err();
        assert!(e.to_string().contains("belongs to another kafka_privatelink named \"orders\" (instance t1)"), "{e}");
        assert!(e.to_string().contains("terraform import"), "{e}");
        let foreign = lb(tags(&[("team", "web")]));
        let e = resolve(&create(), &foreign, None, None).unwrap_err();
        assert!(e.to_string().contains("was not made by a kafka_privatelink resource"), "{e}");
        // another name's unfinished setup is not ours either
        let other = lb(tags(&[(OWNER_TAG, "payments"), (INSTANCE_TAG, "t9")]));
        assert!(matches!(resolve(&create(), &other, None, None), Err(OwnershipError::NameTaken { .. })));
    }

    #[test]
    fn objects_outside_the_vpc_are_refused() {
        let mut o = lb(tags(&[(OWNER_TAG, "orders"), (INSTANCE_TAG, "t1")]));
        o.load_balancer.as_mut().unwrap().vpc_id = "vpc-2".into();
        assert!(matches!(resolve(&create(), &o, None, None), Err(OwnershipError::WrongVpc { .. })));
    }

    #[test]
    fn adopting_resumes_only_unfinished_groups_of_its_name() {
        let adopt = spec(LoadBalancerSpec::Adopt { arn: "arn:lb/shared".into() });
        let mut o = lb(BTreeMap::new());
        let group = |arn: &str, t: BTreeMap<String, String>| ObservedTargetGroup {
            arn: arn.into(),
            vpc_id: "vpc-1".into(),
            tags: t,
            ..Default::default()
        };
        o.target_groups =
            vec![group("arn:tg/a", tags(&[(OWNER_TAG, "orders"), (INSTANCE_TAG, "a"), (COMPLETE_TAG, "true")]))];
        assert_eq!(resolve(&adopt, &o, None, None), Ok(Token::Fresh));
        o.target_groups.push(group("arn:tg/b", tags(&[(OWNER_TAG, "orders"), (INSTANCE_TAG, "b")])));
        assert_eq!(resolve(&adopt, &o, None, None), Ok(Token::Resumed("b".into())));
        o.target_groups.push(group("arn:tg/c", tags(&[(OWNER_TAG, "orders"), (INSTANCE_TAG, "c")])));
        assert!(matches!(resolve(&adopt, &o, None, None), Err(OwnershipError::AmbiguousResume { .. })));
    }

    #[test]
    fn a_lost_private_state_recovers_the_token_the_recorded_objects_carry() {
        let mut o = lb(tags(&[(OWNER_TAG, "orders"), (INSTANCE_TAG, "t1"), (COMPLETE_TAG, "true")]));
        o.target_groups = vec![ObservedTargetGroup {
            arn: "arn:tg/other".into(),
            vpc_id: "vpc-1".into(),
            tags: tags(&[(OWNER_TAG, "orders"), (INSTANCE_TAG, "t2")]),
            ..Default::default()
        }];
        let recorded = Recorded { load_balancer: Some("arn:lb/orders".into()), ..Default::default() };
        assert_eq!(resolve(&create(), &o, None, Some(&recorded)), Ok(Token::Recovered("t1".into())));
        // an object the state does not record proves nothing
        let none = Recorded { groups: BTreeMap::new(), ..Default::default() };
        assert_eq!(resolve(&create(), &o, None, Some(&none)), Ok(Token::Fresh));
        // records that disagree prove nothing either
        let both = Recorded {
            load_balancer: Some("arn:lb/orders".into()),
            leftover_groups: BTreeSet::from(["arn:tg/other".into()]),
            ..Default::default()
        };
        assert_eq!(resolve(&create(), &o, None, Some(&both)), Ok(Token::Fresh));
        // an adopted load balancer is recorded but not ours: its token is
        // another instance's, never recovered
        let adopt = spec(LoadBalancerSpec::Adopt { arn: "arn:lb/orders".into() });
        assert_eq!(resolve(&adopt, &o, None, Some(&recorded)), Ok(Token::Fresh));
    }

    #[test]
    fn only_provably_unfinished_groups_are_resumed() {
        let adopt = spec(LoadBalancerSpec::Adopt { arn: "arn:lb/orders".into() });
        let mut o = lb(BTreeMap::new());
        let unmarked = tags(&[(OWNER_TAG, "orders"), (INSTANCE_TAG, "t1")]);
        o.target_groups = vec![ObservedTargetGroup {
            arn: "arn:tg/a".into(),
            vpc_id: "vpc-1".into(),
            tags: unmarked,
            load_balancer_arns: BTreeSet::from(["arn:lb/someone-elses".into()]),
            ..Default::default()
        }];
        // behind another load balancer: a finished setup of the same name
        assert_eq!(resolve(&adopt, &o, None, None), Ok(Token::Fresh));
        // behind none, but a group of the same token is behind another
        o.target_groups[0].load_balancer_arns.clear();
        o.target_groups.push(ObservedTargetGroup {
            arn: "arn:tg/b".into(),
            vpc_id: "vpc-1".into(),
            tags: tags(&[(OWNER_TAG, "orders"), (INSTANCE_TAG, "t1")]),
            load_balancer_arns: BTreeSet::from(["arn:lb/someone-elses".into()]),
            ..Default::default()
        });
        assert_eq!(resolve(&adopt, &o, None, None), Ok(Token::Fresh));
        o.target_groups.pop();
        // behind none, and no other sign: resumed; unless its token marks
        // another object complete
        assert_eq!(resolve(&adopt, &o, None, None), Ok(Token::Resumed("t1".into())));
        o.listeners = vec![ObservedListener {
            arn: "arn:listener/1".into(),
            tags: tags(&[(INSTANCE_TAG, "t1"), (COMPLETE_TAG, "true")]),
            ..Default::default()
        }];
        assert_eq!(resolve(&adopt, &o, None, None), Ok(Token::Fresh));
    }

    #[test]
    fn claims_follow_records_and_tokens_never_names() {
        let instance = Instance {
            name: "orders".into(),
            token: "mine".into(),
            recorded: Recorded {
                groups: BTreeMap::from([(Role::Broker(BrokerId::new(1)), "arn:tg/recorded".into())]),
                service: Some("vpce-svc-1".into()),
                ..Default::default()
            },
            complete: true,
        };
        let mut o = lb(tags(&[(OWNER_TAG, "orders"), (INSTANCE_TAG, "theirs")]));
        let group = |arn: &str, vpc: &str, t: BTreeMap<String, String>| ObservedTargetGroup {
            arn: arn.into(),
            vpc_id: vpc.into(),
            tags: t,
            ..Default::default()
        };
        o.target_groups = vec![
            group("arn:tg/recorded", "vpc-1", BTreeMap::new()),
            group("arn:tg/tagged", "vpc-1", tags(&[(INSTANCE_TAG, "mine")])),
            group("arn:tg/elsewhere", "vpc-9", tags(&[(INSTANCE_TAG, "mine")])),
            group("arn:tg/same-name", "vpc-1", tags(&[(OWNER_TAG, "orders"), (INSTANCE_TAG, "theirs")])),
        ];
        o.listeners = vec![
            ObservedListener {
                arn: "l1".into(),
                target_group_arn: Some("arn:tg/tagged".into()),
                tags: tags(&[(INSTANCE_TAG, "mine")]),
                ..Default::default()
            },
            ObservedListener {
                arn: "l2".into(),
                target_group_arn: Some("arn:tg/same-name".into()),
                ..Default::default()
            },
        ];
        o.service = Some(ObservedService { id: "vpce-svc-1".into(), ..Default::default() });
        instance.claim(&mut o, "vpc-1");
        assert!(!o.load_balancer.as_ref().unwrap().owned);
        let owned: Vec<&str> = o.target_groups.iter().filter(|t| t.owned).map(|t| t.arn.as_str()).collect();
        assert_eq!(owned, ["arn:tg/recorded", "arn:tg/tagged"]);
        assert_eq!(o.listeners.iter().map(|l| l.owned).collect::<Vec<_>>(), [true, false]);
        // forwarding to an owned group does not make someone's listener ours
        o.listeners.push(ObservedListener {
            arn: "l3".into(),
            target_group_arn: Some("arn:tg/recorded".into()),
            ..Default::default()
        });
        instance.claim(&mut o, "vpc-1");
        assert!(!o.listeners[2].owned);
        // a state without a token owns nothing by an empty tag
        let tokenless = Instance { token: String::new(), ..instance.clone() };
        o.target_groups[1].tags.insert(INSTANCE_TAG.into(), String::new());
        tokenless.claim(&mut o, "vpc-1");
        assert!(!o.target_groups[1].owned);
        assert!(o.service.as_ref().unwrap().owned);
        let t = instance.tags_for(&create(), "bootstrap");
        assert_eq!(t[INSTANCE_TAG], "mine");
        assert_eq!(t[COMPLETE_TAG], "true");
        assert!(is_reserved_tag(ROLE_TAG) && !is_reserved_tag("team"));
    }
}
