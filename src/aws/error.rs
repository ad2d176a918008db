//! One error type for every AWS call: what we were doing, to which object,
//! and what AWS answered. Messages read like hashicorp/aws's
//! ("creating ELBv2 Target Group (orders-b1-9092): …").

use std::fmt;

use aws_smithy_types::error::metadata::ProvideErrorMetadata;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The object does not exist.
    NotFound,
    /// AWS refused; `code` is its error code (`ResourceInUse`, …).
    Api { code: String, message: String },
    /// The request never got a usable answer (network, unparseable response).
    Transport(String),
    /// A waiter ran out of time.
    Timeout,
    /// Terraform asked us to stop.
    Cancelled,
    /// An endpoint service still has consumer endpoints (their ids).
    LiveConnections(Vec<String>),
    /// A batch call succeeded but AWS refused some of its items: each
    /// with its reason.
    Partial(String),
    /// No credentials could be found or loaded (the SDK's message chain).
    Credentials(String),
    /// The endpoint could not be reached (the SDK's message chain).
    Unreachable(String),
    /// The credentials lack `permission` (an IAM action such as
    /// `ec2:DescribeSubnets`).
    AccessDenied { code: String, message: String, permission: &'static str },
}

/// Error codes that mean "not allowed" in EC2, ELBv2 and MSK.
const ACCESS_DENIED_CODES: [&str; 4] =
    ["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "ForbiddenException"];

/// Where the SDK looks for credentials, in order, and how to set each.
pub const CREDENTIAL_SOURCES: &str = "The provider looked, in order, in the provider block (access_key and \
     secret_key), the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), the shared files with their \
     profile (~/.aws/credentials and ~/.aws/config; AWS_PROFILE or the provider's profile), SSO (aws sso login), \
     credential_process in the profile, web identity (AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN), and the \
     ECS or EC2 instance metadata. Set one of them: \
     https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct AwsError {
    /// "creating ELBv2 Target Group"
    pub action: String,
    /// The name, ARN or id of the object.
    pub object: String,
    pub kind: ErrorKind,
    /// The service that answered (or did not), when a call was made.
    pub service: Option<Service>,
}

/// The AWS services the provider calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Ec2,
    Elbv2,
    Kafka,
}

impl Service {
    /// The service of an IAM permission (`ec2:DescribeSubnets`).
    pub fn of_permission(permission: &str) -> Option<Service> {
        match permission.split_once(':')?.0 {
            "ec2" => Some(Service::Ec2),
            "elasticloadbalancing" => Some(Service::Elbv2),
            "kafka" => Some(Service::Kafka),
            _ => None,
        }
    }

    /// Its endpoint's host prefix (`https://<prefix>.<region>.amazonaws.com`).
    pub fn endpoint_prefix(self) -> &'static str {
        match self {
            Service::Ec2 => "ec2",
            Service::Elbv2 => "elasticloadbalancing",
            Service::Kafka => "kafka",
        }
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): ", self.action, self.object)?;
        match &self.kind {
            ErrorKind::NotFound => f.write_str("not found"),
            ErrorKind::Api { code, message } if message.is_empty() => f.write_str(code),
            ErrorKind::Api { code, message } => write!(f, "{code}: {message}"),
            ErrorKind::Transport(e) => write!(f, "no usable answer from AWS: {e}"),
            ErrorKind::Timeout => f.write_str("timed out"),
            ErrorKind::LiveConnections(ids) => {
                write!(f, "consumer endpoints are still connected: {}", ids.join(", "))
            }
            ErrorKind::Cancelled => f.write_str("cancelled: Terraform asked the provider to stop"),
            ErrorKind::Partial(reasons) => write!(f, "refused for {reasons}"),
            ErrorKind::Credentials(chain) => write!(f, "no AWS credentials: {chain}. {CREDENTIAL_SOURCES}"),
            ErrorKind::Unreachable(chain) => write!(f, "AWS could not be reached: {chain}"),
            ErrorKind::AccessDenied { code, message, permission } => {
                let message = if message.is_empty() { String::new() } else { format!(": {message}") };
                write!(
                    f,
                    "{code}{message}. Grant the IAM permission {permission} to the credentials the provider uses \
                     (every permission it needs: docs/guides/iam-policy.md)"
                )
            }
        }
    }
}

/// Error codes that mean "no such object".
const NOT_FOUND_CODES: [&str; 11] = [
    "LoadBalancerNotFound",
    "TargetGroupNotFound",
    "ListenerNotFound",
    "InvalidVpcEndpointServiceId.NotFound",
    "InvalidVpcEndpointService.NotFound",
    "InvalidVpcEndpointServiceId.Malformed",
    "InvalidSubnetID.NotFound",
    "InvalidVpcID.NotFound",
    "InvalidInstanceID.NotFound",
    "InvalidInstanceID.Malformed",
    // MSK
    "NotFoundException",
];

impl AwsError {
    pub fn new(action: impl Into<String>, object: impl Into<String>, kind: ErrorKind) -> Self {
        Self { action: action.into(), object: object.into(), kind, service: None }
    }

    /// Wraps the SDK error of the call of `permission` (its IAM action,
    /// e.g. `ec2:DescribeSubnets`), keeping AWS's code and message.
    pub fn from_sdk_call<E>(
        permission: &'static str,
        action: impl Into<String>,
        object: impl Into<String>,
        err: E,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let kind = match err.code() {
            Some(code) if NOT_FOUND_CODES.contains(&code) => ErrorKind::NotFound,
            Some(code) if ACCESS_DENIED_CODES.contains(&code) => ErrorKind::AccessDenied {
                code: code.to_owned(),
                message: err.message().unwrap_or_default().to_owned(),
                permission,
            },
            Some(code) => {
                ErrorKind::Api { code: code.to_owned(), message: err.message().unwrap_or_default().to_owned() }
            }
            None => {
                let chain = display_chain(&err);
                let lower = chain.to_ascii_lowercase();
                if lower.contains("credential") {
                    ErrorKind::Credentials(chain)
                } else if ["connection refused", "dns error", "tcp connect error", "failed to lookup address"]
                    .iter()
                    .any(|m| lower.contains(m))
                {
                    ErrorKind::Unreachable(chain)
                } else {
                    ErrorKind::Transport(chain)
                }
            }
        };
        Self { service: Service::of_permission(permission), ..Self::new(action, object, kind) }
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    pub fn code(&self) -> Option<&str> {
        match &self.kind {
            ErrorKind::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// An error and its sources by their `Display`, joined with ": " — never a
/// `Debug` dump. A message its cause repeats word for word is said once.
pub fn display_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let m = e.to_string();
        if !m.is_empty() && !parts.iter().any(|p| p == &m) {
            parts.push(m);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// `Ok(None)` for not-found, the error otherwise.
pub fn optional<T>(r: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_comes_from_the_permission() {
        assert_eq!(Service::of_permission("ec2:DescribeSubnets"), Some(Service::Ec2));
        assert_eq!(Service::of_permission("elasticloadbalancing:DescribeTags"), Some(Service::Elbv2));
        assert_eq!(Service::of_permission("kafka:ListNodes"), Some(Service::Kafka));
        assert_eq!(Service::of_permission("sts:AssumeRole"), None);
    }

    #[test]
    fn messages_read_like_hashicorp_aws() {
        let e = AwsError::new(
            "deleting ELBv2 Target Group",
            "orders-b1-9092",
            ErrorKind::Api { code: "ResourceInUse".into(), message: "in use by a listener".into() },
        );
        assert_eq!(e.to_string(), "deleting ELBv2 Target Group (orders-b1-9092): ResourceInUse: in use by a listener");
        assert_eq!(e.code(), Some("ResourceInUse"));
        assert!(optional::<()>(Err(AwsError::new("x", "y", ErrorKind::NotFound))).unwrap().is_none());
    }
}
