//! The one way an AWS error becomes a diagnostic, for every resource, data
//! source and list: `Error <doing> <resource> (<id>)`, from a closed set of
//! verbs ([`Doing`]) and subjects ([`Subject`]); then AWS's answer in words
//! (`AwsError`'s wording, the IAM permission to grant when access was
//! denied, the endpoint when it could not be reached), then what to do
//! when the provider knows.

use std::fmt;

use crate::aws::{AwsError, Clients, ErrorKind};
use crate::server::api::diag::Diagnostic;

/// What the provider was doing when AWS answered with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doing {
    /// A refresh or a data source's read.
    Reading,
    /// The reads a plan makes (claims, instances, an adopted load balancer).
    Planning,
    Creating,
    Updating,
    Deleting,
    Importing,
    Listing,
    Accepting,
    Rejecting,
    Adding,
    Removing,
}

impl Doing {
    #[cfg(test)]
    pub const ALL: [Doing; 11] = [
        Doing::Reading,
        Doing::Planning,
        Doing::Creating,
        Doing::Updating,
        Doing::Deleting,
        Doing::Importing,
        Doing::Listing,
        Doing::Accepting,
        Doing::Rejecting,
        Doing::Adding,
        Doing::Removing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Doing::Reading => "reading",
            Doing::Planning => "planning",
            Doing::Creating => "creating",
            Doing::Updating => "updating",
            Doing::Deleting => "deleting",
            Doing::Importing => "importing",
            Doing::Listing => "listing",
            Doing::Accepting => "accepting",
            Doing::Rejecting => "rejecting",
            Doing::Adding => "adding",
            Doing::Removing => "removing",
        }
    }
}

/// What the error is about: a kind of object, and the id the user knows it
/// by (none for a listing, which has no one object).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    /// A `kafka_privatelink`, by its `name`.
    PrivateLink(&'a str),
    /// A `kafka_endpoint_service_principal`, by its service.
    Principal(&'a str),
    /// A `kafka_endpoint_connection_accepter`, by its service.
    Connection(&'a str),
    /// An MSK cluster, by its ARN.
    MskCluster(&'a str),
    /// The subnets of a VPC, by the VPC's id.
    Subnets(&'a str),
    /// The load balancers a list search reads.
    LoadBalancers,
}

impl fmt::Display for Subject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (what, id) = match self {
            Subject::PrivateLink(name) => ("Kafka PrivateLink", Some(name)),
            Subject::Principal(service) => ("endpoint service principal", Some(service)),
            Subject::Connection(service) => ("endpoint connection", Some(service)),
            Subject::MskCluster(arn) => ("MSK cluster", Some(arn)),
            Subject::Subnets(vpc) => ("subnets of VPC", Some(vpc)),
            Subject::LoadBalancers => ("load balancers", None),
        };
        match id {
            Some(id) => write!(f, "{what} ({id})"),
            None => f.write_str(what),
        }
    }
}

/// `e`, met while `doing` something to `subject`.
pub fn aws_diagnostic(clients: &Clients, doing: Doing, subject: &Subject<'_>, e: &AwsError) -> Diagnostic {
    let hint = match (&e.kind, e.code()) {
        (ErrorKind::LiveConnections(_), _) => {
            " Delete those endpoints, or set endpoint_service.reject_connections_on_destroy = true to reject them."
        }
        (_, Some("DuplicateTargetGroupName")) => {
            " A target group of that name already exists and is not this resource's; it was left unchanged. \
             Delete it, or take over its setup with `terraform import`."
        }
        _ => "",
    };
    Diagnostic::error(format!("Error {} {subject}", doing.as_str()), format!("{}.{hint}", clients.explain(e)))
}

/// `e` as a warning's detail: an AWS answer the provider went on without.
pub fn aws_warning(clients: &Clients, summary: impl Into<String>, consequence: &str, e: &AwsError) -> Diagnostic {
    Diagnostic::warning(summary, format!("{}. {consequence}", clients.explain(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_summary_reads_error_doing_resource_id() {
        let subjects = [
            Subject::PrivateLink("orders"),
            Subject::Principal("vpce-svc-1"),
            Subject::Connection("vpce-svc-1"),
            Subject::MskCluster("arn:aws:kafka:eu-west-1:1:cluster/c/u"),
            Subject::Subnets("vpc-1"),
        ];
        assert!(!subjects.is_empty());
        for doing in Doing::ALL {
            for s in &subjects {
                let line = format!("Error {} {s}", doing.as_str());
                let (head, id) = line.split_once(" (").expect("an id in parentheses");
                assert!(id.ends_with(')') && id.len() > 1, "{line}");
                assert!(head.starts_with("Error ") && head.split(' ').nth(1) == Some(doing.as_str()), "{line}");
            }
        }
        assert_eq!(Subject::LoadBalancers.to_string(), "load balancers");
        let verbs: std::collections::BTreeSet<_> = Doing::ALL.iter().map(|d| d.as_str()).collect();
        assert_eq!(verbs.len(), Doing::ALL.len(), "each verb once");
    }
}
