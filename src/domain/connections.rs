//! Consumer connections to the endpoint service: which to accept and which
//! to reject, decided from the allowed principals alone.
//!
//! An allowed principal (`arn:aws:iam::<account>:root`, a role or a user)
//! lets its account create endpoints to the service; a connection names
//! only the account that owns the endpoint. So a connection is *listed*
//! when its owner is the account of some allowed principal, or when `"*"`
//! is allowed. Removing a principal does not end its account's existing
//! connections on AWS: only `reject_unlisted` does that.

use std::collections::BTreeSet;

use super::arn::Arn;

/// One consumer endpoint connected (or asking to connect) to the service.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Connection {
    pub endpoint_id: String,
    /// The account that owns the endpoint.
    pub owner: String,
    /// AWS's `VpcEndpointState`, as AWS spells it: `pendingAcceptance`,
    /// `pending`, `available`, `rejected`, `deleting`, `deleted`, `failed`,
    /// `expired`, `partial`.
    pub state: String,
}

pub const PENDING_ACCEPTANCE: &str = "pendingAcceptance";
pub const PENDING: &str = "pending";
pub const AVAILABLE: &str = "available";
pub const REJECTED: &str = "rejected";

impl Connection {
    /// Whether the state is one of `states`. AWS has been seen to spell
    /// states in more than one case (`Pending`, `pending`; hashicorp/aws
    /// folds them), so case does not count.
    fn is(&self, states: &[&str]) -> bool {
        states.iter().any(|s| self.state.eq_ignore_ascii_case(s))
    }

    /// Waiting for the service owner's answer.
    pub fn is_pending_acceptance(&self) -> bool {
        self.is(&[PENDING_ACCEPTANCE])
    }

    /// Accepted, not yet carrying traffic: AWS may still show an accepted
    /// connection `pendingAcceptance` for a moment, then `pending`.
    pub fn is_settling(&self) -> bool {
        self.is(&[PENDING_ACCEPTANCE, PENDING])
    }

    /// Carrying traffic, or about to: what destroy must not cut silently.
    pub fn is_live(&self) -> bool {
        self.is(&[PENDING_ACCEPTANCE, PENDING, AVAILABLE])
    }

    /// Carrying traffic.
    pub fn is_available(&self) -> bool {
        self.is(&[AVAILABLE])
    }

    /// The consumer's endpoint is gone, or going: nothing left to answer.
    pub fn is_gone(&self) -> bool {
        self.is(&["deleting", "deleted"])
    }
}

/// Whose connection a `kafka_endpoint_connection_accepter` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consumer {
    /// One endpoint, by id: its connection in whatever state.
    Endpoint(String),
    /// The account that owns the endpoint (AWS reports owners, never the
    /// principal that created an endpoint).
    Account(String),
}

/// What a search for a consumer's connection found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// Nothing to answer yet: the consumer has not asked.
    Nothing,
    One(Connection),
    /// Several requests of one account wait: which is meant is not
    /// knowable, so none is accepted.
    Ambiguous(Vec<String>),
}

/// The connection `consumer` asks for among `cs`. By endpoint id, that
/// endpoint's connection unless it is gone. By account, only a request
/// waiting for acceptance: connections already accepted may be another
/// accepter's (one account, Materialize's for one, serves many
/// consumers), and rejected or deleted ones linger in AWS's answers after
/// their consumer has moved on.
pub fn find(consumer: &Consumer, cs: &[Connection]) -> Found {
    let candidates: Vec<&Connection> = match consumer {
        Consumer::Endpoint(id) => cs.iter().filter(|c| &c.endpoint_id == id && !c.is_gone()).collect(),
        Consumer::Account(account) => cs.iter().filter(|c| &c.owner == account && c.is_pending_acceptance()).collect(),
    };
    match candidates.as_slice() {
        [] => Found::Nothing,
        [one] => Found::One((*one).clone()),
        many => Found::Ambiguous(many.iter().map(|c| c.endpoint_id.clone()).collect()),
    }
}

/// The consumer's connections among `cs`: its endpoint's, or every one its
/// account owns.
pub fn of_consumer<'a>(consumer: &Consumer, cs: &'a [Connection]) -> Vec<&'a Connection> {
    cs.iter()
        .filter(|c| match consumer {
            Consumer::Endpoint(id) => &c.endpoint_id == id,
            Consumer::Account(account) => &c.owner == account,
        })
        .collect()
}

/// The consumer's connections that someone else accepted while an accepter
/// waited: accepted now (live, not waiting), and not yet accepted when it
/// first looked (`first`). By account, those are requests an accepter never
/// got to see waiting: `endpoint_service.auto_accept`, a service that needs
/// no acceptance, or another accepter of the same account took them.
pub fn accepted_by_others(consumer: &Consumer, first: &[Connection], now: &[Connection]) -> Vec<String> {
    let accepted_before: BTreeSet<&str> = of_consumer(consumer, first)
        .into_iter()
        .filter(|c| c.is_live() && !c.is_pending_acceptance())
        .map(|c| c.endpoint_id.as_str())
        .collect();
    of_consumer(consumer, now)
        .into_iter()
        .filter(|c| c.is_live() && !c.is_pending_acceptance() && !accepted_before.contains(c.endpoint_id.as_str()))
        .map(|c| c.endpoint_id.clone())
        .collect()
}

/// What an accepter saw of its consumer, in words, for a wait that ends
/// without a request to accept.
pub fn sighting(consumer: &Consumer, cs: &[Connection]) -> String {
    let who = match consumer {
        Consumer::Endpoint(id) => format!("endpoint {id}"),
        Consumer::Account(account) => format!("account {account}"),
    };
    let mine = of_consumer(consumer, cs);
    if mine.is_empty() {
        return format!(
            "the service has no connection at all from {who}: check that the consumer's principal is allowed \
             (kafka_endpoint_service_principal or allowed_principals) and that the consumer has created its endpoint"
        );
    }
    let seen: Vec<String> = mine.iter().map(|c| format!("{} ({})", c.endpoint_id, c.state)).collect();
    format!("the service's connections from {who} are {}, none waiting for acceptance", seen.join(", "))
}

/// The endpoints of the live connections among `cs`: what stops a destroy.
pub fn live_endpoints(cs: impl IntoIterator<Item = Connection>) -> Vec<String> {
    cs.into_iter().filter(Connection::is_live).map(|c| c.endpoint_id).collect()
}

/// What the configuration says about connections.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionPolicy {
    /// Accept pending connections of listed accounts on every apply.
    pub auto_accept: bool,
    /// Reject pending and available connections of unlisted accounts.
    pub reject_unlisted: bool,
}

/// The account of an allowed principal; `None` for `"*"` and anything that
/// is not an IAM ARN.
pub fn principal_account(principal: &str) -> Option<&str> {
    Arn::parse(principal)
        .filter(|a| a.service == "iam" && a.region.is_empty() && !a.account.is_empty())
        .map(|a| a.account)
}

/// Which connections the policy acts on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decisions {
    pub accept: BTreeSet<String>,
    pub reject: BTreeSet<String>,
}

impl Decisions {
    pub fn is_empty(&self) -> bool {
        self.accept.is_empty() && self.reject.is_empty()
    }
}

/// Accept the pending connections of listed accounts (with `auto_accept`),
/// reject the pending or available ones of unlisted accounts (with
/// `reject_unlisted`); leave everything else alone.
pub fn decide(policy: ConnectionPolicy, principals: &BTreeSet<String>, connections: &[Connection]) -> Decisions {
    let any = principals.contains("*");
    let accounts: BTreeSet<&str> = principals.iter().filter_map(|p| principal_account(p)).collect();
    let listed = |c: &Connection| any || accounts.contains(c.owner.as_str());
    let mut d = Decisions::default();
    for c in connections {
        if listed(c) {
            if policy.auto_accept && c.is_pending_acceptance() {
                d.accept.insert(c.endpoint_id.clone());
            }
        } else if policy.reject_unlisted && c.is_live() {
            d.reject.insert(c.endpoint_id.clone());
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(id: &str, owner: &str, state: &str) -> Connection {
        Connection { endpoint_id: id.into(), owner: owner.into(), state: state.into() }
    }

    fn principals(ps: &[&str]) -> BTreeSet<String> {
        ps.iter().map(|p| (*p).to_owned()).collect()
    }

    #[test]
    fn an_accepter_names_what_it_saw_and_what_others_accepted() {
        let c = |id: &str, owner: &str, state: &str| Connection {
            endpoint_id: id.to_owned(),
            owner: owner.to_owned(),
            state: state.to_owned(),
        };
        let account = Consumer::Account("111111111111".to_owned());
        let first = vec![c("vpce-old", "111111111111", "available"), c("vpce-x", "222222222222", "pendingAcceptance")];
        let now = vec![
            c("vpce-old", "111111111111", "available"),
            c("vpce-new", "111111111111", "available"),
            c("vpce-x", "222222222222", "available"),
            c("vpce-gone", "111111111111", "rejected"),
        ];
        assert_eq!(accepted_by_others(&account, &first, &now), vec!["vpce-new".to_owned()]);
        assert_eq!(accepted_by_others(&account, &now, &now), Vec::<String>::new());
        let said = sighting(&account, &now);
        assert!(said.contains("vpce-old (available), vpce-new (available), vpce-gone (rejected)"), "{said}");
        assert!(!said.contains("vpce-x"), "another account's connection is not this consumer's: {said}");
        assert!(sighting(&Consumer::Account("333333333333".to_owned()), &now).contains("no connection at all"));
    }

    #[test]
    fn live_endpoints_are_those_connected_or_being_connected() {
        let cs = [
            conn("vpce-a", "1", PENDING_ACCEPTANCE),
            conn("vpce-b", "1", PENDING),
            conn("vpce-c", "1", AVAILABLE),
            conn("vpce-d", "1", REJECTED),
            conn("vpce-e", "1", "deleted"),
        ];
        assert_eq!(live_endpoints(cs), ["vpce-a", "vpce-b", "vpce-c"]);
    }

    #[test]
    fn states_compare_without_case() {
        assert!(conn("vpce-a", "1", "PendingAcceptance").is_pending_acceptance());
        assert!(conn("vpce-a", "1", "Available").is_live());
        assert!(conn("vpce-a", "1", "PENDING").is_settling());
        assert!(conn("vpce-a", "1", "Deleted").is_gone());
        assert!(!conn("vpce-a", "1", REJECTED).is_live());
    }

    #[test]
    fn an_account_is_answered_only_for_its_one_waiting_request() {
        let mine = "111111111111";
        let cs = [
            conn("vpce-old", mine, REJECTED),
            conn("vpce-gone", mine, "deleted"),
            conn("vpce-other", mine, AVAILABLE),
            conn("vpce-theirs", "222222222222", PENDING_ACCEPTANCE),
        ];
        let by_account = Consumer::Account(mine.into());
        assert_eq!(find(&by_account, &cs), Found::Nothing, "accepted, rejected and deleted ones never count");
        let mut waiting = cs.to_vec();
        waiting.push(conn("vpce-new", mine, PENDING_ACCEPTANCE));
        assert_eq!(find(&by_account, &waiting), Found::One(conn("vpce-new", mine, PENDING_ACCEPTANCE)));
        waiting.push(conn("vpce-newer", mine, PENDING_ACCEPTANCE));
        assert_eq!(find(&by_account, &waiting), Found::Ambiguous(vec!["vpce-new".into(), "vpce-newer".into()]));
    }

    #[test]
    fn an_endpoint_is_found_in_any_state_but_gone() {
        let cs = [conn("vpce-a", "1", AVAILABLE), conn("vpce-b", "1", "deleting"), conn("vpce-c", "1", REJECTED)];
        let by = |id: &str| find(&Consumer::Endpoint(id.into()), &cs);
        assert_eq!(by("vpce-a"), Found::One(conn("vpce-a", "1", AVAILABLE)));
        assert_eq!(by("vpce-b"), Found::Nothing);
        assert_eq!(by("vpce-c"), Found::One(conn("vpce-c", "1", REJECTED)));
        assert_eq!(by("vpce-x"), Found::Nothing);
    }

    #[test]
    fn accounts_of_principals() {
        assert_eq!(principal_account("arn:aws:iam::123456789012:root"), Some("123456789012"));
        assert_eq!(principal_account("arn:aws-us-gov:iam::123456789012:role/mz"), Some("123456789012"));
        assert_eq!(principal_account("*"), None);
        assert_eq!(principal_account("arn:aws:s3:::bucket"), None);
    }

    #[test]
    fn only_listed_pending_connections_are_accepted_and_only_when_asked() {
        let cs = [
            conn("vpce-a", "111111111111", PENDING_ACCEPTANCE),
            conn("vpce-b", "222222222222", PENDING_ACCEPTANCE),
            conn("vpce-c", "111111111111", AVAILABLE),
            conn("vpce-d", "111111111111", REJECTED),
        ];
        let ps = principals(&["arn:aws:iam::111111111111:role/consumer"]);
        assert!(decide(ConnectionPolicy::default(), &ps, &cs).is_empty());
        let d = decide(ConnectionPolicy { auto_accept: true, reject_unlisted: false }, &ps, &cs);
        assert_eq!(d.accept, BTreeSet::from(["vpce-a".to_owned()]));
        assert!(d.reject.is_empty(), "the unlisted account's connection is left alone");
    }

    #[test]
    fn unlisted_connections_are_rejected_only_with_reject_unlisted() {
        let cs = [
            conn("vpce-a", "111111111111", AVAILABLE),
            conn("vpce-b", "222222222222", AVAILABLE),
            conn("vpce-c", "222222222222", PENDING_ACCEPTANCE),
            conn("vpce-d", "222222222222", REJECTED),
        ];
        let ps = principals(&["arn:aws:iam::111111111111:root"]);
        let d = decide(ConnectionPolicy { auto_accept: true, reject_unlisted: true }, &ps, &cs);
        assert!(d.accept.is_empty());
        assert_eq!(d.reject, BTreeSet::from(["vpce-b".to_owned(), "vpce-c".to_owned()]));
    }

    #[test]
    fn any_principal_lists_every_account() {
        let cs = [conn("vpce-a", "333333333333", PENDING_ACCEPTANCE)];
        let d = decide(ConnectionPolicy { auto_accept: true, reject_unlisted: true }, &principals(&["*"]), &cs);
        assert_eq!(d.accept, BTreeSet::from(["vpce-a".to_owned()]));
        assert!(d.reject.is_empty());
    }
}
