//! Every shape check of the provider's inputs, in one place: ELB names,
//! availability-zone ids, regions, endpoint service names and ids, host and
//! SQL names, ARNs (principals, load balancers, roles), resource ids, URLs,
//! durations, and AWS's numeric [`limits`].
//! Each check needs no AWS call and says what is wrong in words a user can
//! act on; the Terraform types call them at plan time with an attribute path.

use std::time::Duration;

use super::arn::{Arn, is_account_id};

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

/// ELBv2 names (load balancers, target groups): 1–32 characters, letters,
/// digits and hyphens, not starting or ending with a hyphen.
pub fn check_elb_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 32 {
        return Err(format!("{name:?} is {} characters long; AWS allows 1 to 32", name.len()));
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(format!("{name:?} may only contain letters, digits and hyphens"));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err(format!("{name:?} may not start or end with a hyphen"));
    }
    if name.starts_with("internal-") {
        return Err(format!("{name:?} may not start with \"internal-\""));
    }
    Ok(())
}

/// An IAM principal ARN as endpoint services accept it: an account root,
/// user or role (`arn:aws:iam::123456789012:root`, `…:role/name`).
pub fn check_principal(p: &str) -> Result<(), String> {
    let ok = Arn::parse(p).is_some_and(|a| {
        a.service == "iam"
            && a.region.is_empty()
            && a.has_account_id()
            && (a.resource == "root" || named(a.resource, "role/") || named(a.resource, "user/"))
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{p:?} is not an IAM principal ARN such as \"arn:aws:iam::123456789012:root\" or \"arn:aws:iam::123456789012:role/name\" (without a path: AWS refuses those)"
        ))
    }
}

/// `role/<name>`: a name with no path before it, as endpoint services
/// want it ("Principal ARNs with path components aren't supported",
/// ModifyVpcEndpointServicePermissions).
fn named(resource: &str, kind: &str) -> bool {
    resource.strip_prefix(kind).is_some_and(|name| !name.is_empty() && !name.contains('/'))
}

/// A load balancer ARN, by its syntax only: the type is checked against
/// AWS's answer, never the ARN (moto writes `loadbalancer/app/…` for
/// network load balancers).
pub fn check_load_balancer_arn(arn: &str) -> Result<(), String> {
    let ok = Arn::parse(arn).is_some_and(|a| {
        a.service == "elasticloadbalancing"
            && !a.region.is_empty()
            && !a.account.is_empty()
            && a.resource.starts_with("loadbalancer/")
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{arn:?} is not a load balancer ARN (arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/net/<name>/<id>)"
        ))
    }
}

pub fn check_role_arn(arn: &str) -> Result<(), String> {
    let ok = Arn::parse(arn).is_some_and(|a| {
        a.service == "iam" && a.region.is_empty() && a.has_account_id() && a.resource.starts_with("role/")
    });
    if ok {
        Ok(())
    } else {
        Err(format!("{arn:?} is not an IAM role ARN such as \"arn:aws:iam::123456789012:role/name\""))
    }
}

/// An AWS account id: twelve digits.
pub fn check_account_id(id: &str) -> Result<(), String> {
    if is_account_id(id) { Ok(()) } else { Err(format!("{id:?} is not an AWS account id: twelve digits")) }
}

pub fn check_url(url: &str) -> Result<(), String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') => Ok(()),
        _ => Err(format!("{url:?} is not an http(s) URL such as \"https://ec2.us-east-1.amazonaws.com\"")),
    }
}

/// Go-style durations as the AWS provider takes them: `1h`, `15m`, `1h30m`, `900s`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    // A year at most: longer waits are typos, and far longer ones would
    // overflow the clock arithmetic of the waits.
    const MAX: u64 = 366 * 24 * 3600;
    let mut total = 0u64;
    let mut digits = String::new();
    for ch in s.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        let n: u64 = digits.parse().ok()?;
        digits.clear();
        let unit = match ch {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    (digits.is_empty() && total > 0 && total <= MAX).then(|| Duration::from_secs(total))
}

/// An EC2 instance id: `i-` and 8 or 17 hex digits.
pub fn check_instance_id(id: &str) -> Result<(), String> {
    let hex = id.strip_prefix("i-").unwrap_or_default();
    if matches!(hex.len(), 8 | 17) && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        Ok(())
    } else {
        Err(format!("{id:?} is not an EC2 instance id such as \"i-0123456789abcdef0\""))
    }
}

/// A security group id: `sg-` and 8 or 17 hex digits.
pub fn check_security_group_id(id: &str) -> Result<(), String> {
    let hex = id.strip_prefix("sg-").unwrap_or_default();
    if matches!(hex.len(), 8 | 17) && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        Ok(())
    } else {
        Err(format!("{id:?} is not a security group id such as \"sg-0123456789abcdef0\""))
    }
}

/// A VPC id: `vpc-` and more.
pub fn check_vpc_id(id: &str) -> Result<(), String> {
    prefixed_id(id, "vpc-", "a VPC id such as \"vpc-0123456789abcdef0\"")
}

/// A subnet id: `subnet-` and more.
pub fn check_subnet_id(id: &str) -> Result<(), String> {
    prefixed_id(id, "subnet-", "a subnet id such as \"subnet-0123456789abcdef0\"")
}

fn prefixed_id(id: &str, prefix: &str, what: &str) -> Result<(), String> {
    if id.strip_prefix(prefix).is_some_and(|rest| !rest.is_empty()) {
        Ok(())
    } else {
        Err(format!("{id:?} is not {what}"))
    }
}

/// `on` or `off`, as ELBv2 spells its few switches given as strings.
pub fn check_on_off(v: &str) -> Result<(), String> {
    if matches!(v, "on" | "off") { Ok(()) } else { Err(format!("{v:?} is neither \"on\" nor \"off\"")) }
}

/// A target type this resource makes groups of (`alb` targets are not
/// brokers).
pub fn check_target_type(v: &str) -> Result<(), String> {
    match super::layout::TargetKind::parse(v) {
        Some(_) => Ok(()),
        None => Err(format!("{v:?} is neither \"ip\" nor \"instance\"")),
    }
}

/// Who registers targets: the resource (`provider`) or another actor
/// (`external`).
pub fn check_target_registration(v: &str) -> Result<(), String> {
    if matches!(v, "provider" | "external") {
        Ok(())
    } else {
        Err(format!("{v:?} is neither \"provider\" nor \"external\""))
    }
}

/// A network load balancer's health check protocols.
pub fn check_health_check_protocol(p: &str) -> Result<(), String> {
    if matches!(p, "TCP" | "HTTP" | "HTTPS") { Ok(()) } else { Err(format!("{p:?} is not TCP, HTTP or HTTPS")) }
}

/// A health check port: `traffic-port` or a port number.
pub fn check_health_check_port(p: &str) -> Result<(), String> {
    if p == "traffic-port" || p.parse::<u16>().is_ok_and(|n| n > 0) {
        Ok(())
    } else {
        Err(format!("{p:?} is neither \"traffic-port\" nor a port number"))
    }
}

/// A `timeouts` value, as [`parse_duration`] takes it.
pub fn check_duration(d: &str) -> Result<(), String> {
    parse_duration(d)
        .map(|_| ())
        .ok_or_else(|| format!("{d:?} is not a duration such as \"10m\" or \"1h\" (at most 8784h)"))
}

/// AWS's bounds on the numbers the provider passes through, inclusive,
/// each with the words an error uses for it.
pub mod limits {
    /// A bounded number: its name in messages and its inclusive range.
    pub struct Limit {
        pub what: &'static str,
        pub min: i64,
        pub max: i64,
    }

    pub const PORT: Limit = Limit { what: "port", min: 1, max: 65535 };
    /// `brokers_per_load_balancer`: a load balancer has at most 50 listeners.
    pub const BROKERS_PER_LOAD_BALANCER: Limit = Limit {
        what: "number of brokers per load balancer",
        min: 1,
        max: crate::domain::ports::MAX_LISTENERS_PER_NLB as i64,
    };
    /// Target group `deregistration_delay.timeout_seconds`.
    pub const DEREGISTRATION_DELAY: Limit = Limit { what: "deregistration delay", min: 0, max: 3600 };
    /// Listener `tcp.idle_timeout.seconds`.
    pub const TCP_IDLE_TIMEOUT: Limit = Limit { what: "TCP idle timeout", min: 60, max: 6000 };
    pub const HEALTH_CHECK_INTERVAL: Limit = Limit { what: "health check interval", min: 5, max: 300 };
    pub const HEALTHY_THRESHOLD: Limit = Limit { what: "healthy threshold", min: 2, max: 10 };
    pub const UNHEALTHY_THRESHOLD: Limit = Limit { what: "unhealthy threshold", min: 2, max: 10 };
    pub const HEALTH_CHECK_TIMEOUT: Limit = Limit { what: "health check timeout", min: 2, max: 120 };
    /// The provider's `max_retries`: the SDK's attempts, bounded here.
    pub const MAX_RETRIES: Limit = Limit { what: "retry count", min: 0, max: 1000 };
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

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

    #[test]
    fn principals() {
        for ok in [
            "arn:aws:iam::123456789012:root",
            "arn:aws:iam::123456789012:role/mz_1_u1",
            "arn:aws-us-gov:iam::123456789012:user/x",
        ] {
            assert!(check_principal(ok).is_ok(), "{ok}");
        }
        for bad in [
            "123456789012",
            "arn:aws:iam::1234:root",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::123456789012:group/x",
            "arn:aws:iam::123456789012:role/team/x",
            "arn:aws:iam::123456789012:role/",
        ] {
            assert!(check_principal(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn load_balancer_arns_in_both_shapes() {
        assert!(
            check_load_balancer_arn(
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/x/50dc6c495c0c9188"
            )
            .is_ok()
        );
        assert!(
            check_load_balancer_arn(
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/50dc6c495c0c9188"
            )
            .is_ok()
        );
        assert!(check_load_balancer_arn("arn:aws:ec2:us-east-1:123456789012:instance/i-1").is_err());
    }

    #[test]
    fn role_arns_and_urls() {
        assert!(check_role_arn("arn:aws:iam::123456789012:role/deploy").is_ok());
        assert!(check_role_arn("arn:aws:iam::123:role/deploy").is_err());
        assert!(check_role_arn("arn:aws:s3:::bucket").is_err());
        assert!(check_url("http://127.0.0.1:5000").is_ok());
        assert!(check_url("127.0.0.1:5000").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("900s"), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("8784h"), Some(Duration::from_secs(8784 * 3600)));
        for bad in ["", "1", "h", "1d", "-1h", "0s", "8785h", "99999999999999999999h", "18446744073709551615h"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn elb_names() {
        assert!(check_elb_name("orders-b1-9092").is_ok());
        assert!(check_elb_name(&"a".repeat(33)).unwrap_err().contains("33 characters"));
        assert!(check_elb_name("a_b").is_err());
        assert!(check_elb_name("-ab").is_err());
        assert!(check_elb_name("internal-x").is_err());
    }

    #[test]
    fn resource_ids_and_switches() {
        assert!(check_vpc_id("vpc-0123").is_ok());
        assert!(check_vpc_id("vpc-").is_err());
        assert!(check_vpc_id("subnet-1").is_err());
        assert!(check_subnet_id("subnet-0abc").is_ok());
        assert!(check_subnet_id("sub-1").is_err());
        assert!(check_on_off("on").is_ok() && check_on_off("off").is_ok());
        assert!(check_on_off("On").is_err());
        assert!(check_target_type("ip").is_ok() && check_target_type("instance").is_ok());
        assert!(check_target_type("alb").unwrap_err().contains("\"alb\""));
        assert!(check_target_registration("external").is_ok() && check_target_registration("provider").is_ok());
        assert!(check_target_registration("kubernetes").is_err());
        assert!(check_health_check_protocol("HTTP").is_ok());
        assert!(check_health_check_protocol("UDP").is_err());
        assert!(check_health_check_port("traffic-port").is_ok());
        assert!(check_health_check_port("8080").is_ok());
        assert!(check_health_check_port("0").is_err());
        assert!(check_duration("20m").is_ok());
        assert!(check_duration("20").unwrap_err().contains("\"10m\""));
        assert!(check_account_id("123456789012").is_ok());
        assert!(check_account_id("12345678901").is_err());
    }

    #[test]
    fn security_group_ids() {
        assert!(check_security_group_id("sg-0123456789abcdef0").is_ok());
        assert!(check_security_group_id("sg-12345678").is_ok());
        assert!(check_security_group_id("sg-123").is_err());
        assert!(check_security_group_id("sg-0123456789ABCDEF0").is_err());
        assert!(check_security_group_id("subnet-12345678").is_err());
    }
}
