//! Amazon MSK brokers as this provider's brokers: which port each client
//! authentication mode uses, and what an MSK cluster ARN looks like.

use std::net::Ipv4Addr;

use super::arn::Arn;
use super::ports::BrokerId;

/// How clients authenticate to the brokers; each mode has its own port on
/// every MSK broker (private connectivity).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authentication {
    Plaintext,
    Tls,
    SaslScram,
    Iam,
}

impl Authentication {
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "plaintext" => Self::Plaintext,
            "tls" => Self::Tls,
            "sasl_scram" => Self::SaslScram,
            "iam" => Self::Iam,
            _ => return Err(format!("{s:?} is not one of plaintext, tls, sasl_scram, iam")),
        })
    }

    /// MSK's broker port for private clients in this mode.
    pub fn port(self) -> u16 {
        match self {
            Self::Plaintext => 9092,
            Self::Tls => 9094,
            Self::SaslScram => 9096,
            Self::Iam => 9098,
        }
    }
}

/// One provisioned MSK broker, as `ListNodes` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MskBroker {
    pub id: BrokerId,
    /// Its client network interface's address.
    pub ip: Ipv4Addr,
    /// Its DNS name (`b-1.<cluster>.<id>.c2.kafka.<region>.amazonaws.com`).
    pub host: String,
    pub subnet_id: String,
}

/// `arn:<partition>:kafka:<region>:<account>:cluster/<name>/<uuid>`.
pub fn check_cluster_arn(arn: &str) -> Result<(), String> {
    let ok = Arn::parse(arn).is_some_and(|a| {
        a.service == "kafka"
            && !a.region.is_empty()
            && a.has_account_id()
            && a.resource.strip_prefix("cluster/").is_some_and(|r| {
                let mut it = r.split('/');
                matches!((it.next(), it.next(), it.next()), (Some(n), Some(id), None) if !n.is_empty() && !id.is_empty())
            })
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{arn:?} is not an MSK cluster ARN such as \"arn:aws:kafka:us-east-1:123456789012:cluster/orders/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d-2\""
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_per_authentication_mode() {
        for (mode, port) in [("plaintext", 9092), ("tls", 9094), ("sasl_scram", 9096), ("iam", 9098)] {
            assert_eq!(Authentication::parse(mode).unwrap().port(), port);
        }
        assert!(Authentication::parse("scram").is_err());
    }

    #[test]
    fn cluster_arns() {
        assert!(check_cluster_arn("arn:aws:kafka:us-east-1:123456789012:cluster/orders/1a2b-3c4d-2").is_ok());
        for bad in [
            "arn:aws:kafka:us-east-1:123456789012:topic/orders/1a2b/t",
            "arn:aws:ec2:us-east-1:123456789012:cluster/orders/1a2b",
            "arn:aws:kafka:us-east-1:1234:cluster/orders/1a2b",
            "orders",
            "arn:aws:kafka:us-east-1:123456789012:cluster/orders",
        ] {
            assert!(check_cluster_arn(bad).is_err(), "{bad}");
        }
    }
}
