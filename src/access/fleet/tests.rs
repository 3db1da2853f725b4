use super::*;
use crate::access::ban::BanConfig;
use crate::access::clock::ManualClock;
use crate::access::request::SimpleRequest;
use std::process::{Child, Command, Stdio};

const T0: u64 = 1_700_000_000_000_000;

/// A throw-away redis-server on an ephemeral loopback port.
struct Redis {
    child: Child,
    addr: String,
}

impl Redis {
    fn start() -> Option<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").ok()?;
        let port = listener.local_addr().ok()?.port();
        drop(listener);
        Self::start_on(port)
    }

    fn start_on(port: u16) -> Option<Self> {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .ok()?;
        let addr = format!("127.0.0.1:{port}");
        for _ in 0..200 {
            if std::net::TcpStream::connect(&addr).is_ok() {
                return Some(Self { child, addr });
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn limits(yaml: &str) -> Vec<RateLimitConfig> {
    serde_yaml::from_str(yaml).unwrap()
}

fn fleet(addr: &str, batch: u32, lims: &[RateLimitConfig], clock: SharedClock) -> Fleet {
    let cfg: FleetConfig = serde_yaml::from_str(&format!(
        "{{redis: '{addr}', batch: {batch}, timeout: 200ms, key_prefix: t{}}}",
        std::process::id()
    ))
    .unwrap();
    Fleet::new(cfg, lims, clock)
}

macro_rules! redis_or_skip {
    () => {
        match Redis::start() {
            Some(r) => r,
            None => panic!("redis-server is required for this test: run scripts/deps.sh test"),
        }
    };
}

#[tokio::test]
async fn two_instances_share_one_limit() {
    let redis = redis_or_skip!();
    let clock = ManualClock::new(T0);
    let lims = limits("[{name: shared, rate: 50, window: 10s}]");
    let a = fleet(&redis.addr, 5, &lims, clock.clone());
    let b = fleet(&redis.addr, 5, &lims, clock.clone());
    let req = SimpleRequest::new("192.0.2.1");
    let mut allowed = 0;
    for i in 0..200 {
        let inst = if i % 3 == 0 { &a } else { &b };
        allowed += usize::from(inst.check(&req).await == RateDecision::Allow);
    }
    assert!(
        (40..=50).contains(&allowed),
        "fleet allowed {allowed} of a 50 limit"
    );
    assert!(!a.is_degraded() && !b.is_degraded());
    let other = SimpleRequest::new("192.0.2.2");
    assert_eq!(
        a.check(&other).await,
        RateDecision::Allow,
        "keys are separate"
    );
    clock.advance(Duration::from_secs(10));
    assert_eq!(b.check(&req).await, RateDecision::Allow, "next window");
}

#[tokio::test]
async fn batch_of_one_is_exact_and_retry_after_ends_the_window() {
    let redis = redis_or_skip!();
    let clock = ManualClock::new(T0 + 4_000_000);
    let lims = limits("[{name: exact, rate: 7, window: 10s, burst: 1}]");
    let a = fleet(&redis.addr, 1, &lims, clock.clone());
    let b = fleet(&redis.addr, 1, &lims, clock.clone());
    let req = SimpleRequest::new("2001:db8::1");
    let mut allowed = 0;
    for i in 0..20 {
        let inst = if i % 2 == 0 { &a } else { &b };
        allowed += usize::from(inst.check(&req).await == RateDecision::Allow);
    }
    assert_eq!(allowed, 8);
    match a.check(&req).await {
        RateDecision::Limited {
            retry_after_secs, ..
        } => assert_eq!(retry_after_secs, 6),
        d => panic!("{d:?}"),
    }
}

#[tokio::test]
async fn redis_dying_mid_test_falls_back_to_local_limits() {
    let mut redis = redis_or_skip!();
    let clock = ManualClock::new(T0);
    let lims = limits("[{name: fb, rate: 5, window: 1s}]");
    let a = fleet(&redis.addr, 1, &lims, clock.clone());
    let req = SimpleRequest::new("198.51.100.1");
    assert_eq!(a.check(&req).await, RateDecision::Allow);
    redis.kill();
    let started = std::time::Instant::now();
    let mut allowed = 0;
    for _ in 0..20 {
        allowed += usize::from(a.check(&req).await == RateDecision::Allow);
    }
    assert!(a.is_degraded());
    assert_eq!(allowed, 5, "the local GCRA limit holds");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "bounded by the timeout"
    );
    clock.advance(Duration::from_secs(2));
    assert_eq!(a.check(&req).await, RateDecision::Allow, "still serving");
}

#[tokio::test]
async fn an_unreachable_redis_never_fails_a_request() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let clock = ManualClock::new(T0);
    let lims = limits("[{name: nothing, rate: 3, window: 1s}]");
    let a = fleet(&format!("127.0.0.1:{port}"), 10, &lims, clock.clone());
    let req = SimpleRequest::new("198.51.100.1");
    let mut allowed = 0;
    for _ in 0..10 {
        allowed += usize::from(a.check(&req).await == RateDecision::Allow);
    }
    assert_eq!(allowed, 3);
    assert!(a
        .share_ban("1.2.3.4".parse().unwrap(), Duration::from_secs(1))
        .await
        .is_err());
}

#[tokio::test]
async fn bans_are_shared_through_redis() {
    let redis = redis_or_skip!();
    let clock = ManualClock::new(T0);
    let a = fleet(&redis.addr, 1, &[], clock.clone());
    let b = fleet(&redis.addr, 1, &[], clock.clone());
    let ip: IpAddr = "203.0.113.50".parse().unwrap();
    assert_eq!(b.ban_remaining(ip).await.unwrap(), None);
    a.share_ban(ip, Duration::from_secs(60)).await.unwrap();
    let left = b.ban_remaining(ip).await.unwrap().unwrap();
    assert!(left > Duration::from_secs(59), "{left:?}");
    let cfg: BanConfig = serde_yaml::from_str("{strikes: 5, window: 1m, ban_for: 1h}").unwrap();
    let local = AutoBan::new(cfg, clock.clone());
    assert_eq!(b.sync_bans(&local).await.unwrap(), 1);
    assert_eq!(local.is_banned(ip), Some(Duration::from_secs(60)));
    b.lift_ban(ip).await.unwrap();
    assert_eq!(a.ban_remaining(ip).await.unwrap(), None);
    assert_eq!(a.fetch_bans().await.unwrap(), vec![]);
    a.share_ban(ip, Duration::from_secs(60)).await.unwrap();
    clock.advance(Duration::from_secs(61));
    assert_eq!(b.fetch_bans().await.unwrap(), vec![]);
}

#[tokio::test]
async fn sub_second_windows_work() {
    let redis = redis_or_skip!();
    let clock = ManualClock::new(T0);
    let lims = limits("[{name: fast, rate: 10, window: 100ms}]");
    let a = fleet(&redis.addr, 5, &lims, clock.clone());
    let req = SimpleRequest::new("192.0.2.200");
    let mut allowed = 0;
    for _ in 0..30 {
        allowed += usize::from(a.check(&req).await == RateDecision::Allow);
    }
    assert_eq!(allowed, 10);
    clock.advance(Duration::from_millis(100));
    assert_eq!(a.check(&req).await, RateDecision::Allow);
}

#[tokio::test]
async fn fleet_limits_come_back_when_redis_does() {
    let mut redis = redis_or_skip!();
    let port: u16 = redis.addr.rsplit(':').next().unwrap().parse().unwrap();
    let clock = ManualClock::new(T0);
    let lims = limits("[{name: back, rate: 100, window: 1m}]");
    let a = fleet(&redis.addr, 1, &lims, clock.clone());
    let req = SimpleRequest::new("198.51.100.77");
    assert_eq!(a.check(&req).await, RateDecision::Allow);
    redis.kill();
    assert_eq!(a.check(&req).await, RateDecision::Allow, "local fallback");
    assert!(a.is_degraded());
    let Some(_again) = Redis::start_on(port) else {
        eprintln!("could not restart redis on {port}: skipped");
        return;
    };
    clock.advance(Duration::from_secs(2));
    assert_eq!(a.check(&req).await, RateDecision::Allow);
    assert!(!a.is_degraded(), "back on fleet limits");
}
