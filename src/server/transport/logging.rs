//! Logging in go-hclog's JSON line format on stderr. go-plugin, inside
//! Terraform, parses these lines and re-logs them at their own level, so
//! `TF_LOG=debug` (or `TF_LOG_PROVIDER`) shows them like a Go provider's.
//! Only this crate's events pass below WARN: dependencies stay quiet.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

const OWN_TARGET: &str = "terraform_provider_kafka";

/// Installs the stderr logger, at the level `TF_LOG_PROVIDER` or `TF_LOG`
/// asks for (nothing when neither is set, as Terraform then discards it).
pub fn init() {
    let level = level_from_env(|k| std::env::var(k).ok());
    if let Some(level) = level {
        let _ = tracing_subscriber::registry().with(HclogLayer { level }).try_init();
    }
}

/// The most verbose level to emit, from Terraform's log variables.
pub fn level_from_env(get: impl Fn(&str) -> Option<String>) -> Option<Level> {
    let raw = get("TF_LOG_PROVIDER").filter(|v| !v.is_empty()).or_else(|| get("TF_LOG"))?;
    match raw.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => Some(Level::TRACE),
        "DEBUG" => Some(Level::DEBUG),
        "INFO" => Some(Level::INFO),
        "WARN" => Some(Level::WARN),
        "ERROR" => Some(Level::ERROR),
        // "OFF", "" and anything unrecognised
        _ => None,
    }
}

struct HclogLayer {
    level: Level,
}

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn enabled(&self, meta: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        let own = meta.target().starts_with(OWN_TARGET);
        let limit = if own { self.level } else { Level::WARN.min(self.level) };
        *meta.level() <= limit
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let line = render(event.metadata().level(), event, SystemTime::now());
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(line.as_bytes());
    }
}

fn render(level: &Level, event: &Event<'_>, now: SystemTime) -> String {
    let mut fields = serde_json::Map::new();
    fields.insert("@level".into(), hclog_level(level).into());
    fields.insert("@module".into(), "kafka".into());
    fields.insert("@timestamp".into(), rfc3339_micros(now).into());
    let mut visitor = Fields(&mut fields);
    event.record(&mut visitor);
    let mut line = serde_json::Value::Object(fields).to_string();
    line.push('\n');
    line
}

fn hclog_level(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

struct Fields<'a>(&'a mut serde_json::Map<String, serde_json::Value>);

impl Fields<'_> {
    fn put(&mut self, field: &Field, value: serde_json::Value) {
        let key = if field.name() == "message" { "@message" } else { field.name() };
        self.0.insert(key.to_owned(), value);
    }
}

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut s = String::new();
        let _ = write!(s, "{value:?}");
        self.put(field, s.into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }
}

/// `2006-01-02T15:04:05.000000Z`, as go-hclog writes it.
fn rfc3339_micros(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, day) = civil_from_days(days as i64);
    format!("{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z", rem / 3600, rem % 3600 / 60, rem % 60, d.subsec_micros())
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn timestamps() {
        let t = UNIX_EPOCH + Duration::from_micros(1_795_301_680_123_456);
        assert_eq!(rfc3339_micros(t), "2026-11-21T22:54:40.123456Z");
        assert_eq!(rfc3339_micros(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert!(rfc3339_micros(leap).starts_with("2000-02-29T"));
    }

    #[test]
    fn provider_variable_wins_over_tf_log() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned())
        };
        assert_eq!(level_from_env(env(&[("TF_LOG", "debug")])), Some(Level::DEBUG));
        assert_eq!(level_from_env(env(&[("TF_LOG", "debug"), ("TF_LOG_PROVIDER", "ERROR")])), Some(Level::ERROR));
        assert_eq!(level_from_env(env(&[("TF_LOG", "json")])), Some(Level::TRACE));
        assert_eq!(level_from_env(env(&[("TF_LOG", "off")])), None);
        assert_eq!(level_from_env(env(&[])), None);
    }

    #[test]
    fn events_render_as_hclog_json() {
        use std::sync::{Arc, Mutex};
        struct Capture(Arc<Mutex<Vec<String>>>);
        impl<S: Subscriber> Layer<S> for Capture {
            fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
                let line = render(event.metadata().level(), event, UNIX_EPOCH);
                self.0.lock().unwrap().push(line);
            }
        }
        let lines = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Capture(lines.clone()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(calls = 7, arn = "arn:x", "refreshed");
        });
        let line = lines.lock().unwrap()[0].clone();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["@level"], "info");
        assert_eq!(v["@message"], "refreshed");
        assert_eq!(v["@module"], "kafka");
        assert_eq!(v["calls"], 7);
        assert_eq!(v["arn"], "arn:x");
        assert_eq!(v["@timestamp"], "1970-01-01T00:00:00.000000Z");
    }
}
