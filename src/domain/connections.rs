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
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
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
    /// Waiting for the service owner's answer.
    pub fn is_pending_acceptance(&self) -> bool {
        self.state == PENDING_ACCEPTANCE
    }

    /// Accepted, not yet carrying traffic: AWS may still show an accepted
    /// connection `pendingAcceptance` for a moment, then `pending`.
    pub fn is_settling(&self) -> bool {
        matches!(self.state.as_str(), PENDING_ACCEPTANCE | PENDING)
    }

    /// Carrying traffic, or about to: what destroy must not cut silently.
    pub fn is_live(&self) -> bool {
        matches!(self.state.as_str(), PENDING_ACCEPTANCE | PENDING | AVAILABLE)
    }
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
