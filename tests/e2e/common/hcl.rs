//! Test configurations built as data and written as HCL, so a test says
//! what it changes ("add a timeouts block", "set max_retries") instead of
//! pasting strings into strings. Values are HCL expressions: [`s`] quotes
//! a string, [`list`] and [`object`] nest; anything else (numbers, `true`,
//! references such as `kafka_privatelink.k.id`) is written as it is.

use std::fmt::{self, Display, Write as _};

use super::aws::Network;

/// A quoted HCL string.
pub fn s(v: impl Display) -> String {
    let text = v.to_string();
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
        // `${` and `%{` would start a template
        .replace("${", "$${")
        .replace("%{", "%%{");
    format!("\"{escaped}\"")
}

/// `[a, b]`.
pub fn list<I: IntoIterator<Item = T>, T: Display>(items: I) -> String {
    let items: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    format!("[{}]", items.join(", "))
}

/// `{ key = value, … }` on one line; keys are quoted, so map keys such as
/// broker ids (`"1"`) work as well as attribute names.
pub fn object<I, K, V>(pairs: I) -> String
where
    I: IntoIterator<Item = (K, V)>,
    K: Display,
    V: Display,
{
    let pairs: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{} = {v}", s(k))).collect();
    if pairs.is_empty() { "{}".to_owned() } else { format!("{{ {} }}", pairs.join(", ")) }
}

#[derive(Debug, Clone)]
enum Item {
    Attribute(String, String),
    /// A map written one entry a line: `name = {\n "k" = v\n}`.
    Map(String, Vec<(String, String)>),
    Block(Block),
}

/// One HCL block: `kind "label" … { body }`.
#[derive(Debug, Clone)]
pub struct Block {
    kind: String,
    labels: Vec<String>,
    body: Vec<Item>,
}

impl Block {
    pub fn new(kind: &str) -> Self {
        Block { kind: kind.to_owned(), labels: Vec::new(), body: Vec::new() }
    }

    pub fn resource(ty: &str, name: &str) -> Self {
        Block { labels: vec![ty.to_owned(), name.to_owned()], ..Block::new("resource") }
    }

    pub fn data(ty: &str, name: &str) -> Self {
        Block { labels: vec![ty.to_owned(), name.to_owned()], ..Block::new("data") }
    }

    pub fn labeled(kind: &str, label: &str) -> Self {
        Block { labels: vec![label.to_owned()], ..Block::new(kind) }
    }

    /// The same block under other labels (`resource "ty" "name"`).
    pub fn rename(mut self, ty: &str, name: &str) -> Self {
        self.labels = vec![ty.to_owned(), name.to_owned()];
        self
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.body.iter().position(|i| matches!(i, Item::Attribute(k, _) | Item::Map(k, _) if k == key))
    }

    /// Sets `key = expr`, in place if the attribute is there already.
    pub fn set(mut self, key: &str, expr: impl Display) -> Self {
        let item = Item::Attribute(key.to_owned(), expr.to_string());
        match self.position(key) {
            Some(i) => self.body[i] = item,
            None => self.body.push(item),
        }
        self
    }

    /// Sets `key = "value"`.
    pub fn str(self, key: &str, value: impl Display) -> Self {
        self.set(key, s(value))
    }

    /// Sets a map attribute written one entry a line, keys quoted.
    pub fn map<I, K, V>(mut self, key: &str, entries: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Display,
        V: Display,
    {
        let entries = entries.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let item = Item::Map(key.to_owned(), entries);
        match self.position(key) {
            Some(i) => self.body[i] = item,
            None => self.body.push(item),
        }
        self
    }

    /// Sets `key` when `value` is given.
    pub fn opt(self, key: &str, value: Option<impl Display>) -> Self {
        match value {
            Some(v) => self.set(key, v),
            None => self,
        }
    }

    /// Removes an attribute.
    pub fn unset(mut self, key: &str) -> Self {
        if let Some(i) = self.position(key) {
            self.body.remove(i);
        }
        self
    }

    /// Appends a nested block.
    pub fn block(mut self, b: Block) -> Self {
        self.body.push(Item::Block(b));
        self
    }

    /// Changes the first nested block of `kind` (appending an empty one
    /// first if there is none).
    pub fn edit(mut self, kind: &str, f: impl FnOnce(Block) -> Block) -> Self {
        let at = self.body.iter().position(|i| matches!(i, Item::Block(b) if b.kind == kind));
        let i = at.unwrap_or_else(|| {
            self.body.push(Item::Block(Block::new(kind)));
            self.body.len() - 1
        });
        if let Item::Block(b) = &mut self.body[i] {
            *b = f(b.clone());
        }
        self
    }

    fn write(&self, out: &mut String, depth: usize) {
        let pad = "  ".repeat(depth);
        let labels: String = self.labels.iter().map(|l| format!(" {}", s(l))).collect();
        let _ = writeln!(out, "{pad}{}{labels} {{", self.kind);
        for item in &self.body {
            match item {
                Item::Attribute(k, v) => {
                    let _ = writeln!(out, "{pad}  {k} = {v}");
                }
                Item::Map(k, entries) => {
                    let _ = writeln!(out, "{pad}  {k} = {{");
                    for (key, v) in entries {
                        let _ = writeln!(out, "{pad}    {} = {v}", s(key));
                    }
                    let _ = writeln!(out, "{pad}  }}");
                }
                Item::Block(b) => b.write(out, depth + 1),
            }
        }
        let _ = writeln!(out, "{pad}}}");
    }
}

impl Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write(&mut out, 0);
        f.write_str(&out)
    }
}

/// A whole configuration: the provider requirement, the `kafka` provider
/// block, then the blocks in order.
#[derive(Debug, Clone)]
pub struct Config {
    provider: Block,
    blocks: Vec<Block>,
}

impl Config {
    /// `provider "kafka" {}` and nothing else yet.
    pub fn new() -> Self {
        Config { provider: Block::labeled("provider", "kafka"), blocks: Vec::new() }
    }

    /// Changes the `provider "kafka"` block.
    pub fn provider(mut self, f: impl FnOnce(Block) -> Block) -> Self {
        self.provider = f(self.provider);
        self
    }

    pub fn with(mut self, b: Block) -> Self {
        self.blocks.push(b);
        self
    }

    /// Changes the block with these labels (`["kafka_privatelink", "k"]`).
    pub fn edit(mut self, labels: [&str; 2], f: impl FnOnce(Block) -> Block) -> Self {
        let i = self
            .blocks
            .iter()
            .position(|b| b.labels == labels)
            .unwrap_or_else(|| panic!("no block {labels:?} in the configuration"));
        self.blocks[i] = f(self.blocks[i].clone());
        self
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}

impl Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "terraform {\n  required_providers {\n    kafka = { source = \"kafka-privatelink/kafka\" }\n  }\n}\n\n",
        )?;
        write!(f, "{}", self.provider)?;
        for b in &self.blocks {
            write!(f, "\n{b}")?;
        }
        Ok(())
    }
}

/// `subnet_ids` for these subnets.
pub fn subnet_ids(subnets: &[super::aws::Subnet]) -> String {
    list(subnets.iter().map(|sub| s(&sub.id)))
}

/// The address of broker `id` in a test network: in subnet `id % 3`, host
/// `10 + id`.
pub fn broker_ip(net: &Network, id: u32) -> String {
    format!("{}.{}", net.subnets[id as usize % 3].prefix, 10 + id)
}

/// The `kafka_privatelink "k"` most tests start from: `name`, the
/// network's VPC and subnets, brokers `ids` by [`broker_ip`], and an
/// endpoint service allowing one account.
pub fn privatelink(name: &str, net: &Network, ids: impl IntoIterator<Item = u32>) -> Block {
    Block::resource("kafka_privatelink", "k")
        .str("name", name)
        .str("vpc_id", &net.vpc)
        .set("subnet_ids", subnet_ids(&net.subnets))
        .map("brokers", ids.into_iter().map(|id| (id, object([("ip", s(broker_ip(net, id)))]))))
        .block(Block::new("endpoint_service").set("allowed_principals", list([s(PRINCIPAL)])))
}

/// The setup the fault tests share: [`privatelink`] named `faults` with
/// brokers 1 to `n`.
pub fn faults(net: &Network, n: u32) -> Config {
    Config::new().with(privatelink("faults", net, 1..=n))
}

/// One `brokers` entry: its id and its value.
pub type Broker = (u32, String);

/// `name`'s resource over `brokers`, created in the network's subnets,
/// with an endpoint service of defaults; each test edits it.
pub fn with_brokers(net: &Network, name: &str, brokers: &[Broker]) -> Block {
    Block::resource("kafka_privatelink", "k")
        .str("name", name)
        .str("vpc_id", &net.vpc)
        .set("subnet_ids", subnet_ids(&net.subnets))
        .map("brokers", brokers.iter().cloned())
        .block(Block::new("endpoint_service"))
}

/// Broker `id` at `host` in its subnet (`id % 3`).
pub fn ip_broker(net: &Network, id: u32, host: u32) -> Broker {
    (id, object([("ip", s(format!("{}.{host}", net.subnets[id as usize % 3].prefix)))]))
}

/// The configuration of one resource.
pub fn config_of(resource: Block) -> String {
    Config::new().with(resource).to_string()
}

/// `output "name" { value = expr }`.
pub fn output(name: &str, expr: &str) -> Block {
    Block::labeled("output", name).set("value", expr)
}

/// The principal [`privatelink`] allows.
pub const PRINCIPAL: &str = "arn:aws:iam::123456789012:root";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_render_as_terraform_writes_them() {
        let b = Block::resource("kafka_privatelink", "k")
            .str("name", "a \"b\"")
            .map("brokers", [(1, object([("ip", s("10.0.1.11"))]))])
            .block(Block::new("timeouts").str("update", "15s"))
            .set("name", s("orders"))
            .edit("timeouts", |t| t.str("delete", "1m"));
        assert_eq!(
            b.to_string(),
            "resource \"kafka_privatelink\" \"k\" {\n  name = \"orders\"\n  brokers = {\n    \"1\" = { \"ip\" = \"10.0.1.11\" }\n  }\n  timeouts {\n    update = \"15s\"\n    delete = \"1m\"\n  }\n}\n"
        );
        assert_eq!(s("a\"b\\"), "\"a\\\"b\\\\\"");
        assert_eq!(s("${x}"), "\"$${x}\"");
        assert_eq!(list(Vec::<String>::new()), "[]");
        assert_eq!(b.unset("name").to_string().lines().nth(1), Some("  brokers = {"));
    }
}
