//! Shapes of the names this provider handles: availability-zone ids, region
//! names, endpoint service names, host names. Each check says what is wrong
//! in words a user can act on.

/// An availability-zone id such as `use1-az1` (or a Local Zone id such as
/// `usw2-lax1-az1`). Ids, unlike names (`us-east-1a`), mean the same physical
/// zone in every account, which is what PrivateLink consumers need.
pub fn check_az_id(id: &str) -> Result<(), String> {
    let parts: Vec<&str> = id.split('-').collect();
    let ok = parts.len() >= 2
        && region_code(parts[0])
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        && parts[parts.len() - 1]
            .strip_prefix("az")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(format!("{id:?} is not an availability zone id such as \"use1-az1\" (ids, not names like \"us-east-1a\")"))
    }
}

/// `use1`, `usw2`, `apne1`, `usgw1`: letters then digits.
fn region_code(s: &str) -> bool {
    let letters = s.bytes().take_while(u8::is_ascii_lowercase).count();
    letters >= 2 && letters < s.len() && s.bytes().skip(letters).all(|b| b.is_ascii_digit())
}

/// An AWS region name such as `us-east-1` or `us-gov-west-1`.
pub fn check_region(name: &str) -> Result<(), String> {
    let parts: Vec<&str> = name.split('-').collect();
    let ok = parts.len() >= 3
        && parts[..parts.len() - 1].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].parse::<u8>().is_ok();
    if ok { Ok(()) } else { Err(format!("{name:?} is not an AWS region name such as \"us-east-1\"")) }
}

/// `com.amazonaws.vpce.<region>.vpce-svc-<hex>`.
pub fn check_endpoint_service_name(name: &str) -> Result<(), String> {
    let bad = || {
        format!(
            "{name:?} is not an endpoint service name such as \"com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0\""
        )
    };
    let rest = name.strip_prefix("com.amazonaws.vpce.").ok_or_else(bad)?;
    let (region, id) = rest.split_once('.').ok_or_else(bad)?;
    check_region(region).map_err(|_| bad())?;
    check_endpoint_service_id(id).map_err(|_| bad())
}

/// `vpce-svc-` and hex digits. AWS ids have 17; emulators use fewer.
pub fn check_endpoint_service_id(id: &str) -> Result<(), String> {
    match id.strip_prefix("vpce-svc-") {
        Some(hex)
            if !hex.is_empty()
                && hex.len() <= 17
                && hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) =>
        {
            Ok(())
        }
        _ => Err(format!("{id:?} is not an endpoint service id such as \"vpce-svc-0123456789abcdef0\"")),
    }
}

/// A DNS host name: dot-separated labels of letters, digits and hyphens,
/// each 1–63 characters, not starting or ending with a hyphen; 253 at most.
pub fn check_host(host: &str) -> Result<(), String> {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if !host.is_empty() && host.len() <= 253 && host.split('.').all(label_ok) {
        Ok(())
    } else {
        Err(format!("{host:?} is not a valid host name (letters, digits, hyphens and dots; labels of 1-63 characters)"))
    }
}

/// The `unique_name` of a TiDB Cloud private link domain: lowercase letters
/// and digits.
pub fn check_unique_name(name: &str) -> Result<(), String> {
    if !name.is_empty() && name.len() <= 63 && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!("{name:?} may contain only lowercase letters and digits"))
    }
}

/// A Kafka listener name (`EXTERNAL`): letters, digits and underscores.
pub fn check_listener_name(name: &str) -> Result<(), String> {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(())
    } else {
        Err(format!("{name:?} is not a Kafka listener name: use letters, digits and underscores, e.g. \"EXTERNAL\""))
    }
}

/// An unquoted SQL identifier as Materialize folds it: lowercase letters,
/// digits and underscores, not starting with a digit.
pub fn check_sql_identifier(name: &str) -> Result<(), String> {
    let ok = name.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!("{name:?} is not a plain SQL identifier: use lowercase letters, digits and underscores"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn az_ids() {
        for ok in ["use1-az1", "usw2-az3", "apne1-az4", "usgw1-az2", "usw2-lax1-az1", "euc1-az12"] {
            assert!(check_az_id(ok).is_ok(), "{ok}");
        }
        for bad in ["us-east-1a", "use1", "use1-az", "az1", "USE1-AZ1", "use1-azx", "1use-az1", ""] {
            assert!(check_az_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn regions() {
        for ok in ["us-east-1", "eu-central-2", "us-gov-west-1", "ap-southeast-7"] {
            assert!(check_region(ok).is_ok(), "{ok}");
        }
        for bad in ["us-east", "useast1", "US-EAST-1", "us-east-1a", ""] {
            assert!(check_region(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn endpoint_service_names() {
        assert!(check_endpoint_service_name("com.amazonaws.vpce.us-east-1.vpce-svc-0e123abc123198abc").is_ok());
        assert!(check_endpoint_service_name("com.amazonaws.vpce.us-west-2.vpce-svc-12cc8b8e").is_ok());
        for bad in
            ["vpce-svc-0e123abc123198abc", "com.amazonaws.vpce.us-east-1.svc-1", "com.amazonaws.vpce.x.vpce-svc-1"]
        {
            assert!(check_endpoint_service_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hosts_and_identifiers() {
        assert!(check_host("b-1.hostname-1").is_ok());
        assert!(check_host("b1.usw2-az1.abc.aws.plc.tidbcloud.com").is_ok());
        assert!(check_host("-bad.example").is_err());
        assert!(check_host("a..b").is_err());
        assert!(check_host(&"x".repeat(64)).is_err());
        assert!(check_unique_name("abc123").is_ok());
        assert!(check_unique_name("Abc").is_err());
        assert!(check_unique_name("a-b").is_err());
        assert!(check_listener_name("EXTERNAL").is_ok());
        assert!(check_listener_name("EXT-1").is_err());
        assert!(check_sql_identifier("privatelink_svc").is_ok());
        assert!(check_sql_identifier("1svc").is_err());
        assert!(check_sql_identifier("Svc").is_err());
    }
}
