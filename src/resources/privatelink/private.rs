//! What the resource keeps in Terraform's private state: the instance
//! token (see [`crate::domain::ownership`]), how the load balancer came to
//! be managed, and target groups an interrupted apply could not delete
//! yet. Nothing secret: the token is also a tag on every object.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::server::api::diag::Diagnostic;

/// How the resource came to manage its load balancer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    /// The resource created it (`subnet_ids`).
    Created,
    /// `terraform import` gave it to the resource.
    Imported,
    /// Borrowed through `load_balancer_arn`: never deleted.
    Adopted,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Private {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<Provenance>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub leftover_groups: BTreeSet<String>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub leftover_listeners: BTreeSet<String>,
}

impl Private {
    /// Empty bytes (no private state yet, or a state from before it) are
    /// the default.
    pub fn decode(bytes: &[u8]) -> Result<Private, Diagnostic> {
        if bytes.is_empty() {
            return Ok(Private::default());
        }
        serde_json::from_slice(bytes).map_err(|e| {
            Diagnostic::error(
                "Unreadable private state",
                format!("The private state of this kafka_privatelink is not what this provider writes: {e}."),
            )
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        if *self == Private::default() {
            return Vec::new();
        }
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// A new instance token: 16 hex digits from the system's secure random
/// source (unique, not secret).
pub fn new_token() -> String {
    let mut bytes = [0u8; 8];
    if rustls::crypto::aws_lc_rs::default_provider().secure_random.fill(&mut bytes).is_err() {
        // No secure random source: the clock and the process still make
        // collisions between two instances practically impossible.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        bytes = ((nanos as u64) ^ (u64::from(std::process::id()) << 40)).to_be_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_empty_is_default() {
        assert_eq!(Private::decode(b"").unwrap(), Private::default());
        assert!(Private::default().encode().is_empty());
        let p = Private {
            instance: Some("0123456789abcdef".into()),
            load_balancer: Some(Provenance::Imported),
            leftover_groups: BTreeSet::from(["arn:tg".into()]),
            leftover_listeners: BTreeSet::new(),
        };
        let bytes = p.encode();
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            r#"{"instance":"0123456789abcdef","load_balancer":"imported","leftover_groups":["arn:tg"]}"#
        );
        assert_eq!(Private::decode(&bytes).unwrap(), p);
        assert!(Private::decode(b"garbage").is_err());
    }

    #[test]
    fn tokens_are_hex_and_differ() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
