use super::*;
use mmdb_writer::{Value, Writer};
use std::time::{Duration, SystemTime};

fn write_db(path: &Path, entries: &[(&str, &str)], mtime_secs: u64) {
    let mut w = Writer::new("Test-Country");
    for (net, cc) in entries {
        let value = Value::map([(
            "country",
            Value::map([("iso_code", Value::from(cc.to_string()))]),
        )]);
        w.insert_value(net.parse::<ipnet::IpNet>().unwrap(), value)
            .unwrap();
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, w.to_bytes().unwrap()).unwrap();
    let f = std::fs::File::options().write(true).open(&tmp).unwrap();
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(mtime_secs))
        .unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn cc(s: &str) -> Option<CountryCode> {
    CountryCode::parse(s)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn lookups_find_countries_for_v4_v6_and_mapped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("geo.mmdb");
    write_db(
        &path,
        &[("81.2.69.0/24", "GB"), ("2a02:ff0::/32", "de")],
        1000,
    );
    let db = GeoDb::open(&path).unwrap();
    assert_eq!(db.country(ip("81.2.69.142")), cc("GB"));
    assert_eq!(db.country(ip("::ffff:81.2.69.1")), cc("GB"));
    assert_eq!(db.country(ip("2a02:ff0::1")), cc("DE"));
    assert_eq!(db.country(ip("8.8.8.8")), None);
    assert_eq!(db.database_type(), "Test-Country");
}

#[test]
fn the_database_reloads_when_the_file_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("geo.mmdb");
    write_db(&path, &[("81.2.69.0/24", "GB")], 1000);
    let db = GeoDb::open(&path).unwrap();
    assert!(!db.maybe_reload().unwrap(), "unchanged");
    write_db(&path, &[("81.2.69.0/24", "FR")], 2000);
    assert!(db.maybe_reload().unwrap());
    assert_eq!(db.country(ip("81.2.69.9")), cc("FR"));
    std::fs::write(&path, b"garbage").unwrap();
    assert!(db.maybe_reload().is_err());
    assert_eq!(db.country(ip("81.2.69.9")), cc("FR"), "old database kept");
    assert!(GeoDb::open(dir.path().join("missing.mmdb")).is_err());
}

#[test]
fn allow_and_deny_lists_and_unknown_policy() {
    let parse = |y: &str| GeoPolicy::try_from(&serde_yaml::from_str::<GeoPolicyConfig>(y).unwrap());
    let allow = parse("{allow: [gb, DE]}").unwrap();
    assert_eq!(allow.decide(cc("GB")), GeoDecision::Allow);
    assert_eq!(allow.decide(cc("FR")), GeoDecision::Deny(cc("FR")));
    assert_eq!(allow.decide(None), GeoDecision::Allow);
    let deny = parse("{deny: [RU], unknown: deny}").unwrap();
    assert_eq!(deny.decide(cc("RU")), GeoDecision::Deny(cc("RU")));
    assert_eq!(deny.decide(cc("GB")), GeoDecision::Allow);
    assert_eq!(deny.decide(None), GeoDecision::Deny(None));
    assert!(matches!(
        parse("{allow: [GB], deny: [RU]}"),
        Err(GeoError::BothLists)
    ));
    assert!(matches!(parse("{deny: [GBR]}"), Err(GeoError::BadCode(_))));
    assert!(serde_yaml::from_str::<GeoPolicyConfig>("{unknown: maybe}").is_err());
    assert_eq!(
        GeoPolicy::try_from(&GeoPolicyConfig::default())
            .unwrap()
            .decide(cc("X1")),
        GeoDecision::Allow
    );
}
