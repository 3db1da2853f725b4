//! Every file under `filters/` loads and compiles, and the protocol pack
//! catches its shapes while passing benign look-alikes.

use std::net::IpAddr;
use std::path::PathBuf;

use crate::waf::yaml::load_files;
use crate::waf::{Engine, Policy, RequestView};

fn filters_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("filters")
}

fn all_yaml(dir: &PathBuf, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all_yaml(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path.display().to_string());
        }
    }
}

#[test]
fn every_filter_file_loads() {
    let mut files = Vec::new();
    all_yaml(&filters_dir(), &mut files);
    assert!(files.len() >= 3, "{files:?}");
    for f in &files {
        let rules = load_files(&[f.as_str()]).unwrap_or_else(|e| panic!("{e}"));
        assert!(!rules.is_empty(), "{f} has no rules");
        Engine::compile(rules);
    }
    let glob = format!("{}/*.yaml", filters_dir().display());
    let engine = Engine::compile(load_files(&[glob.as_str()]).unwrap());
    assert!(engine.len() >= 30);
}

fn default_engine() -> Engine {
    let glob = format!("{}/*.yaml", filters_dir().display());
    Engine::compile(load_files(&[glob.as_str()]).unwrap())
}

fn ids(e: &Engine, method: &str, uri: &str, hs: &[(&str, &str)], body: Option<&[u8]>) -> Vec<u32> {
    let h: Vec<(String, String)> = hs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    let v = RequestView::new(method, uri, &h, body, IpAddr::from([192, 0, 2, 1]));
    let p = Policy {
        paranoia: 2,
        ..Policy::default()
    };
    e.evaluate(&v, &p)
        .matches
        .iter()
        .map(|m| m.rule_id)
        .collect()
}

#[test]
fn protocol_pack_catches_shapes() {
    let e = default_engine();
    let ua = [("user-agent", "test"), ("host", "h")];
    assert!(ids(&e, "GET", "/?a=100%zz", &ua, None).contains(&100001));
    assert!(ids(&e, "GET", "/%c0%af", &ua, None).contains(&100002));
    assert!(ids(&e, "GET", "/?f=a%00b", &ua, None).contains(&100003));
    let json = [
        ("content-type", "application/json"),
        ("user-agent", "t"),
        ("host", "h"),
    ];
    assert!(ids(&e, "POST", "/", &json, Some(b"{\"a\":")).contains(&100004));
    let xml = [
        ("content-type", "application/xml"),
        ("user-agent", "t"),
        ("host", "h"),
    ];
    let doc = b"<!DOCTYPE a [<!ENTITY b \"c\">]><a>&b;</a>";
    assert!(ids(&e, "POST", "/", &xml, Some(doc)).contains(&100007));
    assert!(ids(&e, "TRACE", "/", &ua, None).contains(&100010));
    let smuggle = [
        ("content-length", "3"),
        ("transfer-encoding", "chunked"),
        ("user-agent", "t"),
        ("host", "h"),
    ];
    assert!(ids(&e, "POST", "/", &smuggle, Some(b"abc")).contains(&100012));
    let te = [
        ("transfer-encoding", "identity"),
        ("user-agent", "t"),
        ("host", "h"),
    ];
    assert!(ids(&e, "POST", "/", &te, None).contains(&100013));
    assert!(ids(&e, "GET", "/", &[("host", "h")], None).contains(&100018));
    assert!(ids(&e, "GET", "/a%2f..%2fb", &ua, None).contains(&100020));
}

#[test]
fn protocol_pack_passes_look_alikes() {
    let e = default_engine();
    let ua = [("user-agent", "Mozilla/5.0"), ("host", "example.com")];
    assert!(ids(&e, "GET", "/search?q=100%25+sure&x=a+b", &ua, None).is_empty());
    let json = [
        ("content-type", "application/json"),
        ("user-agent", "t"),
        ("host", "h"),
    ];
    assert!(ids(&e, "POST", "/", &json, Some(b"{\"a\":\"<!DOCTYPE>\"}")).is_empty());
    let chunked = [
        ("transfer-encoding", "Chunked"),
        ("user-agent", "t"),
        ("host", "h"),
    ];
    assert!(ids(&e, "POST", "/", &chunked, None).is_empty());
    let mp = b"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"php-notes.txt\"\r\n\r\nx\r\n--b--\r\n";
    let up = [
        ("content-type", "multipart/form-data; boundary=b"),
        ("user-agent", "t"),
        ("host", "h"),
    ];
    assert!(ids(&e, "POST", "/upload", &up, Some(mp)).is_empty());
}

#[test]
fn protocol_pack_more_shapes() {
    let e = default_engine();
    let base = [("user-agent", "t"), ("host", "h")];
    let ctl = [("user-agent", "t"), ("host", "h"), ("x-a", "a\u{1}b")];
    assert!(ids(&e, "GET", "/", &ctl, None).contains(&100014));
    let tab = [("user-agent", "t"), ("host", "h"), ("x-a", "a\tb")];
    assert!(!ids(&e, "GET", "/", &tab, None).contains(&100014));
    let up = |name: &str| {
        format!("--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"{name}\"\r\n\r\nx\r\n--b--\r\n")
    };
    let mp = [
        ("content-type", "multipart/form-data; boundary=b"),
        ("user-agent", "t"),
        ("host", "h"),
    ];
    assert!(ids(&e, "POST", "/", &mp, Some(up("shell.pHp5").as_bytes())).contains(&100015));
    assert!(!ids(&e, "POST", "/", &mp, Some(up("photo.png").as_bytes())).contains(&100015));
    assert!(ids(&e, "POST", "/", &mp, Some(up(".htaccess").as_bytes())).contains(&100016));
    assert!(!ids(&e, "POST", "/", &mp, Some(up("htaccess.txt").as_bytes())).contains(&100016));
    let broken = b"--b\r\nno headers here\r\n--b--\r\n";
    assert!(ids(&e, "POST", "/", &mp, Some(broken)).contains(&100005));
    let xml = [
        ("content-type", "text/xml"),
        ("user-agent", "t"),
        ("host", "h"),
    ];
    assert!(ids(&e, "POST", "/", &xml, Some(b"<a><b></a>")).contains(&100006));
    assert!(ids(&e, "POST", "/", &xml, Some(b"<!DOCTYPE a><a/>")).contains(&100008));
    // A schema that pulls in another document, seen in the whole XML body
    // (its markup is not among the XML fields); not in a JSON body.
    let schema: &[u8] = b"<s:schema xmlns:s=\"http://www.w3.org/2001/XMLSchema\"><s:include schemaLocation=\"http://example.net/a.xsd\"/></s:schema>";
    assert!(ids(&e, "POST", "/", &xml, Some(schema)).contains(&250022));
    let json = [
        ("content-type", "application/json"),
        ("user-agent", "t"),
        ("host", "h"),
    ];
    assert!(!ids(&e, "POST", "/", &json, Some(b"{\"a\": 1}")).contains(&250022));
    assert!(!ids(
        &e,
        "POST",
        "/",
        &xml,
        Some(b"<order><include>box</include></order>")
    )
    .contains(&250022));
    assert!(ids(&e, "PROPFIND", "/", &base, None).contains(&100011));
    assert!(!ids(&e, "PATCH", "/", &base, None).contains(&100011));
    assert!(ids(&e, "GET", "/", &[("user-agent", "t")], None).contains(&100017));
    let many = (0..5000)
        .map(|i| format!("a{i}=1"))
        .collect::<Vec<_>>()
        .join("&");
    assert!(ids(&e, "GET", &format!("/?{many}"), &base, None).contains(&100009));
}

#[test]
fn paranoia_three_rules_need_paranoia_three() {
    let e = default_engine();
    let h: Vec<(String, String)> = vec![
        ("host".into(), "h".into()),
        ("user-agent".into(), "t".into()),
    ];
    let uri = format!("/?q={}", "a".repeat(5000));
    let v = RequestView::new("GET", &uri, &h, None, IpAddr::from([192, 0, 2, 1]));
    let pl3 = Policy {
        paranoia: 3,
        ..Policy::default()
    };
    assert!(e
        .evaluate(&v, &pl3)
        .matches
        .iter()
        .any(|m| m.rule_id == 100019));
    assert!(e.evaluate(&v, &Policy::default()).matches.is_empty());
}
