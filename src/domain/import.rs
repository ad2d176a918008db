//! Reading an existing NLB setup as a Kafka PrivateLink layout: which
//! listener serves which broker, which one is the bootstrap, and which broker
//! ids to use. Pure: it works on what the AWS layer observed.
//!
//! - A listener whose target group holds exactly one target (an IP or an
//!   EC2 instance) serves one broker: that target and its port.
//! - A listener whose group holds every broker (and nothing else) is the
//!   bootstrap listener.
//! - Broker ids come from our role tags (`kafka-privatelink:role =
//!   broker/<id>`) when every broker group carries one; otherwise from the
//!   convention listener port − base + 1, the base being the lowest broker
//!   listener port. The caller reports the mapping chosen.

use super::layout::{Observed, Role, Target, TargetId, TargetKind};
use super::ownership::OWNER_TAG;
use super::ports::{BrokerId, DEFAULT_LISTENER_PORT_BASE};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedBroker {
    /// `None`: its group is ours and holds no one target — another actor
    /// registers them (none yet, or two while a pod is replaced).
    pub target: Option<TargetId>,
    pub port: u16,
    pub listener_port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdSource {
    /// From our role tags.
    Tags,
    /// From listener ports: `listener port − base + 1`.
    Convention,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedLayout {
    /// The resource name: our ownership tag, else the load balancer's name.
    pub name: String,
    pub brokers: BTreeMap<BrokerId, ImportedBroker>,
    /// (listener port, target port when it differs from the brokers' own)
    pub bootstrap: Option<(u16, Option<u16>)>,
    /// The lowest broker listener port.
    pub base: u16,
    pub ids: IdSource,
    /// The broker groups' target type.
    pub kind: TargetKind,
}

impl ImportedLayout {
    /// A load balancer of a spread with no listener: no broker, its ids
    /// ours (none to infer).
    pub fn empty(lb: &super::layout::ObservedLoadBalancer) -> Self {
        ImportedLayout {
            name: lb.tags.get(OWNER_TAG).cloned().unwrap_or_else(|| lb.name.clone()),
            brokers: BTreeMap::new(),
            bootstrap: None,
            base: DEFAULT_LISTENER_PORT_BASE,
            ids: IdSource::Tags,
            kind: TargetKind::Ip,
        }
    }

    /// Whether another actor registers the targets: a broker group of ours
    /// holds no one target.
    pub fn unbound(&self) -> bool {
        self.brokers.values().any(|b| b.target.is_none())
    }

    /// "9001 → broker 1, 9002 → broker 2", for the import warning.
    pub fn mapping(&self) -> String {
        let mut by_port: Vec<(u16, BrokerId)> = self.brokers.iter().map(|(id, b)| (b.listener_port, *id)).collect();
        by_port.sort_unstable();
        by_port.iter().map(|(p, id)| format!("{p} → broker {id}")).collect::<Vec<_>>().join(", ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("{0} is not a network load balancer (its type is not \"network\")")]
    NotNetwork(String),
    #[error("the load balancer {0} has no listeners: there is no Kafka setup to import")]
    NoListeners(String),
    #[error("the listener on port {0} does not forward to a single target group")]
    NoForward(u16),
    #[error("the listener on port {port} forwards to a target group with no registered targets")]
    EmptyGroup { port: u16 },
    #[error(
        "the listener on port {port} forwards to a target group with {count} targets that is not a bootstrap \
         group (one holding every broker): a broker listener's group holds exactly one target"
    )]
    Ambiguous { port: u16, count: usize },
    #[error("the listeners on ports {0} and {1} both look like bootstrap listeners")]
    TwoBootstraps(u16, u16),
    #[error("listener port {port} is below the convention's base {base}")]
    Convention { port: u16, base: u16 },
    #[error(
        "{load_balancer} holds {count} brokers: a broker id given in the import id names the one broker of a \
         load balancer; give the load balancers without ids (their brokers' ids then come from our tags)"
    )]
    SeveralBrokers { load_balancer: String, count: usize },
    #[error(
        "the broker ids behind these load balancers cannot be told: they carry no broker ids of ours, and their \
         names do not each end in a different number. Give each load balancer its broker's id in the import id: \
         `1=<ARN or vpce-svc id>,2=…`"
    )]
    UnknownIds,
    #[error("broker id {0} is behind two of the load balancers")]
    DuplicateId(BrokerId),
}

/// A listener to one broker: its port, its one target (none when another
/// actor registers them), the target's port and the group's role tag.
type Single = (u16, Option<TargetId>, u16, Option<Role>);

/// A listener to several targets: its port, the targets, and whether its
/// group carries our bootstrap role tag.
type Multi = (u16, BTreeSet<Target>, bool);

/// The bootstrap listener, if one listener forwards to every broker: its
/// port and, when its targets are not the brokers' own ports, their port.
/// A group our tags call the bootstrap may hold more (on the first load
/// balancer of a spread it holds the brokers behind the others too); the
/// target port is then judged by this load balancer's brokers.
fn bootstrap_of(singles: &[Single], multis: &[Multi]) -> Result<Option<(u16, Option<u16>)>, ImportError> {
    let broker_ips: BTreeSet<&TargetId> = singles.iter().filter_map(|s| s.1.as_ref()).collect();
    // Another actor's targets say nothing of which group is the bootstrap's:
    // our tag does.
    let unbound = singles.iter().any(|s| s.1.is_none());
    let mut bootstrap = None;
    for (port, targets, tagged) in multis {
        let ips: BTreeSet<&TargetId> = targets.iter().map(|t| &t.0).collect();
        let holds_all = if *tagged { unbound || broker_ips.is_subset(&ips) } else { ips == broker_ips };
        if !holds_all || targets.len() != ips.len() {
            return Err(ImportError::Ambiguous { port: *port, count: targets.len() });
        }
        if let Some((first, _)) = bootstrap {
            return Err(ImportError::TwoBootstraps(first, *port));
        }
        // Targets on the brokers' own ports need no target_port.
        let own_brokers = targets.iter().filter(|(id, _)| broker_ips.contains(id));
        let own =
            unbound || own_brokers.clone().all(|(id, p)| singles.iter().any(|s| s.1.as_ref() == Some(id) && s.2 == *p));
        let uniform: BTreeSet<u16> = targets.iter().map(|t| t.1).collect();
        let target_port = match (own, uniform.len()) {
            (true, _) => None,
            (false, 1) => uniform.into_iter().next(),
            _ => return Err(ImportError::Ambiguous { port: *port, count: targets.len() }),
        };
        bootstrap = Some((*port, target_port));
    }
    Ok(bootstrap)
}

/// The brokers' ids: from their groups' role tags when every group has a
/// distinct one, else by the convention (listener port − base + 1).
fn broker_ids(singles: &[Single], base: u16) -> Result<(Vec<BrokerId>, IdSource), ImportError> {
    let tagged: Option<Vec<BrokerId>> = singles
        .iter()
        .map(|s| match s.3 {
            Some(Role::Broker(id)) => Some(id),
            _ => None,
        })
        .collect();
    let tagged = tagged.filter(|ids| ids.iter().collect::<BTreeSet<_>>().len() == ids.len());
    let (ids, source) = match tagged {
        Some(ids) => (ids, IdSource::Tags),
        None => (
            singles
                .iter()
                .map(|s| {
                    let n = u32::from(s.0.checked_sub(base).ok_or(ImportError::Convention { port: s.0, base })?) + 1;
                    Ok(BrokerId::new(n))
                })
                .collect::<Result<Vec<_>, ImportError>>()?,
            IdSource::Convention,
        ),
    };
    Ok((ids, source))
}

/// The broker ids of a setup imported from several load balancers (each
/// `(name, layout)`, with the id `given` for it in the import id, if any):
/// for each layout, its ids → the setup's. Given ids name the one broker
/// of their load balancer; without them, our role tags when every layout
/// has its ids from them; else, when each load balancer holds one broker,
/// the number its name ends in (`NLB-MSKBroker-…-2`, `<prefix>-3`).
pub fn spread_ids(
    layouts: &[(&str, &ImportedLayout)],
    given: &[Option<BrokerId>],
) -> Result<Vec<BTreeMap<BrokerId, BrokerId>>, ImportError> {
    let one = |name: &str, l: &ImportedLayout| -> Result<BrokerId, ImportError> {
        match l.brokers.keys().collect::<Vec<_>>().as_slice() {
            [only] => Ok(**only),
            _ => Err(ImportError::SeveralBrokers { load_balancer: name.to_owned(), count: l.brokers.len() }),
        }
    };
    let mut out = Vec::new();
    if given.iter().any(Option::is_some) {
        for ((name, l), id) in layouts.iter().zip(given) {
            let id = id.ok_or(ImportError::UnknownIds)?;
            out.push(BTreeMap::from([(one(name, l)?, id)]));
        }
    } else if layouts.iter().all(|(_, l)| l.ids == IdSource::Tags) {
        out = layouts.iter().map(|(_, l)| l.brokers.keys().map(|id| (*id, *id)).collect()).collect();
    } else {
        for (name, l) in layouts {
            if l.brokers.is_empty() {
                out.push(BTreeMap::new());
                continue;
            }
            let number =
                name.rsplit_once('-').and_then(|(_, n)| n.parse::<u32>().ok()).ok_or(ImportError::UnknownIds)?;
            out.push(BTreeMap::from([(one(name, l)?, BrokerId::new(number))]));
        }
    }
    let mut seen = BTreeSet::new();
    for id in out.iter().flat_map(BTreeMap::values) {
        if !seen.insert(*id) {
            return Err(ImportError::DuplicateId(*id));
        }
    }
    Ok(out)
}

/// Classifies the listeners of the observed load balancer.
pub fn classify(observed: &Observed) -> Result<ImportedLayout, ImportError> {
    let lb = observed.load_balancer.as_ref().ok_or_else(|| ImportError::NoListeners(String::new()))?;
    if !lb.is_network {
        return Err(ImportError::NotNetwork(lb.arn.clone()));
    }
    if observed.listeners.is_empty() {
        return Err(ImportError::NoListeners(lb.arn.clone()));
    }
    let mut singles: Vec<Single> = Vec::new();
    let mut multis: Vec<Multi> = Vec::new();
    // The broker groups' target type: the first's (one per setup).
    let mut kind = None;
    let mut listeners = observed.listeners.clone();
    listeners.sort_by_key(|l| l.port);
    for l in &listeners {
        let tg = l
            .target_group_arn
            .as_deref()
            .and_then(|a| observed.target_group(a))
            .ok_or(ImportError::NoForward(l.port))?;
        if tg.targets.len() == 1 || matches!(tg.role, Some(Role::Broker(_))) {
            kind.get_or_insert(tg.kind);
        }
        match (tg.targets.len(), tg.role) {
            (1, _) => {
                let (id, port) = tg.targets.iter().next().cloned().expect("one target");
                singles.push((l.port, Some(id), port, tg.role));
            }
            // Our broker's group, its targets another actor's (none yet, or
            // two while a pod is replaced): the group's port is the broker's.
            (_, Some(Role::Broker(_))) => singles.push((l.port, None, tg.port, tg.role)),
            (0, Some(Role::Bootstrap)) => multis.push((l.port, BTreeSet::new(), true)),
            (0, _) => return Err(ImportError::EmptyGroup { port: l.port }),
            _ => multis.push((l.port, tg.targets.clone(), tg.role == Some(Role::Bootstrap))),
        }
    }
    let bootstrap = bootstrap_of(&singles, &multis)?;
    let base = singles.iter().map(|s| s.0).min().unwrap_or(DEFAULT_LISTENER_PORT_BASE);
    let (ids, source) = broker_ids(&singles, base)?;
    let brokers = ids
        .into_iter()
        .zip(&singles)
        .map(|(id, s)| (id, ImportedBroker { target: s.1.clone(), port: s.2, listener_port: s.0 }))
        .collect();
    Ok(ImportedLayout {
        name: lb.tags.get(OWNER_TAG).cloned().unwrap_or_else(|| lb.name.clone()),
        brokers,
        bootstrap,
        base,
        ids: source,
        kind: kind.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::domain::layout::{ObservedListener, ObservedLoadBalancer, ObservedTargetGroup};
    use crate::domain::ownership::ROLE_TAG;

    fn ip(n: u8) -> TargetId {
        TargetId::Ip(Ipv4Addr::new(10, 0, n, 10))
    }

    /// (listener port, targets, role tag)
    type Listener<'a> = (u16, Vec<Target>, Option<&'a str>);

    fn setup(listeners: &[Listener<'_>]) -> Observed {
        let mut o = Observed {
            load_balancer: Some(ObservedLoadBalancer {
                arn: "arn:lb".into(),
                name: "mz-kafka-lb".into(),
                is_network: true,
                ..Default::default()
            }),
            ..Default::default()
        };
        for (i, (port, targets, role)) in listeners.iter().enumerate() {
            let arn = format!("arn:tg/{i}");
            o.target_groups.push(ObservedTargetGroup {
                arn: arn.clone(),
                name: format!("mz-kafka-target-group-{i}"),
                targets: targets.iter().cloned().collect(),
                role: role.and_then(Role::parse),
                tags: role.map(|r| [(ROLE_TAG.to_owned(), r.to_owned())].into()).unwrap_or_default(),
                ..Default::default()
            });
            o.listeners.push(ObservedListener {
                arn: format!("arn:l/{port}"),
                port: *port,
                target_group_arn: Some(arn),
                ..Default::default()
            });
        }
        o
    }

    #[test]
    fn materialize_module_layout_by_convention() {
        let o = setup(&[
            (9001, vec![(ip(1), 9092)], None),
            (9002, vec![(ip(2), 9092)], None),
            (9003, vec![(ip(3), 9092)], None),
        ]);
        let l = classify(&o).unwrap();
        assert_eq!(l.ids, IdSource::Convention);
        assert_eq!(l.name, "mz-kafka-lb");
        assert_eq!(l.base, 9001);
        assert_eq!(
            l.brokers[&BrokerId::new(3)],
            ImportedBroker { target: Some(ip(3)), port: 9092, listener_port: 9003 }
        );
        assert_eq!(l.mapping(), "9001 → broker 1, 9002 → broker 2, 9003 → broker 3");
    }

    #[test]
    fn our_groups_another_actor_fills_import_without_targets() {
        // No pod bound yet for broker 1, two during a roll for broker 2,
        // one for broker 3; the bootstrap group not bound yet.
        let mut o = setup(&[
            (9000, vec![], Some("bootstrap")),
            (9001, vec![], Some("broker/1")),
            (9002, vec![(ip(50), 9094), (ip(51), 9094)], Some("broker/2")),
            (9003, vec![(ip(3), 9094)], Some("broker/3")),
        ]);
        for g in &mut o.target_groups {
            (g.port, g.kind) = (9094, TargetKind::Instance);
        }
        let l = classify(&o).unwrap();
        assert!(l.unbound());
        assert_eq!((l.ids.clone(), l.kind, l.bootstrap), (IdSource::Tags, TargetKind::Instance, Some((9000, None))));
        assert_eq!(l.brokers[&BrokerId::new(1)], ImportedBroker { target: None, port: 9094, listener_port: 9001 });
        assert_eq!(l.brokers[&BrokerId::new(2)].target, None);
        assert_eq!(l.brokers[&BrokerId::new(3)].target, Some(ip(3)));
        // Without our tags, an empty group is still no broker to import.
        let untagged = setup(&[(9001, vec![], None), (9002, vec![(ip(2), 9092)], None)]);
        assert_eq!(classify(&untagged), Err(ImportError::EmptyGroup { port: 9001 }));
    }

    #[test]
    fn tidb_cloud_layout_with_bootstrap() {
        let all = vec![(ip(1), 39092), (ip(2), 39092), (ip(3), 39092)];
        let o = setup(&[
            (9092, all, None),
            (9093, vec![(ip(1), 39092)], None),
            (9094, vec![(ip(2), 39092)], None),
            (9095, vec![(ip(3), 39092)], None),
        ]);
        let l = classify(&o).unwrap();
        assert_eq!(l.bootstrap, Some((9092, None)));
        assert_eq!(l.base, 9093);
        assert_eq!(l.brokers.keys().map(|b| b.get()).collect::<Vec<_>>(), vec![1, 2, 3]);
    }

    #[test]
    fn our_role_tags_win_over_the_convention() {
        let o = setup(&[(9001, vec![(ip(1), 9092)], Some("broker/0")), (9002, vec![(ip(2), 9092)], Some("broker/7"))]);
        let l = classify(&o).unwrap();
        assert_eq!(l.ids, IdSource::Tags);
        assert_eq!(l.brokers.keys().map(|b| b.get()).collect::<Vec<_>>(), vec![0, 7]);
    }

    #[test]
    fn the_first_load_balancer_of_a_spread_keeps_a_bootstrap_holding_every_broker() {
        let all = vec![(ip(1), 9092), (ip(2), 9092), (ip(3), 9092)];
        let o = setup(&[(9000, all.clone(), Some("bootstrap")), (9001, vec![(ip(1), 9092)], Some("broker/1"))]);
        let l = classify(&o).unwrap();
        assert_eq!(l.bootstrap, Some((9000, None)));
        assert_eq!(l.brokers.keys().map(|b| b.get()).collect::<Vec<_>>(), vec![1]);
        // untagged, a group of more than this load balancer's brokers is no bootstrap
        let foreign = setup(&[(9000, all, None), (9001, vec![(ip(1), 9092)], None)]);
        assert!(matches!(classify(&foreign), Err(ImportError::Ambiguous { port: 9000, .. })));
    }

    #[test]
    fn per_broker_load_balancers_take_their_ids_from_names_tags_or_the_import_id() {
        let single = |port: u16, n: u8| classify(&setup(&[(port, vec![(ip(n), 9096)], None)])).unwrap();
        let (a, b) = (single(9096, 1), single(9096, 2));
        let named = [("NLB-MSKBroker-10-0-1-10-1", &a), ("NLB-MSKBroker-10-0-2-10-4", &b)];
        let ids = spread_ids(&named, &[None, None]).unwrap();
        assert_eq!(ids[1], BTreeMap::from([(BrokerId::new(1), BrokerId::new(4))]), "the number the name ends in");
        let unnamed = [("kafka-a", &a), ("kafka-b", &b)];
        assert_eq!(spread_ids(&unnamed, &[None, None]), Err(ImportError::UnknownIds));
        let given = spread_ids(&unnamed, &[Some(BrokerId::new(2)), Some(BrokerId::new(7))]).unwrap();
        assert_eq!(given[0], BTreeMap::from([(BrokerId::new(1), BrokerId::new(2))]));
        assert_eq!(spread_ids(&unnamed, &[Some(BrokerId::new(2)), None]), Err(ImportError::UnknownIds));
        let twice = [("kafka-1", &a), ("other-1", &b)];
        assert_eq!(spread_ids(&twice, &[None, None]), Err(ImportError::DuplicateId(BrokerId::new(1))));
        let tagged = classify(&setup(&[
            (9001, vec![(ip(1), 9092)], Some("broker/3")),
            (9002, vec![(ip(2), 9092)], Some("broker/5")),
        ]))
        .unwrap();
        let by_tags = spread_ids(&[("orders", &tagged), ("orders-1", &a)], &[None, None]);
        assert!(by_tags.is_err(), "tags only count when every load balancer carries them");
        let two = spread_ids(&[("orders", &tagged)], &[None]).unwrap();
        assert_eq!(two[0].values().map(|b| b.get()).collect::<Vec<_>>(), vec![3, 5]);
        let several = spread_ids(&[("orders", &tagged)], &[Some(BrokerId::new(1))]);
        assert!(matches!(several, Err(ImportError::SeveralBrokers { count: 2, .. })));
    }

    #[test]
    fn bad_setups_are_explained() {
        let mut alb = setup(&[(9001, vec![(ip(1), 9092)], None)]);
        alb.load_balancer.as_mut().unwrap().is_network = false;
        assert!(matches!(classify(&alb), Err(ImportError::NotNetwork(_))));
        assert!(matches!(classify(&setup(&[])), Err(ImportError::NoListeners(_))));
        let shared = setup(&[(9001, vec![(ip(1), 9092)], None), (9002, vec![(ip(2), 9092), (ip(3), 9092)], None)]);
        assert_eq!(classify(&shared), Err(ImportError::Ambiguous { port: 9002, count: 2 }));
        assert_eq!(classify(&setup(&[(9001, vec![], None)])), Err(ImportError::EmptyGroup { port: 9001 }));
    }
}
