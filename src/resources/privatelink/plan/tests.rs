//! The pure steps of a plan, without Terraform or AWS.

use super::replacement::emptiness;
use super::*;
use crate::resources::privatelink::model::{Bootstrap, Broker, EndpointService, strings};

fn known(s: &str) -> Tri<String> {
    Tri::Known(s.to_owned())
}

/// Brokers `(key, ip, listener port)`.
fn brokers(list: &[(&str, &str, Option<u16>)]) -> Tri<BTreeMap<String, Broker>> {
    Tri::Known(
        list.iter()
            .map(|(k, ip, lp)| {
                let listener_port = lp.map_or(Tri::Null, |p| Tri::Known(f64::from(p)));
                ((*k).to_owned(), Broker { ip: known(ip), listener_port, ..Default::default() })
            })
            .collect(),
    )
}

fn created(subnets: &[&str]) -> Model {
    Model { name: known("orders"), subnet_ids: strings(subnets.iter().map(|s| (*s).to_owned())), ..Default::default() }
}

#[test]
fn a_load_balancer_gone_out_of_band_is_planned_unknown_and_a_present_one_kept() {
    let config = created(&["subnet-1"]);
    let mut prior = Model { id: known("arn:lb"), ..created(&["subnet-1"]) };
    let mut planned = config.clone();
    plan_load_balancer(&mut planned, &config, Some(&prior));
    assert!(planned.load_balancer_arn.is_unknown() && planned.id.is_unknown(), "{planned:?}");

    prior.load_balancer_arn = known("arn:lb");
    prior.availability_zone_ids = strings(["use1-az1".to_owned()]);
    let mut planned = config.clone();
    plan_load_balancer(&mut planned, &config, Some(&prior));
    assert_eq!(planned.load_balancer_arn, known("arn:lb"));
    assert_eq!(planned.availability_zone_ids, prior.availability_zone_ids, "zones kept with the subnets");

    // zones a failed read left empty are read again
    prior.availability_zone_ids = strings(Vec::<String>::new());
    let mut planned = config.clone();
    plan_load_balancer(&mut planned, &config, Some(&prior));
    assert!(planned.availability_zone_ids.is_unknown());
}

#[test]
fn the_service_defaults_to_acceptance_and_regions_force_cross_zone() {
    let mut config = created(&["subnet-1"]);
    config.endpoint_service = Tri::Known(vec![EndpointService::default()]);
    let mut planned = config.clone();
    plan_endpoint_service(&mut planned, &config, None);
    let es = planned.endpoint().cloned().unwrap_or_default();
    assert_eq!(es.acceptance_required, Tri::Known(true));
    assert!(es.id.is_unknown(), "a new service's id comes at apply");
    assert_eq!(planned.cross_zone_load_balancing, Tri::Known(false));

    config.endpoint_service = Tri::Known(vec![EndpointService {
        supported_regions: strings(["us-west-2".to_owned()]),
        ..Default::default()
    }]);
    let mut planned = config.clone();
    plan_endpoint_service(&mut planned, &config, None);
    assert_eq!(planned.cross_zone_load_balancing, Tri::Known(true), "cross-region needs cross-zone");
}

#[test]
fn a_replacement_is_refused_only_when_it_would_move_a_port() {
    let config = Model { brokers: brokers(&[("1", "10.0.1.10", None), ("3", "10.0.1.12", None)]), ..created(&["s"]) };
    let replace = [AttributePath::attr("subnet_ids")];
    // no holes: afresh, the same ports
    let same = Model {
        brokers: brokers(&[("1", "10.0.1.10", Some(9001)), ("3", "10.0.1.12", Some(9002))]),
        ..created(&["s"])
    };
    assert!(check_replacement_keeps_ports(&config, &same, &replace).is_ok());
    // broker 2 gone: broker 3 on 9003 would get 9002
    let holed = Model {
        brokers: brokers(&[("1", "10.0.1.10", Some(9001)), ("3", "10.0.1.12", Some(9003))]),
        ..created(&["s"])
    };
    let e = check_replacement_keeps_ports(&config, &holed, &replace).unwrap_err();
    let d = e.iter().next().cloned().expect("one diagnostic");
    assert!(d.detail.contains("broker 3 from 9003 to 9002") && d.detail.contains("listener_port = 9003"), "{d:?}");
    // pinned, it passes
    let pinned =
        Model { brokers: brokers(&[("1", "10.0.1.10", None), ("3", "10.0.1.12", Some(9003))]), ..created(&["s"]) };
    assert!(check_replacement_keeps_ports(&pinned, &holed, &replace).is_ok());
}

#[test]
fn a_lists_emptiness_is_known_with_the_list_not_its_elements() {
    assert_eq!(emptiness(&Tri::Null), Some(true));
    assert_eq!(emptiness(&Tri::Known(vec![Tri::Unknown])), Some(false));
    assert_eq!(emptiness(&Tri::Known(vec![])), Some(true));
    assert_eq!(emptiness(&Tri::Unknown), None);
}

#[test]
fn bootstrap_arns_are_kept_only_while_nothing_moved() {
    let boot = |lp: f64| {
        Tri::Known(vec![Bootstrap {
            listener_port: Tri::Known(lp),
            target_group_arn: known("arn:tg"),
            listener_arn: known("arn:l"),
            ..Default::default()
        }])
    };
    let prior =
        Model { brokers: brokers(&[("1", "10.0.1.10", Some(9001))]), bootstrap: boot(9092.0), ..created(&["s"]) };
    let config = Model { brokers: brokers(&[("1", "10.0.1.10", None)]), bootstrap: boot(9092.0), ..created(&["s"]) };
    // (the target type as `plan_defaults` plans it)
    let mut planned = Model { target_type: known("ip"), ..config.clone() };
    plan_bootstrap(&mut planned, &config, Some(&prior));
    assert_eq!(planned.bootstrap().map(|b| b.target_group_arn.clone()), Some(known("arn:tg")));
    // another listener port: a new listener
    let moved = Model { bootstrap: boot(9093.0), ..config.clone() };
    let mut planned = Model { target_type: known("ip"), ..moved.clone() };
    plan_bootstrap(&mut planned, &moved, Some(&prior));
    assert!(planned.bootstrap().is_some_and(|b| b.listener_arn.is_unknown() && b.target_group_arn.is_unknown()));
    // brokers by instance now: another kind of group
    let mut by_instance = config.clone();
    if let Tri::Known(bs) = &mut by_instance.brokers {
        for b in bs.values_mut() {
            b.instance_id = known("i-1");
        }
    }
    let mut planned = Model { target_type: known("instance"), ..by_instance.clone() };
    plan_bootstrap(&mut planned, &by_instance, Some(&prior));
    assert!(planned.bootstrap().is_some_and(|b| b.target_group_arn.is_unknown()));
}
