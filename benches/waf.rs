//! WAF inspection cost with the default rule set (`filters/*.yaml`) at the
//! default policy: a typical benign GET (repeated, as a browser's requests
//! repeat their headers and names, and with every value new), a 4 KB JSON
//! POST, and a multipart upload. Run: `cargo bench --bench waf`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use rampart::waf::engine::compile::Engine;
use rampart::waf::engine::policy::Policy;
use rampart::waf::request::RequestView;
use rampart::waf::yaml;
use std::hint::black_box;
use std::net::IpAddr;

fn engine() -> Engine {
    let pattern = concat!(env!("CARGO_MANIFEST_DIR"), "/filters/*.yaml");
    Engine::compile(yaml::load_files(&[pattern]).expect("default rules load"))
}

fn browser_headers(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut h: Vec<(String, String)> = [
        ("host", "shop.example.com"),
        (
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        ),
        (
            "accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        ),
        ("accept-language", "en-GB,en;q=0.5"),
        ("accept-encoding", "gzip, deflate, br"),
        ("referer", "https://shop.example.com/catalog/shoes?page=2"),
        ("cookie", "session=9f8e7d6c5b4a; theme=dark; consent=yes"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    h.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    h
}

/// A 4 KB JSON order; `n` makes every value new (0: the repeated one).
fn json_4k(n: u64) -> Vec<u8> {
    let items: Vec<String> = (0..40)
        .map(|i| format!("{{\"sku\": \"SKU-{i:05}-{n}\", \"name\": \"Trail running shoe size {i} {n}\", \"qty\": {i}, \"note\": \"gift wrap, deliver after {n} 5pm\"}}"))
        .collect();
    format!("{{\"customer\": {{\"name\": \"Ada Lovelace {n}\", \"email\": \"ada{n}@example.com\"}}, \"items\": [{}]}}", items.join(", "))
        .into_bytes()
}

/// A 16 KB multipart upload; `n` makes the field values and file name new.
fn multipart(n: u64) -> Vec<u8> {
    let mut b = format!("--BoUnDaRy\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHoliday photos {n}\r\n--BoUnDaRy\r\nContent-Disposition: form-data; name=\"file\"; filename=\"beach-{n}.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").into_bytes();
    b.extend((0..16 * 1024u32).map(|i| (i * 7 % 251) as u8));
    b.extend_from_slice(b"\r\n--BoUnDaRy--\r\n");
    b
}

/// A request kind with a body: name, path, Content-Type, body maker.
type BodyKind = (&'static str, &'static str, &'static str, fn(u64) -> Vec<u8>);

/// A 1 KB account-settings form; `n` makes every value new.
fn form_1k(n: u64) -> Vec<u8> {
    let mut fields = vec![
        format!("name=Ada+Lovelace+{n}"),
        format!("email=ada{n}%40example.com"),
        format!("phone=%2B44+20+7946+{:04}", n % 10000),
        format!("address=12+Analytical+Row+{n}%2C+London"),
        format!("bio=I+like+engines+and+numbers+{n}"),
    ];
    for i in 0..20 {
        fields.push(format!("pref{i}=on{}", n + i));
    }
    fields.join("&").into_bytes()
}

fn bench(c: &mut Criterion) {
    let engine = engine();
    let policy = Policy::default();
    let ip: IpAddr = "203.0.113.7".parse().unwrap();
    let get = browser_headers(&[]);
    c.bench_function("benign GET", |b| {
        b.iter(|| {
            let v = RequestView::new(
                "GET",
                "/catalog/shoes?color=blue&size=42&sort=price_asc",
                &get,
                None,
                ip,
            );
            black_box(engine.evaluate(&v, &policy))
        })
    });
    // The same request shape, but every value (query, cookies, User-Agent,
    // Referer) new each time: nothing is remembered from earlier requests,
    // so this is the cost of inspecting values never seen before.
    let mut n = 0u64;
    c.bench_function("benign GET, unseen values", |b| {
        b.iter_batched(
            || {
                n += 1;
                let uri = format!("/catalog/shoes?color=blue{n}&size=42&sort=price_asc{n}");
                let ua = format!(
                    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.{n}"
                );
                let referer = format!("https://shop.example.com/catalog/shoes?page={n}");
                let cookie = format!("session={n:016x}; theme=dark{n}; consent=yes");
                let mut h = browser_headers(&[]);
                for (k, v) in h.iter_mut() {
                    match k.as_str() {
                        "user-agent" => *v = ua.clone(),
                        "referer" => *v = referer.clone(),
                        "cookie" => *v = cookie.clone(),
                        _ => {}
                    }
                }
                (uri, h)
            },
            |(uri, h)| {
                let v = RequestView::new("GET", &uri, &h, None, ip);
                black_box(engine.evaluate(&v, &policy))
            },
            BatchSize::SmallInput,
        )
    });
    let bodies: [BodyKind; 3] = [
        ("4 KB JSON POST", "/api/orders", "application/json", json_4k),
        (
            "16 KB multipart upload",
            "/upload",
            "multipart/form-data; boundary=BoUnDaRy",
            multipart,
        ),
        (
            "1 KB form POST",
            "/account",
            "application/x-www-form-urlencoded",
            form_1k,
        ),
    ];
    for (name, path, ctype, make) in bodies {
        let h = browser_headers(&[("content-type", ctype)]);
        let body = make(0);
        c.bench_function(name, |b| {
            b.iter(|| {
                let v = RequestView::new("POST", path, &h, Some(&body), ip);
                black_box(engine.evaluate(&v, &policy))
            })
        });
        // Every value new on each request, as in real traffic.
        let mut n = 0u64;
        c.bench_function(&format!("{name}, unseen values"), |b| {
            b.iter_batched(
                || {
                    n += 1;
                    make(n)
                },
                |body| {
                    let v = RequestView::new("POST", path, &h, Some(&body), ip);
                    black_box(engine.evaluate(&v, &policy))
                },
                BatchSize::SmallInput,
            )
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
