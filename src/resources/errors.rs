//! The one way an AWS error becomes a diagnostic, for every resource, data
//! source and list: `Error <doing> <subject>`, then AWS's answer in words
//! (`AwsError`'s wording, the IAM permission to grant when access was
//! denied, the endpoint when it could not be reached), then what to do
//! when the provider knows.

use crate::aws::{AwsError, Clients, ErrorKind};
use crate::server::api::diag::Diagnostic;

/// `e`, met while `doing` (reading, creating, importing, …) `subject`.
pub fn aws_diagnostic(clients: &Clients, doing: &str, subject: &str, e: &AwsError) -> Diagnostic {
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
    Diagnostic::error(format!("Error {doing} {subject}"), format!("{}.{hint}", clients.explain(e)))
}
