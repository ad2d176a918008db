//! Which load balancer each broker sits behind, when `brokers_per_load_balancer`
//! spreads a cluster over several (issue 25; the first step, pure).
//!
//! A load balancer is a numbered *shard*: shard 0 is the one a setup has
//! always had, the others are numbered as they are created. The rule, as
//! stable as the listener ports (`super::ports`):
//! 1. a broker that has a shard (from state) keeps it;
//! 2. every other broker, in increasing id order, takes a free place in the
//!    lowest-numbered shard that has one, else opens the lowest-numbered
//!    shard not in use;
//! 3. a shard left with no broker is gone (its load balancer is deleted).
//!
//! So adding or removing a broker never moves another one, and a new broker
//! fills a hole before a new load balancer is made. Lowering the number of
//! brokers per load balancer below what a live shard holds would move
//! brokers: refused ([`SpreadError::Crowded`]), naming the shard and its
//! brokers. Raising it moves nobody; new brokers fill the room.

use std::collections::{BTreeMap, BTreeSet};

use super::ports::BrokerId;

/// A load balancer's number among a setup's load balancers.
pub type Shard = u16;

/// Why a spread cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpreadError {
    #[error("brokers_per_load_balancer must be between 1 and {max}, not {given}")]
    OutOfRange { given: u16, max: u16 },
    #[error(
        "load balancer {shard} holds {} brokers ({}), more than brokers_per_load_balancer = {per}: lowering it would \
         move live brokers to other load balancers, and their clients were told their addresses",
        brokers.len(),
        brokers.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    )]
    Crowded { shard: Shard, brokers: Vec<BrokerId>, per: u16 },
}

/// The shard of every broker in `brokers`: `current` (from state) kept,
/// the others placed by the rule above, `per` to a shard. Brokers of
/// `current` not in `brokers` are gone and free their place.
pub fn spread(
    brokers: &BTreeSet<BrokerId>,
    per: u16,
    max: u16,
    current: &BTreeMap<BrokerId, Shard>,
) -> Result<BTreeMap<BrokerId, Shard>, SpreadError> {
    if per == 0 || per > max {
        return Err(SpreadError::OutOfRange { given: per, max });
    }
    let mut out: BTreeMap<BrokerId, Shard> =
        current.iter().filter(|(b, _)| brokers.contains(b)).map(|(b, s)| (*b, *s)).collect();
    let mut load = shards(&out);
    if let Some((shard, held)) = load.iter().find(|(_, held)| held.len() > usize::from(per)) {
        return Err(SpreadError::Crowded { shard: *shard, brokers: held.clone(), per });
    }
    let new: Vec<BrokerId> = brokers.iter().filter(|b| !out.contains_key(b)).copied().collect();
    for b in new {
        let shard = load
            .iter()
            .find(|(_, held)| held.len() < usize::from(per))
            .map(|(s, _)| *s)
            .unwrap_or_else(|| (0..).find(|s| !load.contains_key(s)).unwrap_or(Shard::MAX));
        load.entry(shard).or_default().push(b);
        out.insert(b, shard);
    }
    Ok(out)
}

/// The name of shard `shard`'s load balancer: `name` for shard 0 (the one
/// a setup has always had, so a setup that starts spreading keeps it), and
/// `<name>-<shard>` after. Target groups keep their names (they carry the
/// broker id, unique across shards); the longest shard name is checked
/// against ELBv2's 32 characters at plan.
pub fn load_balancer_name(name: &str, shard: Shard) -> String {
    if shard == 0 { name.to_owned() } else { format!("{name}-{shard}") }
}

/// The listener port a broker gets when it names none, with `per` brokers
/// to a load balancer: alone behind its own load balancer and service
/// (`per == 1`), its own port, so that it keeps advertising what it
/// advertises (the layout MSK needs, whose brokers' addresses cannot
/// change); else `None`, and the assignment of `super::ports` decides.
pub fn default_listener_port(per: Option<u16>, broker_port: u16) -> Option<u16> {
    (per == Some(1)).then_some(broker_port)
}

/// The shards in use, each with its brokers in id order.
pub fn shards(spread: &BTreeMap<BrokerId, Shard>) -> BTreeMap<Shard, Vec<BrokerId>> {
    let mut out: BTreeMap<Shard, Vec<BrokerId>> = BTreeMap::new();
    for (b, s) in spread {
        out.entry(*s).or_default().push(*b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[u32]) -> BTreeSet<BrokerId> {
        v.iter().copied().map(BrokerId::new).collect()
    }

    fn of(v: &[(u32, Shard)]) -> BTreeMap<BrokerId, Shard> {
        v.iter().map(|(b, s)| (BrokerId::new(*b), *s)).collect()
    }

    #[test]
    fn a_fresh_cluster_fills_shards_in_id_order() {
        let got = spread(&ids(&[1, 2, 3, 4, 5]), 2, 50, &BTreeMap::new()).unwrap();
        assert_eq!(got, of(&[(1, 0), (2, 0), (3, 1), (4, 1), (5, 2)]));
    }

    #[test]
    fn one_broker_a_load_balancer_is_the_per_broker_layout() {
        let got = spread(&ids(&[4, 1, 9]), 1, 50, &BTreeMap::new()).unwrap();
        assert_eq!(got, of(&[(1, 0), (4, 1), (9, 2)]));
    }

    #[test]
    fn a_new_broker_fills_a_hole_before_a_new_load_balancer() {
        // broker 2 left shard 0; broker 7 takes its place, not shard 2.
        let current = of(&[(1, 0), (2, 0), (3, 1), (4, 1)]);
        let got = spread(&ids(&[1, 3, 4, 7]), 2, 50, &current).unwrap();
        assert_eq!(got, of(&[(1, 0), (7, 0), (3, 1), (4, 1)]));
    }

    #[test]
    fn a_shard_left_empty_is_gone_and_its_number_is_reused() {
        let current = of(&[(1, 0), (2, 1), (3, 2)]);
        let got = spread(&ids(&[1, 3]), 1, 50, &current).unwrap();
        assert_eq!(shards(&got).keys().copied().collect::<Vec<_>>(), [0, 2]);
        let again = spread(&ids(&[1, 3, 5]), 1, 50, &got).unwrap();
        assert_eq!(again[&BrokerId::new(5)], 1);
    }

    #[test]
    fn raising_the_number_moves_nobody_and_lowering_it_is_refused() {
        let current = of(&[(1, 0), (2, 0), (3, 1)]);
        let raised = spread(&ids(&[1, 2, 3, 4]), 3, 50, &current).unwrap();
        assert_eq!(raised, of(&[(1, 0), (2, 0), (4, 0), (3, 1)]));
        let err = spread(&ids(&[1, 2, 3, 4]), 2, 50, &raised).unwrap_err();
        assert_eq!(
            err,
            SpreadError::Crowded {
                shard: 0,
                brokers: vec![BrokerId::new(1), BrokerId::new(2), BrokerId::new(4)],
                per: 2
            }
        );
        assert!(err.to_string().contains("load balancer 0 holds 3 brokers (1, 2, 4)"), "{err}");
    }

    #[test]
    fn shard_zero_keeps_the_setup_s_name_and_the_others_are_numbered() {
        assert_eq!(load_balancer_name("orders", 0), "orders");
        assert_eq!(load_balancer_name("orders", 7), "orders-7");
        let names: BTreeSet<String> = (0..60).map(|s| load_balancer_name("orders", s)).collect();
        assert_eq!(names.len(), 60, "every shard its own name");
    }

    #[test]
    fn alone_behind_its_load_balancer_a_broker_listens_on_its_own_port() {
        assert_eq!(default_listener_port(Some(1), 9098), Some(9098));
        assert_eq!(default_listener_port(Some(2), 9098), None);
        assert_eq!(default_listener_port(None, 9098), None);
    }

    #[test]
    fn the_number_is_bounded() {
        assert!(matches!(spread(&ids(&[1]), 0, 50, &BTreeMap::new()), Err(SpreadError::OutOfRange { .. })));
        assert!(matches!(spread(&ids(&[1]), 51, 50, &BTreeMap::new()), Err(SpreadError::OutOfRange { .. })));
    }

    /// A small seeded generator, so that a failing sequence can be run again.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
    }

    /// Random growth and shrink of a cluster, `per` fixed per run: after
    /// every step no live broker moved, no shard is over full, and a new
    /// shard was opened only when every shard in use was full.
    #[test]
    fn random_churn_never_moves_a_live_broker() {
        for seed in 1..=200u64 {
            let mut rng = Lcg(seed);
            let per = 1 + rng.next(5) as u16;
            let mut brokers: BTreeSet<BrokerId> = BTreeSet::new();
            let mut current: BTreeMap<BrokerId, Shard> = BTreeMap::new();
            let mut steps = Vec::new();
            for _ in 0..30 {
                let before = brokers.clone();
                for _ in 0..=rng.next(3) {
                    let id = BrokerId::new(rng.next(20) as u32);
                    if rng.next(3) == 0 {
                        brokers.remove(&id);
                    } else {
                        brokers.insert(id);
                    }
                }
                steps.push(brokers.iter().map(|b| b.get()).collect::<Vec<_>>());
                let next = spread(&brokers, per, 50, &current).unwrap();
                let trail = || format!("seed {seed}, per {per}, brokers after each step: {steps:?}");
                assert_eq!(next.keys().collect::<BTreeSet<_>>(), brokers.iter().collect(), "{}", trail());
                for (b, s) in &current {
                    if brokers.contains(b) {
                        assert_eq!(next[b], *s, "broker {b} moved; {}", trail());
                    }
                }
                let loads = shards(&next);
                assert!(loads.values().all(|held| held.len() <= usize::from(per)), "{}", trail());
                let kept: BTreeSet<Shard> = current
                    .iter()
                    .filter(|(b, _)| before.contains(b) && brokers.contains(b))
                    .map(|(_, s)| *s)
                    .collect();
                let opened: Vec<Shard> = loads.keys().copied().filter(|s| !kept.contains(s)).collect();
                if !opened.is_empty() {
                    let full = kept.iter().all(|s| loads[s].len() == usize::from(per));
                    assert!(full, "shards {opened:?} opened while one in use had room; {}", trail());
                }
                current = next;
            }
        }
    }
}
