use super::*;
use crate::access::clock::ManualClock;
use crate::access::request::SimpleRequest;

const T0: u64 = 1_700_000_000_000_000;

fn limiter(yaml: &str) -> (RateLimiter, Arc<ManualClock>) {
    let cfg: Vec<RateLimitConfig> = serde_yaml::from_str(yaml).unwrap();
    let clock = ManualClock::new(T0);
    (RateLimiter::new(&cfg, clock.clone()).unwrap(), clock)
}

fn allowed(l: &RateLimiter, req: &SimpleRequest, n: usize) -> usize {
    (0..n)
        .filter(|_| l.check(req) == RateDecision::Allow)
        .count()
}

#[test]
fn rate_plus_burst_then_sustained_rate() {
    let (l, clock) = limiter("- {name: per_ip, rate: 10, window: 1s, burst: 5}");
    let a = SimpleRequest::new("192.0.2.1");
    assert_eq!(allowed(&l, &a, 100), 15);
    let RateDecision::Limited {
        retry_after_secs,
        action,
        limit,
    } = l.check(&a)
    else {
        panic!("should be limited")
    };
    assert_eq!(
        (retry_after_secs, action, &*limit),
        (1, LimitAction::Block, "per_ip")
    );
    clock.advance(Duration::from_millis(500));
    assert_eq!(allowed(&l, &a, 100), 5, "10/s sustained");
    let b = SimpleRequest::new("192.0.2.2");
    assert_eq!(allowed(&l, &b, 100), 15, "other clients unaffected");
    clock.advance(Duration::from_secs(10));
    assert_eq!(allowed(&l, &a, 100), 15, "state expired: full burst again");
}

#[test]
fn retry_after_covers_long_windows() {
    let (l, _) = limiter("- {name: slow, rate: 2, window: 1m}");
    let a = SimpleRequest::new("192.0.2.1");
    assert_eq!(allowed(&l, &a, 5), 2);
    match l.check(&a) {
        RateDecision::Limited {
            retry_after_secs, ..
        } => assert_eq!(retry_after_secs, 30),
        d => panic!("{d:?}"),
    }
}

#[test]
fn header_cookie_route_and_combined_keys() {
    let yaml = "
- {name: api_key, key: ['header:X-Api-Key'], rate: 3, window: 1m}
- {name: sess, key: [ip, 'cookie:sid'], rate: 2, window: 1m, routes: [login]}
";
    let (l, _) = limiter(yaml);
    let k1 = SimpleRequest::new("1.1.1.1").with_header("x-api-key", "alpha");
    let k1_other_ip = SimpleRequest::new("2.2.2.2").with_header("X-API-KEY", "alpha");
    let k2 = SimpleRequest::new("1.1.1.1").with_header("x-api-key", "beta");
    assert_eq!(allowed(&l, &k1, 2) + allowed(&l, &k1_other_ip, 5), 3);
    assert_eq!(allowed(&l, &k2, 5), 3);
    let no_key = SimpleRequest::new("1.1.1.1");
    assert_eq!(allowed(&l, &no_key, 50), 50, "limit skipped without header");
    let s = SimpleRequest::new("3.3.3.3")
        .with_header("cookie", "sid=s1")
        .with_route("login");
    assert_eq!(allowed(&l, &s, 5), 2);
    assert_eq!(
        allowed(&l, &s.clone().with_route("home"), 5),
        5,
        "other route"
    );
    let s2 = SimpleRequest::new("3.3.3.3")
        .with_header("cookie", "sid=s2")
        .with_route("login");
    assert_eq!(allowed(&l, &s2, 5), 2);
}

#[test]
fn global_and_subnet_keys() {
    let yaml = "
- {name: all, key: [global], rate: 5, window: 1s}
- {name: v6net, key: [subnet], rate: 100, window: 1s}
";
    let (l, _) = limiter(yaml);
    let n: usize = ["1.1.1.1", "2.2.2.2", "3.3.3.3"]
        .iter()
        .map(|ip| allowed(&l, &SimpleRequest::new(ip), 3))
        .sum();
    assert_eq!(n, 5);
    let (l, _) = limiter("- {name: s, key: [subnet], rate: 3, window: 1s}");
    let a = SimpleRequest::new("2001:db8:1:2::1");
    let b = SimpleRequest::new("2001:db8:1:2:ffff::9");
    let c = SimpleRequest::new("2001:db8:1:3::1");
    assert_eq!(allowed(&l, &a, 2) + allowed(&l, &b, 5), 3);
    assert_eq!(allowed(&l, &c, 5), 3);
}

#[test]
fn log_action_reports_but_block_wins() {
    let yaml = "
- {name: soft, rate: 1, window: 1s, action: log}
- {name: hard, rate: 3, window: 1s}
";
    let (l, _) = limiter(yaml);
    let a = SimpleRequest::new("9.9.9.9");
    assert_eq!(l.check(&a), RateDecision::Allow);
    let d = l.check(&a);
    assert!(
        matches!(
            d,
            RateDecision::Limited {
                action: LimitAction::Log,
                ..
            }
        ),
        "{d:?}"
    );
    l.check(&a);
    let d = l.check(&a);
    assert!(
        matches!(
            d,
            RateDecision::Limited {
                action: LimitAction::Block,
                ..
            }
        ),
        "{d:?}"
    );
}

#[test]
fn config_errors() {
    let bad = serde_yaml::from_str::<Vec<RateLimitConfig>>(
        "- {name: x, key: [ipp], rate: 1, window: 1s}",
    );
    assert!(bad.unwrap_err().to_string().contains("unknown key part"));
    let bad = serde_yaml::from_str::<Vec<RateLimitConfig>>("- {name: x, rate: 0, window: 1s}");
    assert!(bad.is_err());
    let bad =
        serde_yaml::from_str::<Vec<RateLimitConfig>>("- {name: x, rate: 1, window: 1s, brust: 1}");
    assert!(bad.is_err());
    let cfg: Vec<RateLimitConfig> =
        serde_yaml::from_str("[{name: x, rate: 1, window: 0s}]").unwrap();
    let e = RateLimiter::new(&cfg, ManualClock::new(T0)).unwrap_err();
    assert_eq!(e, RateLimitError::ZeroWindow("x".into()));
    let cfg: Vec<RateLimitConfig> =
        serde_yaml::from_str("[{name: x, rate: 1, window: 1s}, {name: x, rate: 2, window: 1s}]")
            .unwrap();
    assert!(RateLimiter::new(&cfg, ManualClock::new(T0)).is_err());
}

#[test]
fn sweep_counts_live_keys() {
    let (l, clock) = limiter("- {name: a, rate: 5, window: 1s}");
    for i in 0..10 {
        l.check(&SimpleRequest::new(&format!("10.0.0.{i}")));
    }
    assert_eq!(l.sweep(), 10);
    clock.advance(Duration::from_secs(1));
    assert_eq!(l.sweep(), 0);
}

#[test]
fn gcra_batch_take() {
    let g = Gcra::new(NonZeroU32::new(100).unwrap(), Duration::from_secs(1), 0, 16);
    assert!(g.check_n(1, T0, 60).is_ok());
    assert!(g.check_n(1, T0, 40).is_ok());
    assert_eq!(g.check_n(1, T0, 10), Err(100_000));
}

#[test]
fn extreme_configs_do_not_overflow() {
    let yaml = "[{name: huge, rate: 1, window: 1000years, burst: 4294967295}, \
                {name: fast, rate: 4294967295, window: 1us}]";
    let (l, clock) = limiter(yaml);
    let a = SimpleRequest::new("192.0.2.1");
    assert_eq!(allowed(&l, &a, 10), 10);
    clock.advance(Duration::from_secs(1));
    assert_eq!(allowed(&l, &a, 10), 10);
}
