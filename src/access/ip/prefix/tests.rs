use super::*;

fn rule(exp: u64) -> Rule {
    Rule {
        expires_micros: exp,
        reason: "t".into(),
        skip_waf: false,
    }
}

#[test]
fn longest_prefix_wins_and_deny_wins_ties() {
    let mut t = Table::default();
    t.insert(
        "10.0.0.0/8".parse().unwrap(),
        EntryKind::Deny,
        rule(u64::MAX),
    );
    let allow = EntryKind::Allow { skip_waf: true };
    t.insert("10.1.0.0/16".parse().unwrap(), allow, rule(u64::MAX));
    let hit = t.lookup("10.1.2.3".parse().unwrap(), 0).unwrap();
    assert!(!hit.deny && hit.len == 16 && hit.skip_waf);
    let hit = t.lookup("10.2.2.3".parse().unwrap(), 0).unwrap();
    assert!(hit.deny && hit.len == 8);
    assert!(t.lookup("11.0.0.1".parse().unwrap(), 0).is_none());
    t.insert(
        "10.1.0.0/16".parse().unwrap(),
        EntryKind::Deny,
        rule(u64::MAX),
    );
    assert!(t.lookup("10.1.2.3".parse().unwrap(), 0).unwrap().deny);
    assert_eq!(t.len(), 3);
}

#[test]
fn ipv6_and_mapped_addresses() {
    let mut t = Table::default();
    t.insert(
        "2001:db8::/32".parse().unwrap(),
        EntryKind::Deny,
        rule(u64::MAX),
    );
    t.insert(
        "::ffff:1.2.3.0/120".parse().unwrap(),
        EntryKind::Deny,
        rule(9),
    );
    assert!(t.lookup("2001:db8::1".parse().unwrap(), 0).is_some());
    assert!(t.lookup("2001:db9::1".parse().unwrap(), 0).is_none());
    assert_eq!(t.lookup("1.2.3.4".parse().unwrap(), 0).unwrap().len, 24);
    assert!(t.lookup("::ffff:1.2.3.4".parse().unwrap(), 0).is_some());
    assert!(t.lookup("1.2.3.4".parse().unwrap(), 9).is_none(), "expired");
    assert_eq!(t.min_expiry(), 9);
}

#[test]
fn zero_length_prefix_matches_everything() {
    let mut t = Table::default();
    t.insert(
        "0.0.0.0/0".parse().unwrap(),
        EntryKind::Deny,
        rule(u64::MAX),
    );
    assert!(t.lookup("255.1.2.3".parse().unwrap(), 0).is_some());
    assert!(t.lookup("::1".parse().unwrap(), 0).is_none());
}

#[test]
fn reasons_are_interned_and_flags_survive_merges() {
    let mut t = Table::default();
    for i in 0..100u32 {
        let rule = Rule {
            expires_micros: if i < 50 { 5 } else { u64::MAX },
            reason: format!("r{}", i % 10).into(),
            skip_waf: false,
        };
        let kind = EntryKind::Allow {
            skip_waf: i % 2 == 0,
        };
        t.insert(IpNet::from(IpAddr::from(i.to_be_bytes())), kind, rule);
    }
    assert_eq!((t.len(), t.reasons.len()), (100, 10));
    let mut m = Table::default();
    m.insert("9.9.9.9/32".parse().unwrap(), EntryKind::Deny, rule(7));
    m.merge_from(&t);
    let hit = m.lookup(IpAddr::from(52u32.to_be_bytes()), 0).unwrap();
    assert!(hit.skip_waf && !hit.deny && &**hit.reason == "r2");
    let hit = m.lookup(IpAddr::from(53u32.to_be_bytes()), 0).unwrap();
    assert!(!hit.skip_waf && &**hit.reason == "r3");
    assert_eq!(
        m.retain(|_, _, r| r.expires_micros > 5 && &*r.reason != "r1"),
        55
    );
    assert_eq!((m.len(), m.reasons.len()), (46, 10), "r1 dropped, t added");
    assert!(!m.reasons.iter().any(|r| &**r == "r1"));
}

#[test]
fn retain_removes_and_recomputes() {
    let mut t = Table::default();
    t.insert("1.1.1.1/32".parse().unwrap(), EntryKind::Deny, rule(5));
    t.insert("2.2.2.2/32".parse().unwrap(), EntryKind::Deny, rule(50));
    assert_eq!(t.retain(|_, _, r| r.expires_micros > 10), 1);
    assert_eq!((t.len(), t.min_expiry()), (1, 50));
    let mut other = Table::default();
    other.merge_from(&t);
    assert!(other.lookup("2.2.2.2".parse().unwrap(), 0).is_some());
}
