//! Access-control hot paths: building an IP list of 1,000,000 entries, a
//! lookup in it, and an in-memory rate-limit check. Run: `cargo bench --bench access`.

use criterion::{criterion_group, criterion_main, Criterion};
use ipnet::IpNet;
use rampart::access::clock::SystemClock;
use rampart::access::ip::list::IpLists;
use rampart::access::ip::prefix::EntryKind;
use rampart::access::ratelimit::{RateLimitConfig, RateLimiter};
use rampart::access::request::SimpleRequest;
use std::hint::black_box;
use std::net::{IpAddr, Ipv6Addr};

fn million() -> IpLists {
    let lists = IpLists::new(SystemClock::shared());
    lists.add_many(entries());
    lists
}

/// A million deny entries: IPv4 hosts, IPv4 /24s and IPv6 /48s.
fn entries() -> impl Iterator<Item = (IpNet, EntryKind, Option<std::time::Duration>, &'static str)>
{
    (0..1_000_000u32).map(|i| {
        let net = match i % 10 {
            0..=6 => IpNet::from(IpAddr::from((0x2000_0000u32 + i * 7).to_be_bytes())),
            7 | 8 => {
                IpNet::new(IpAddr::from((0x4000_0000u32 + (i << 8)).to_be_bytes()), 24).unwrap()
            }
            _ => IpNet::new(
                IpAddr::V6(Ipv6Addr::from(0x2001_0db8_u128 << 96 | u128::from(i) << 80)),
                48,
            )
            .unwrap(),
        };
        (net, EntryKind::Deny, None, "bench")
    })
}

fn build(c: &mut Criterion) {
    let mut g = c.benchmark_group("ip list");
    g.sample_size(10);
    g.bench_function("build, 1M entries", |b| {
        b.iter(|| {
            let lists = IpLists::new(SystemClock::shared());
            lists.add_many(entries());
            black_box(lists.len())
        })
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let lists = million();
    let mut i = 0u32;
    c.bench_function("ip list lookup, 1M entries", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            black_box(lists.lookup(IpAddr::from(i.wrapping_mul(2_654_435_761).to_be_bytes())))
        })
    });
    let cfg: Vec<RateLimitConfig> = serde_yaml::from_str(
        "[{name: per_ip, key: [ip], rate: 1000000, window: 1s, max_keys: 100000}]",
    )
    .unwrap();
    let limiter = RateLimiter::new(&cfg, SystemClock::shared()).unwrap();
    let reqs: Vec<SimpleRequest> = (0..1000u32)
        .map(|i| SimpleRequest::new(&IpAddr::from(i.to_be_bytes()).to_string()))
        .collect();
    let mut j = 0usize;
    c.bench_function("rate limit check, 1000 clients", |b| {
        b.iter(|| {
            j = (j + 1) % reqs.len();
            black_box(limiter.check(&reqs[j]))
        })
    });
}

criterion_group!(benches, bench, build);
criterion_main!(benches);
