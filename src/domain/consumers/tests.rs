//! Every output checked against its consumer's documented grammar, and
//! Materialize's routing simulated from its documented semantics: each
//! broker must reach its own listener port in its own zone.

use std::collections::BTreeMap;

use super::*;
use crate::domain::listeners::{Broker, ListenerConfig, PrivateLink, endpoints, privatelinks};

/// Brokers behind one endpoint service: no connection named per broker.
static ONE: BTreeMap<BrokerId, String> = BTreeMap::new();

// ---------------------------------------------------------------------------
// Materialize's CREATE CONNECTION grammar, from its reference
// (https://materialize.com/docs/sql/create-connection/: "Kafka" syntax, the
// broker and default AWS PrivateLink forms, "AWS PrivateLink"), keywords
// case-insensitive, strings with '' escapes:
//   pl    := CREATE CONNECTION id TO AWS PRIVATELINK '(' SERVICE NAME ['='] str ','
//            AVAILABILITY ZONES ['='] '(' [str {',' str}] ')' ')' ';'
//   kafka := CREATE CONNECTION id TO KAFKA '(' opt {',' opt} ')' ';'
//   opt   := BROKERS ['='] '(' entry {',' entry} ')'
//          | AWS PRIVATELINK ['='] id ['(' PORT int ')']
//          | SECURITY PROTOCOL ['='] str
//   entry := str USING AWS PRIVATELINK id [plopts]
//          | MATCHING str USING AWS PRIVATELINK id [plopts]
//   plopts:= '(' plopt {',' plopt} ')';  plopt := AVAILABILITY ZONE ['='] str | PORT ['='] int
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Int(u64),
    Punct(char),
}

fn tokenize(sql: &str) -> Vec<Token> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                assert!(i < chars.len(), "unterminated string in {sql}");
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        s.push('\'');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                s.push(chars[i]);
                i += 1;
            }
            out.push(Token::Str(s));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            out.push(Token::Int(chars[start..i].iter().collect::<String>().parse().expect("digits")));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            assert!("(),;=".contains(c), "unexpected {c:?} in {sql}");
            out.push(Token::Punct(c));
            i += 1;
        }
    }
    out
}

#[derive(Debug, Default, PartialEq)]
struct Entry {
    literal: String,
    connection: String,
    port: Option<u16>,
    zone: Option<String>,
}

#[derive(Debug, Default, PartialEq)]
struct Parsed {
    /// Each `TO AWS PRIVATELINK` connection: its name and service name.
    privatelinks: Vec<(String, String)>,
    zones: Vec<String>,
    kafka: String,
    brokers: Option<Vec<Entry>>,
    rules: Vec<Entry>,
    default: Option<(String, Option<u16>)>,
    protocol: Option<String>,
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }
    fn next(&mut self) -> Token {
        let t = self.tokens.get(self.at).cloned().unwrap_or_else(|| panic!("unexpected end"));
        self.at += 1;
        t
    }
    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(x)) if x.eq_ignore_ascii_case(w))
    }
    fn word(&mut self, w: &str) {
        match self.next() {
            Token::Word(x) if x.eq_ignore_ascii_case(w) => {}
            t => panic!("expected {w}, found {t:?}"),
        }
    }
    fn words(&mut self, ws: &str) {
        for w in ws.split(' ') {
            self.word(w);
        }
    }
    fn punct(&mut self, c: char) {
        assert_eq!(self.next(), Token::Punct(c));
    }
    fn eat(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(&Token::Punct(c));
        if hit {
            self.at += 1;
        }
        hit
    }
    fn ident(&mut self) -> String {
        match self.next() {
            Token::Word(x) => {
                validate::check_sql_identifier(&x).unwrap_or_else(|e| panic!("{e}"));
                x
            }
            t => panic!("expected an identifier, found {t:?}"),
        }
    }
    fn string(&mut self) -> String {
        match self.next() {
            Token::Str(s) => s,
            t => panic!("expected a string, found {t:?}"),
        }
    }
    fn port(&mut self) -> u16 {
        match self.next() {
            Token::Int(n) => u16::try_from(n).ok().filter(|p| *p > 0).unwrap_or_else(|| panic!("port {n}")),
            t => panic!("expected a port, found {t:?}"),
        }
    }
    fn plopts(&mut self, e: &mut Entry) {
        if !self.eat('(') {
            return;
        }
        loop {
            if self.is_word("PORT") {
                self.word("PORT");
                self.eat('=');
                assert!(e.port.replace(self.port()).is_none(), "PORT twice");
            } else {
                self.words("AVAILABILITY ZONE");
                self.eat('=');
                assert!(e.zone.replace(self.string()).is_none(), "AVAILABILITY ZONE twice");
            }
            if !self.eat(',') {
                break;
            }
        }
        self.punct(')');
    }
    fn entry(&mut self, p: &mut Parsed) {
        let matching = self.is_word("MATCHING");
        if matching {
            self.word("MATCHING");
        }
        let mut e = Entry { literal: self.string(), ..Entry::default() };
        self.words("USING AWS PRIVATELINK");
        e.connection = self.ident();
        self.plopts(&mut e);
        if matching {
            p.rules.push(e);
        } else {
            p.brokers.get_or_insert_with(Vec::new).push(e);
        }
    }
}

#[expect(clippy::too_many_lines, reason = "a recursive-descent parser of one grammar, kept whole")]
fn parse_materialize(sql: &str) -> Parsed {
    let mut p = Parser { tokens: tokenize(sql), at: 0 };
    let mut out = Parsed::default();
    loop {
        p.words("CREATE CONNECTION");
        let name = p.ident();
        p.word("TO");
        if p.is_word("KAFKA") {
            out.kafka = name;
            p.word("KAFKA");
            break;
        }
        p.words("AWS PRIVATELINK");
        p.punct('(');
        p.words("SERVICE NAME");
        p.eat('=');
        out.privatelinks.push((name, p.string()));
        p.punct(',');
        p.words("AVAILABILITY ZONES");
        p.eat('=');
        p.punct('(');
        let mut zones = Vec::new();
        while !p.eat(')') {
            zones.push(p.string());
            p.eat(',');
        }
        assert!(out.privatelinks.len() == 1 || zones == out.zones, "one set of zones: {sql}");
        out.zones = zones;
        p.punct(')');
        p.punct(';');
    }
    assert!(!out.privatelinks.is_empty(), "a PrivateLink connection first: {sql}");
    p.punct('(');
    loop {
        if p.is_word("BROKERS") {
            p.word("BROKERS");
            p.eat('=');
            p.punct('(');
            loop {
                p.entry(&mut out);
                if !p.eat(',') {
                    break;
                }
            }
            p.punct(')');
        } else if p.is_word("AWS") {
            p.words("AWS PRIVATELINK");
            p.eat('=');
            let name = p.ident();
            let port = p.eat('(').then(|| {
                p.word("PORT");
                let port = p.port();
                p.punct(')');
                port
            });
            out.default = Some((name, port));
        } else {
            p.words("SECURITY PROTOCOL");
            p.eat('=');
            out.protocol = Some(p.string());
        }
        if !p.eat(',') {
            break;
        }
    }
    p.punct(')');
    p.punct(';');
    assert_eq!(p.peek(), None, "trailing tokens");
    // The reference's rules beyond the syntax.
    assert!(out.brokers.is_some() != out.default.is_some(), "exactly one of BROKERS or AWS PRIVATELINK: {sql}");
    assert!(out.rules.is_empty() || out.brokers.is_some(), "MATCHING needs a static broker: {sql}");
    for r in &out.rules {
        let inner = r.literal.trim_start_matches('*');
        let inner = inner.strip_suffix('*').unwrap_or(inner);
        assert!(!inner.contains('*'), "a pattern may begin and end with * only: {}", r.literal);
    }
    let all = out.brokers.iter().flatten().chain(&out.rules);
    for e in all {
        assert!(
            out.privatelinks.iter().any(|(n, _)| *n == e.connection),
            "{} is a PrivateLink connection",
            e.connection
        );
        if let Some(z) = &e.zone {
            assert!(out.zones.contains(z), "zone {z} is one of the connection's AVAILABILITY ZONES");
        }
    }
    out
}

/// The endpoint service a static entry of `address` reaches.
fn service_of(p: &Parsed, address: &str) -> Option<String> {
    let entry = p.brokers.iter().flatten().find(|e| e.literal == address)?;
    p.privatelinks.iter().find(|(n, _)| *n == entry.connection).map(|(_, s)| s.clone())
}

/// Where Materialize sends a broker's advertised address, by its docs: a
/// static entry of that address; else the first MATCHING rule; in the
/// default form, the endpoint on the address's own port. The port is the
/// entry's `PORT`, else the advertised one.
fn route(p: &Parsed, address: &str) -> Option<(u16, Option<String>)> {
    let advertised: u16 = address.rsplit(':').next()?.parse().ok()?;
    if p.default.is_some() {
        return Some((advertised, None));
    }
    let entry = p.brokers.iter().flatten().find(|e| e.literal == address);
    let entry = entry.or_else(|| p.rules.iter().find(|r| pattern_matches(&r.literal, address)))?;
    Some((entry.port.unwrap_or(advertised), entry.zone.clone()))
}

// ---------------------------------------------------------------------------

fn config(template: Option<&str>) -> ListenerConfig {
    ListenerConfig {
        template: template.map(|t| HostTemplate::parse(t).expect("template")),
        unique_name: Some("abc".into()),
        listener_name: "EXTERNAL".into(),
        bind_port: 39092,
        security_protocol: SecurityProtocol::Plaintext,
    }
}

/// Brokers 1, 2, 4 and 10 (gaps and two digits), in three zones.
fn brokers() -> Vec<Broker> {
    [(1, "use1-az1", 9001), (2, "use1-az2", 9002), (4, "use1-az4", 9003), (10, "use1-az1", 9004)]
        .into_iter()
        .map(|(id, az, port)| Broker {
            id: BrokerId::new(id),
            az_id: az.into(),
            listener_port: port,
            host: Some(format!("b-{id}.orders.kafka.us-east-1.amazonaws.com")),
            port: Some(9096),
        })
        .collect()
}

const TEMPLATES: [Option<&str>; 4] = [
    None,
    Some("b{broker_id}.{az_id}.kpl.example.com"),
    Some("kafka-{az_id}-{broker_id}.example.com"),
    Some("b{broker_id}.{az_id}.{unique_name}.aws.plc.tidbcloud.com"),
];

fn conn() -> MaterializeConnection {
    MaterializeConnection {
        privatelinks: vec![PrivateLink {
            name: "privatelink_svc".into(),
            service_name: "com.amazonaws.vpce.us-east-1.vpce-svc-0e123abc123198abc".into(),
        }],
        cross_region: false,
        kafka_name: "kafka_connection".into(),
    }
}

#[test]
fn every_valid_form_reaches_every_broker_on_its_port_in_its_zone() {
    let mut checked = 0;
    let mut valid: BTreeMap<&str, usize> = BTreeMap::new();
    for template in TEMPLATES {
        let cfg = config(template);
        let eps = endpoints(&cfg, &brokers()).expect("endpoints");
        for cross_region in [false, true] {
            for form in [MaterializeForm::Brokers, MaterializeForm::Matching, MaterializeForm::Default] {
                let w = Wiring {
                    template: cfg.template.as_ref(),
                    unique_name: "abc",
                    cross_region,
                    cross_zone: cross_region,
                    bootstrap_port: Some(9000),
                    connections: &ONE,
                };
                let Ok(m) = materialize(form, &eps, w) else { continue };
                *valid.entry(form.as_str()).or_default() += 1;
                let sql =
                    materialize_sql(&MaterializeConnection { cross_region, ..conn() }, &m, SecurityProtocol::SaslSsl);
                let parsed = parse_materialize(&sql);
                assert_eq!(parsed.protocol.as_deref(), Some("SASL_SSL"));
                assert_eq!(parsed.zones.is_empty(), cross_region, "{sql}");
                for e in &eps {
                    let address = format!("{}:{}", e.advertised_host, e.advertised_port);
                    let (port, zone) = route(&parsed, &address).unwrap_or_else(|| panic!("{address} unrouted:\n{sql}"));
                    assert_eq!(port, e.listener_port, "{address} in {form:?}:\n{sql}");
                    match zone {
                        Some(z) => assert_eq!(z, e.az_id, "{address}:\n{sql}"),
                        None => assert!(cross_region || w.cross_zone, "a zone-less route needs cross-zone:\n{sql}"),
                    }
                    checked += 1;
                }
            }
        }
    }
    // brokers: every template and region (8); matching: the three templates
    // with a zone, both ways (6); default: those, with cross-zone (3).
    assert_eq!(valid, BTreeMap::from([("brokers", 8), ("default", 3), ("matching", 6)]), "forms that were routed");
    assert_eq!(checked, (8 + 6 + 3) * brokers().len());
}

#[test]
fn the_structured_lists_are_what_the_sql_says() {
    let cfg = config(Some("b{broker_id}.{az_id}.kpl.example.com"));
    let eps = endpoints(&cfg, &brokers()).unwrap();
    let w = Wiring {
        template: cfg.template.as_ref(),
        unique_name: "",
        cross_region: false,
        cross_zone: false,
        bootstrap_port: None,
        connections: &ONE,
    };
    let m = materialize(MaterializeForm::Brokers, &eps, w).unwrap();
    let ids: Vec<&str> = m.brokers.iter().map(|b| b.broker.split('.').next().unwrap_or_default()).collect();
    assert_eq!(ids, ["b1", "b2", "b4", "b10"], "sorted by numeric id, not as text");
    assert_eq!(m.availability_zones, ["use1-az1", "use1-az2", "use1-az4"]);
    let m = materialize(MaterializeForm::Matching, &eps, w).unwrap();
    assert_eq!(
        m.rules.iter().map(|r| (r.pattern.as_str(), r.availability_zone.as_deref())).collect::<Vec<_>>(),
        [
            ("*.use1-az1.kpl.example.com:*", Some("use1-az1")),
            ("*.use1-az2.kpl.example.com:*", Some("use1-az2")),
            ("*.use1-az4.kpl.example.com:*", Some("use1-az4")),
        ]
    );
    assert!(m.rules.iter().all(|r| r.target_group_port.is_none()));
    assert_eq!(
        m.brokers,
        [MaterializeBroker {
            privatelink: None,
            broker: "b1.use1-az1.kpl.example.com:9001".into(),
            target_group_port: Some(9001),
            availability_zone: Some("use1-az1".into()),
        }]
    );
    // Materialize's provider validates patterns with ^\*?[^*]*\*?$.
    assert!(m.rules.iter().all(|r| !r.pattern.trim_start_matches('*').trim_end_matches('*').contains('*')));
}

/// Brokers advertising their own hosts, a bootstrap port on 9000, in one
/// region, through `connections`.
fn hosts_wiring(connections: &BTreeMap<BrokerId, String>) -> Wiring<'_> {
    Wiring {
        template: None,
        unique_name: "",
        cross_region: false,
        cross_zone: false,
        bootstrap_port: Some(9000),
        connections,
    }
}

#[test]
fn a_form_that_cannot_reach_every_broker_says_why() {
    let host = config(None);
    let eps = endpoints(&host, &brokers()).unwrap();
    let w = hosts_wiring(&ONE);
    assert_eq!(materialize(MaterializeForm::Matching, &eps, w), Err(FormError::NeedsTemplate("matching")));
    assert_eq!(materialize(MaterializeForm::Default, &eps, w), Err(FormError::NeedsTemplate("default")));

    let zoneless = config(Some("kafka-{broker_id}.example.com"));
    let eps = endpoints(&zoneless, &brokers()).unwrap();
    let w = Wiring { template: zoneless.template.as_ref(), ..w };
    assert_eq!(materialize(MaterializeForm::Matching, &eps, w), Err(FormError::NoZoneInTemplate));

    let zoned = config(Some("b{broker_id}.{az_id}.kpl.example.com"));
    let eps = endpoints(&zoned, &brokers()).unwrap();
    let w = Wiring { template: zoned.template.as_ref(), ..w };
    let err = materialize(MaterializeForm::Default, &eps, w).unwrap_err();
    assert_eq!(err, FormError::NeedsCrossZone(vec!["use1-az1".into(), "use1-az2".into(), "use1-az4".into()]));
    assert!(err.to_string().contains("cross_zone_load_balancing = true"), "{err}");
    assert_eq!(
        materialize(MaterializeForm::Default, &eps, Wiring { bootstrap_port: None, ..w }),
        Err(FormError::NeedsBootstrap)
    );
    let one_zone: Vec<BrokerEndpoint> = eps.iter().filter(|e| e.az_id == "use1-az1").cloned().collect();
    assert!(materialize(MaterializeForm::Default, &one_zone, w).is_ok(), "one zone needs no cross-zone balancing");
}

#[test]
fn a_zone_id_inside_another_is_caught_by_the_routing_check() {
    // "use1-az1" is a suffix of "xuse1-az1"? Not an id; but a template with
    // the zone in the middle of a label can make one zone's rule match
    // another's names: "*-use1-az1.example.com:*" also matches
    // "b1-zuse1-az1…". Such a template is refused, naming the broker.
    let t = HostTemplate::parse("b{broker_id}-{az_id}.example.com").unwrap();
    let mk = |id: u32, az: &str| BrokerEndpoint {
        id: BrokerId::new(id),
        az_id: az.into(),
        listener_port: 9000 + id as u16,
        advertised_host: t.fill(&id.to_string(), az, ""),
        advertised_port: 9000 + id as u16,
        advertised_listener: String::new(),
        server_properties: String::new(),
    };
    let eps = [mk(1, "usw2-az1"), mk(2, "usw2-lax1-az1")];
    let w = Wiring {
        template: Some(&t),
        unique_name: "",
        cross_region: false,
        cross_zone: false,
        bootstrap_port: None,
        connections: &ONE,
    };
    // "*-usw2-az1.example.com:*" does not match "b2-usw2-lax1-az1…", so this pair routes well…
    assert!(materialize(MaterializeForm::Matching, &eps, w).is_ok());
    // …while "*-az1.example.com"-style overlaps would be refused.
    let t2 = HostTemplate::parse("{az_id}{broker_id}.example.com").unwrap();
    let mk2 = |id: u32, az: &str| BrokerEndpoint { advertised_host: t2.fill(&id.to_string(), az, ""), ..mk(id, az) };
    let eps = [mk2(1, "usw2-az1"), mk2(11, "usw2-az1"), mk2(2, "usw2-az12")];
    let w = Wiring { template: Some(&t2), ..w };
    let err = materialize(MaterializeForm::Matching, &eps, w).unwrap_err();
    assert!(matches!(err, FormError::Misrouted { .. }), "{err:?}");
}

#[test]
fn matching_follows_materialize_s_wildcards() {
    assert!(pattern_matches("*.use1-az1.example.com:*", "b1.use1-az1.example.com:9001"));
    assert!(!pattern_matches("*.use1-az1.example.com", "b1.use1-az1.example.com:9001"), "the port is matched too");
    assert!(pattern_matches("kafka-use1-az1-*", "kafka-use1-az1-3.example.com:9003"));
    assert!(pattern_matches("exact:1", "exact:1") && !pattern_matches("exact:1", "exact:12"));
}

#[test]
fn risingwave_targets_follow_bootstrap_servers() {
    for template in TEMPLATES {
        let eps = endpoints(&config(template), &brokers()).unwrap();
        let targets: serde_json::Value = serde_json::from_str(&risingwave_targets(&eps)).expect("JSON");
        let targets = targets.as_array().expect("an array, as RisingWave's docs show it");
        let servers: Vec<String> =
            crate::domain::listeners::bootstrap_servers(&eps).split(',').map(str::to_owned).collect();
        assert!(!targets.is_empty());
        assert_eq!(targets.len(), servers.len(), "one target per bootstrap server");
        for ((t, server), e) in targets.iter().zip(&servers).zip(&eps) {
            let object = t.as_object().expect("an object");
            assert_eq!(object.keys().collect::<Vec<_>>(), ["port"], "only the port, as documented");
            assert_eq!(t["port"], e.listener_port, "{server}");
            assert!(server.starts_with(&e.advertised_host), "same order: {server}");
        }
    }
}

/// ClickPipes custom private DNS: exact names or one-label wildcards, not
/// under a reserved suffix (ClickHouse docs, "Custom private DNS").
fn clickpipes_name_ok(name: &str) -> bool {
    let host = name.strip_prefix("*.").unwrap_or(name);
    let reserved = ["local", "localhost", "internal", "corp", "private"];
    !host.contains('*')
        && validate::check_host(host).is_ok()
        && host.contains('.')
        && !reserved.contains(&host.rsplit('.').next().unwrap_or(""))
}

#[test]
fn dns_names_and_wildcards_cover_every_broker() {
    let eps = endpoints(&config(None), &brokers()).unwrap();
    assert_eq!(dns_names(&eps, false), None, "in host mode brokers share ports: names cannot route them");
    for template in &TEMPLATES[1..] {
        let eps = endpoints(&config(*template), &brokers()).unwrap();
        let names = dns_names(&eps, true).expect("template mode");
        assert_eq!(names.len(), eps.len());
        let wildcards = dns_wildcards(&names);
        for n in names.iter().chain(&wildcards) {
            assert!(clickpipes_name_ok(n), "{n}");
        }
        for n in &names {
            let parent = n.split_once('.').map(|(_, p)| p).unwrap_or_default();
            let covered = wildcards.iter().any(|w| w[2..] == *parent);
            // A whole domain never gets a wildcard: it would take every name under it.
            assert_eq!(covered, parent.matches('.').count() >= 2, "{n} and {wildcards:?}");
        }
    }
    let names = dns_names(&endpoints(&config(Some("b{broker_id}.{az_id}.kpl.example.com")), &brokers()).unwrap(), true)
        .unwrap();
    assert_eq!(
        dns_wildcards(&names),
        ["*.use1-az1.kpl.example.com", "*.use1-az2.kpl.example.com", "*.use1-az4.kpl.example.com"]
    );
    let flat = config(Some("kafka-{az_id}-{broker_id}.example.com"));
    let flat = dns_names(&endpoints(&flat, &brokers()).unwrap(), true).unwrap();
    assert!(dns_wildcards(&flat).is_empty(), "never *.example.com: {flat:?}");
}

#[test]
fn tidb_cloud_console_patterns_become_templates_for_every_family() {
    // As TiDB Cloud's guides show them: Dedicated (changefeed private
    // endpoint guide), Essential (private link connection guide), and a
    // custom domain of the same shape.
    let lines = [
        (
            "usw2-az1 => <broker_id>.usw2-az1.abc.us-west-2.aws.3199015.tidbcloud.com:<port>",
            "abc.us-west-2.aws.3199015.tidbcloud.com",
        ),
        (
            "<broker_id>.usw2-az2.dvs6nl5jgveztmla3pxkxgh76i.aws.plc.tidbcloud.com:<port>",
            "dvs6nl5jgveztmla3pxkxgh76i.aws.plc.tidbcloud.com",
        ),
        ("<broker_id>.use1-az4.kafka.example.com:<port>", "kafka.example.com"),
    ];
    let mut by_zone = BTreeMap::new();
    for (line, domain) in lines {
        let template = tidbcloud_template(line).expect("a pattern TiDB Cloud shows");
        assert_eq!(template, format!("b{{broker_id}}.{{az_id}}.{domain}"));
        let t = HostTemplate::parse(&template).unwrap();
        let zone = line.rsplit("=>").next().unwrap().trim().split('.').nth(1).unwrap().to_owned();
        // The broker's name matches the console's pattern, `<broker_id>` being
        // "b" and the node id, `<port>` its listener port.
        let name = format!("{}:9003", t.fill("3", &zone, ""));
        let pattern = line.rsplit("=>").next().unwrap().trim();
        let (head, tail) = pattern.split_once("<broker_id>").unwrap();
        let tail = tail.strip_suffix("<port>").unwrap();
        assert!(
            head.is_empty() && name.starts_with("b3") && name[2..].starts_with(tail) && name.ends_with(":9003"),
            "{name} ~ {pattern}"
        );
        by_zone.insert(zone, template);
    }
    assert_eq!(by_zone.len(), 3);
    for bad in [
        "b1.usw2-az1.abc.tidbcloud.com:9092",
        "<broker_id>.us-west-2a.abc.tidbcloud.com:<port>",
        "<broker_id>.usw2-az1.unique_name.aws.plc.tidbcloud.com:<port>",
        "<broker_id>.usw2-az1.abc.tidbcloud.com",
    ] {
        assert!(tidbcloud_template(bad).is_err(), "{bad}");
    }
}

#[test]
fn sql_quotes_are_escaped() {
    assert_eq!(quote("it's"), "'it''s'");
    let parsed = tokenize(&quote("it's"));
    assert_eq!(parsed, [Token::Str("it's".into())], "the grammar's reading of our quoting");
}

/// Brokers behind one endpoint service each (the per-broker layout that
/// ClickHouse's MSK module and AWS's cross-account sample build), or two
/// and two: one `CREATE CONNECTION … TO AWS PRIVATELINK`
/// per service, and every broker's static entry names its own service's
/// connection, on its own port and zone. The forms that take one
/// connection are refused.
#[test]
fn several_services_give_a_connection_each_and_every_broker_its_own() {
    let cfg = config(None);
    let host = |id: u32| format!("b-{id}.orders.kafka.us-east-1.amazonaws.com");
    let eps = endpoints(
        &cfg,
        &brokers()
            .into_iter()
            .map(|b| Broker { host: Some(host(b.id.get())), port: Some(9098), ..b })
            .collect::<Vec<_>>(),
    )
    .expect("endpoints");
    let svc = |n: u32| format!("com.amazonaws.vpce.us-east-1.vpce-svc-{n:017}");
    /// A layout: its name, and the service number of each broker id.
    type Layout = (&'static str, fn(u32) -> u32);
    let layouts: [Layout; 2] = [("one a broker", |id| id), ("two and two", |id| u32::from(id > 2))];
    for (layout, service_of_broker) in layouts {
        let services: BTreeMap<BrokerId, String> =
            eps.iter().map(|e| (e.id, svc(service_of_broker(e.id.get())))).collect();
        let (links, connections) = privatelinks("privatelink_svc", &services);
        let distinct = services.values().collect::<std::collections::BTreeSet<_>>().len();
        assert!(distinct > 1 && links.len() == distinct, "{layout}");
        let w = hosts_wiring(&connections);
        let m = materialize(MaterializeForm::Brokers, &eps, w).expect(layout);
        let conn = MaterializeConnection { privatelinks: links.clone(), ..conn() };
        let sql = materialize_sql(&conn, &m, SecurityProtocol::SaslSsl);
        let parsed = parse_materialize(&sql);
        assert_eq!(parsed.privatelinks.len(), distinct, "{sql}");
        assert!(!eps.is_empty());
        for e in &eps {
            let address = format!("{}:{}", e.advertised_host, e.advertised_port);
            assert_eq!(service_of(&parsed, &address), Some(services[&e.id].clone()), "{address}:\n{sql}");
            let (port, zone) = route(&parsed, &address).expect("routed");
            assert_eq!((port, zone.as_deref()), (e.listener_port, Some(e.az_id.as_str())), "{address}:\n{sql}");
        }
        // the lowest broker's service keeps the name; the others are named
        // after the lowest broker behind each, a name that stays while it does
        let names: Vec<&str> = links.iter().map(|l| l.name.as_str()).collect();
        let expected: &[&str] = if distinct == 4 {
            &["privatelink_svc", "privatelink_svc_b2", "privatelink_svc_b4", "privatelink_svc_b10"]
        } else {
            &["privatelink_svc", "privatelink_svc_b4"]
        };
        assert_eq!(names, expected, "{layout}");
        for form in [MaterializeForm::Matching, MaterializeForm::Default] {
            let err = materialize(form, &eps, w).expect_err("one connection cannot reach them");
            assert_eq!(err, FormError::SeveralServices(form.as_str(), distinct), "{layout}");
        }
    }
    let one: BTreeMap<BrokerId, String> = eps.iter().map(|e| (e.id, svc(1))).collect();
    let (links, _) = privatelinks("privatelink_svc", &one);
    assert_eq!(
        links,
        [PrivateLink { name: "privatelink_svc".into(), service_name: svc(1) }],
        "one service keeps its name"
    );
}
