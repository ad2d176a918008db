//! `make bench`: speed and memory figures for the hot paths of a plan —
//! decoding and encoding values, the port assignment, and the whole
//! `kafka_advertised_listeners` read — at the largest size an NLB allows
//! (50 brokers). Prints time and heap bytes allocated per operation.

// A scenario reads best in one piece: the function-length lint is for src.
#![allow(clippy::too_many_lines)]
// Tests and benches time external processes (Terraform, moto) by the wall
// clock: std's Instant is right here, unlike in src (clippy.toml).
#![allow(clippy::disallowed_types)]
// The one `unsafe` of the project: a global allocator that counts bytes
// and hands every call on to the system's, under the same contract (each
// use says so in its SAFETY comment).
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use terraform_provider_kafka::domain::ports::{BrokerId, PortRequest, Reserved, assign_ports};
use terraform_provider_kafka::resources::KafkaProvider;
use terraform_provider_kafka::server::api::provider::{Context, Provider};
use terraform_provider_kafka::server::api::value::{Value, decode_msgpack, encode_msgpack};

/// Counts bytes allocated, to report memory per operation.
struct Counting;
static ALLOCATED: AtomicU64 = AtomicU64::new(0);

// SAFETY: every method forwards to the system allocator unchanged, with the
// caller's layout; the counter has no effect on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn bench<T>(name: &str, iterations: u32, mut f: impl FnMut() -> T) {
    for _ in 0..iterations / 10 {
        black_box(f());
    }
    let bytes_before = ALLOCATED.load(Ordering::Relaxed);
    let start = Instant::now();
    for _ in 0..iterations {
        black_box(f());
    }
    let elapsed = start.elapsed();
    let bytes = ALLOCATED.load(Ordering::Relaxed) - bytes_before;
    println!(
        "{name:<48} {:>10.1} µs/op {:>10} bytes allocated/op",
        elapsed.as_secs_f64() * 1e6 / f64::from(iterations),
        bytes / u64::from(iterations)
    );
}

fn config(brokers: u32) -> Value {
    let brokers: BTreeMap<String, Value> = (1..=brokers)
        .map(|i| {
            let az = format!("use1-az{}", i % 3 + 1);
            let b = BTreeMap::from([
                ("availability_zone_id".to_owned(), Value::from(az)),
                ("host".to_owned(), Value::from(format!("b-{i}.kafka.internal"))),
                ("port".to_owned(), Value::from(9096)),
            ]);
            (i.to_string(), Value::Object(b))
        })
        .collect();
    Value::Object(BTreeMap::from([
        ("brokers".to_owned(), Value::Map(brokers)),
        ("endpoint_service_name".to_owned(), Value::from("com.amazonaws.vpce.us-east-1.vpce-svc-0e123abc123198abc")),
    ]))
}

fn main() {
    let provider = KafkaProvider::new("bench");
    let ds = provider.data_sources().remove(0);
    let ty = ds.schema().value_type();
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");

    println!("kafka_advertised_listeners with 50 brokers (the NLB listener quota)\n");
    let cfg = config(50).conform(&ty).expect("config fits the schema");
    let wire = encode_msgpack(&cfg, &ty).expect("encode");
    println!("config: {} bytes of MessagePack", wire.len());
    let state = runtime.block_on(ds.read(&Context::default(), cfg.clone())).expect("read");
    let state_wire = encode_msgpack(&state, &ty).expect("encode");
    println!("state:  {} bytes of MessagePack\n", state_wire.len());

    bench("decode config (msgpack → value)", 20_000, || decode_msgpack(&wire, &ty));
    bench("encode state (value → msgpack)", 20_000, || encode_msgpack(&state, &ty));
    bench("validate config", 20_000, || ds.validate(&cfg));
    let requests: BTreeMap<BrokerId, PortRequest> =
        (1..=50).map(|i| (BrokerId::new(i), PortRequest::default())).collect();
    bench("assign ports (50 brokers)", 50_000, || assign_ports(&requests, 9001, Reserved::default()));
    bench("read data source (validate + compute + SQL)", 5_000, || {
        runtime.block_on(ds.read(&Context::default(), cfg.clone()))
    });
}
