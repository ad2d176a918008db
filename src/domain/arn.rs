//! Amazon Resource Names, split once: `arn:<partition>:<service>:<region>:
//! <account>:<resource>`. The resource part keeps its own colons and
//! slashes (`loadbalancer/net/<name>/<id>`, `role/path/name`).

/// An ARN's six fields, borrowed from the string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// The fields of `s`, if it has the ARN shape and an AWS partition
    /// (`aws`, `aws-cn`, `aws-us-gov`, …); the service and resource must
    /// not be empty. What each service requires of the rest is for its
    /// caller to say.
    pub fn parse(s: &'a str) -> Option<Arn<'a>> {
        let mut parts = s.splitn(6, ':');
        let (Some("arn"), Some(partition), Some(service), Some(region), Some(account), Some(resource)) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        (partition.starts_with("aws") && !service.is_empty() && !resource.is_empty()).then_some(Arn {
            partition,
            service,
            region,
            account,
            resource,
        })
    }

    /// Whether the account is an AWS account id: twelve digits.
    pub fn has_account_id(&self) -> bool {
        is_account_id(self.account)
    }

    /// The resource path's segments: `targetgroup/orders-b1/73e2` gives
    /// `targetgroup`, `orders-b1`, `73e2`.
    pub fn resource_segments(&self) -> impl Iterator<Item = &'a str> {
        self.resource.split('/')
    }

    /// The name inside an ELBv2 target group ARN
    /// (`…:targetgroup/<name>/<id>`).
    pub fn target_group_name(&self) -> Option<&'a str> {
        let mut it = self.resource_segments();
        (self.service == "elasticloadbalancing" && it.next() == Some("targetgroup")).then(|| it.next()).flatten()
    }

    /// The name inside an ELBv2 load balancer ARN
    /// (`…:loadbalancer/net/<name>/<id>`).
    pub fn load_balancer_name(&self) -> Option<&'a str> {
        let mut it = self.resource_segments();
        (self.service == "elasticloadbalancing" && it.next() == Some("loadbalancer")).then(|| it.nth(1)).flatten()
    }

    /// The `<type>/<name>/<id>` that a load balancer's ARN ends with and
    /// the ARNs of its listeners carry (`…:listener/net/<name>/<id>/<listener>`),
    /// for a load balancer or listener ARN.
    pub fn load_balancer_key(&self) -> Option<String> {
        let mut it = self.resource_segments();
        let kind = it.next().filter(|k| *k == "loadbalancer" || *k == "listener")?;
        let key: Vec<&str> = it.take(3).collect();
        (self.service == "elasticloadbalancing" && key.len() == 3 && !kind.is_empty()).then(|| key.join("/"))
    }
}

/// Twelve digits, as AWS writes an account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_split_at_the_first_five_colons() {
        let arn =
            Arn::parse("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/x/50dc").expect("an ARN");
        assert_eq!(
            arn,
            Arn {
                partition: "aws",
                service: "elasticloadbalancing",
                region: "us-east-1",
                account: "123456789012",
                resource: "loadbalancer/net/x/50dc",
            }
        );
        assert!(arn.has_account_id());
        let with_colon = Arn::parse("arn:aws:logs:us-east-1:123456789012:log-group:/a:b").expect("an ARN");
        assert_eq!(with_colon.resource, "log-group:/a:b");
    }

    #[test]
    fn iam_arns_have_no_region() {
        let arn = Arn::parse("arn:aws-us-gov:iam::123456789012:role/deploy").expect("an ARN");
        assert_eq!((arn.partition, arn.region, arn.resource), ("aws-us-gov", "", "role/deploy"));
    }

    #[test]
    fn a_target_group_arn_names_its_group() {
        let arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/orders-b1-9092/73e2d6bc24d8a067";
        assert_eq!(Arn::parse(arn).and_then(|a| a.target_group_name()), Some("orders-b1-9092"));
        let lb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/orders/1";
        assert_eq!(Arn::parse(lb).and_then(|a| a.target_group_name()), None);
    }

    #[test]
    fn a_load_balancer_arn_names_its_load_balancer_and_its_listeners_carry_it() {
        let lb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/orders-1/50dc6c495c0c9188";
        let listener = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/net/orders-1/50dc6c495c0c9188/f2f7dc8efc522ab2";
        let (lb, listener) = (Arn::parse(lb).expect("an ARN"), Arn::parse(listener).expect("an ARN"));
        assert_eq!(lb.load_balancer_name(), Some("orders-1"));
        assert_eq!(listener.load_balancer_name(), None);
        assert_eq!(lb.load_balancer_key().as_deref(), Some("net/orders-1/50dc6c495c0c9188"));
        assert_eq!(listener.load_balancer_key(), lb.load_balancer_key());
        let tg = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/orders-b1-9092/73e2d6bc24d8a067";
        assert_eq!(Arn::parse(tg).and_then(|a| a.load_balancer_key()), None);
    }

    #[test]
    fn other_shapes_are_not_arns() {
        for bad in
            ["", "arn", "arn:aws:iam::123456789012", "urn:aws:iam::1:root", "arn:xyz:iam::1:root", "arn:aws:::1:x"]
        {
            assert_eq!(Arn::parse(bad), None, "{bad}");
        }
        assert!(!is_account_id("1234"));
        assert!(!is_account_id("12345678901a"));
    }
}
