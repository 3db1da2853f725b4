use super::*;
use crate::access::clock::ManualClock;
use std::io::Write;

const T0: u64 = 1_700_000_000_000_000;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn net(s: &str) -> IpNet {
    parse_entry(s).unwrap()
}

fn deny(reason: &str) -> Decision {
    Decision::Deny {
        reason: reason.into(),
    }
}

#[test]
fn config_and_files_build_the_static_lists() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        f,
        "# bad actors\n\n203.0.113.0/24  # a range\n2001:db8::7\n"
    )
    .unwrap();
    let yaml = format!(
        "allow: [10.1.2.3, '192.168.0.0/16']\ndeny: ['10.0.0.0/8']\n\
         deny_files: ['{}']\nallow_skips_waf: true\n",
        f.path().display()
    );
    let cfg: IpListConfig = serde_yaml::from_str(&yaml).unwrap();
    let lists = IpLists::from_config(&cfg, ManualClock::new(T0)).unwrap();
    let allow = Decision::Allow { skip_waf: true };
    assert_eq!(lists.lookup(ip("10.1.2.3")), allow);
    assert_eq!(lists.lookup(ip("10.9.9.9")), deny("config deny list"));
    assert_eq!(lists.lookup(ip("203.0.113.77")), deny("config deny list"));
    assert_eq!(lists.lookup(ip("2001:db8::7")), deny("config deny list"));
    assert_eq!(lists.lookup(ip("2001:db8::8")), Decision::None);
    assert_eq!(lists.lookup(ip("192.168.4.4")), allow);
    assert_eq!(lists.len(), (5, 0));
}

#[test]
fn errors_name_the_origin_and_line() {
    let err = parse_list("1.2.3.4\n# c\nnot-an-ip\n", "x.txt").unwrap_err();
    assert_eq!(
        err.to_string(),
        "x.txt:3: \"not-an-ip\" is not an IP address or CIDR"
    );
    let cfg = IpListConfig {
        deny_files: vec!["/nonexistent/list".into()],
        ..Default::default()
    };
    let e = IpLists::from_config(&cfg, ManualClock::new(T0)).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/list"), "{e}");
    let bad: Result<IpListConfig, _> = serde_yaml::from_str("denny: []");
    assert!(bad.is_err(), "unknown fields are errors");
}

#[test]
fn cidr_host_bits_are_cleared() {
    assert_eq!(net("10.1.2.3/8"), net("10.0.0.0/8"));
    assert_eq!(net(" ::1 ").to_string(), "::1/128");
}

#[test]
fn reload_keeps_runtime_entries_and_a_bad_reload_changes_nothing() {
    let lists = IpLists::new(ManualClock::new(T0));
    lists.add(net("1.1.1.1"), EntryKind::Deny, None, "manual");
    let cfg = IpListConfig {
        deny: vec!["2.2.2.2".into()],
        ..Default::default()
    };
    lists.reload_static(&cfg).unwrap();
    let bad = IpListConfig {
        deny: vec!["2.2.2.x".into()],
        ..Default::default()
    };
    assert!(lists.reload_static(&bad).is_err());
    assert_eq!(lists.lookup(ip("1.1.1.1")), deny("manual"));
    assert_eq!(lists.lookup(ip("2.2.2.2")), deny("config deny list"));
}

#[test]
fn runtime_entries_expire_and_are_purged() {
    let clock = ManualClock::new(T0);
    let lists = IpLists::new(clock.clone());
    let ttl = Some(Duration::from_secs(60));
    lists.add(net("198.51.100.7"), EntryKind::Deny, ttl, "abuse ticket 7");
    lists.add(net("2001:db8::/64"), EntryKind::Deny, None, "forever");
    assert_eq!(lists.lookup(ip("198.51.100.7")), deny("abuse ticket 7"));
    assert_eq!(lists.purge_expired(), 0);
    clock.advance(Duration::from_secs(61));
    assert_eq!(lists.lookup(ip("198.51.100.7")), Decision::None);
    assert_eq!(lists.runtime_entries().len(), 2);
    assert_eq!(lists.purge_expired(), 1);
    let left = lists.runtime_entries();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].expires_micros, None);
    assert_eq!(lists.lookup(ip("2001:db8::1")), deny("forever"));
}

#[test]
fn a_runtime_ban_beats_a_wider_allow_and_expiry_restores_it() {
    let clock = ManualClock::new(T0);
    let cfg = IpListConfig {
        allow: vec!["10.0.0.0/8".into()],
        ..Default::default()
    };
    let lists = IpLists::from_config(&cfg, clock.clone()).unwrap();
    let ttl = Some(Duration::from_secs(5));
    lists.add(net("10.0.0.5"), EntryKind::Deny, ttl, "ban");
    assert_eq!(lists.lookup(ip("10.0.0.5")), deny("ban"));
    clock.advance(Duration::from_secs(5));
    let allow = Decision::Allow { skip_waf: false };
    assert_eq!(lists.lookup(ip("10.0.0.5")), allow);
}

#[test]
fn remove_deletes_one_kind() {
    let lists = IpLists::new(ManualClock::new(T0));
    let allow = EntryKind::Allow { skip_waf: true };
    lists.add(net("5.5.5.0/24"), EntryKind::Deny, None, "d");
    lists.add(net("5.5.5.0/24"), allow, None, "a");
    assert!(lists.remove(net("5.5.5.9/24"), EntryKind::Deny));
    assert!(!lists.remove(net("5.5.5.0/24"), EntryKind::Deny));
    let want = Decision::Allow { skip_waf: true };
    assert_eq!(lists.lookup(ip("5.5.5.1")), want);
}

#[test]
fn the_delta_is_merged_and_bulk_adds_work() {
    let lists = IpLists::new(ManualClock::new(T0));
    for i in 0..(DELTA_MAX as u32 + 10) {
        let n = IpNet::from(IpAddr::from((0x0a00_0000u32 + i).to_be_bytes()));
        lists.add(n, EntryKind::Deny, None, "one by one");
    }
    let snap = lists.snap.load();
    assert!(!snap.base.is_empty() && snap.delta.len() < DELTA_MAX);
    drop(snap);
    let many = (0..300_000u32).map(|i| {
        let a = IpAddr::from((0x2000_0000u32 + i * 3).to_be_bytes());
        (IpNet::from(a), EntryKind::Deny, None, "bulk")
    });
    lists.add_many(many);
    assert_eq!(lists.lookup(ip("10.0.0.3")), deny("one by one"));
    assert_eq!(lists.lookup(ip("32.0.0.3")), deny("bulk"));
    assert_eq!(lists.lookup(ip("32.0.0.4")), Decision::None);
    assert!(lists.len().1 > 300_000);
}

#[test]
fn re_adding_an_entry_replaces_its_expiry_even_after_a_merge() {
    let clock = ManualClock::new(T0);
    let lists = IpLists::new(clock.clone());
    lists.add(
        net("7.7.7.7"),
        EntryKind::Deny,
        Some(Duration::from_secs(3600)),
        "long",
    );
    let filler = (0..=DELTA_MAX as u32).map(|i| {
        let a = IpAddr::from((0x0b00_0000u32 + i).to_be_bytes());
        (IpNet::from(a), EntryKind::Deny, None, "filler")
    });
    lists.add_many(filler);
    assert!(lists
        .snap
        .load()
        .base
        .contains(net("7.7.7.7"), EntryKind::Deny));
    lists.add(
        net("7.7.7.7"),
        EntryKind::Deny,
        Some(Duration::from_secs(60)),
        "short",
    );
    assert_eq!(lists.lookup(ip("7.7.7.7")), deny("short"));
    clock.advance(Duration::from_secs(61));
    assert_eq!(lists.lookup(ip("7.7.7.7")), Decision::None);
}
