//! End-to-end tests of the engine: YAML rules, a `RequestView`, a `Policy`, a `Verdict`.

use std::net::IpAddr;

use crate::waf::yaml::load_str;
use crate::waf::{Engine, Mode, Policy, RequestView, VerdictAction};

fn engine(yaml: &str) -> Engine {
    Engine::compile(load_str("test.yaml", yaml).unwrap())
}

fn hdrs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

const JSON_RULE: &str = r#"
rules:
  - id: 10
    msg: bad user name
    target: "json:user.name"
    transforms: [lowercase]
    contains: "<script"
"#;

#[test]
fn json_post_field_rule_matches() {
    let e = engine(JSON_RULE);
    let h = hdrs(&[("content-type", "application/json")]);
    let body = br#"{"user":{"name":"x<SCRIPT>y","bio":"<script>"}}"#;
    let v = RequestView::new("POST", "/api/users", &h, Some(body), ip("192.0.2.1"));
    let verdict = e.evaluate(&v, &Policy::default());
    assert!(verdict.blocked);
    assert_eq!(verdict.action, VerdictAction::Block);
    assert_eq!(verdict.score, 5);
    let m = &verdict.matches[0];
    assert_eq!((m.rule_id, m.variable.as_str()), (10, "JSON:user.name"));
    assert_eq!(
        (m.value.as_str(), m.transformed.as_str()),
        ("x<SCRIPT>y", "x<script>y")
    );
    let report = verdict.to_string();
    assert!(
        report.contains("rule 10 (+5) JSON:user.name: bad user name"),
        "{report}"
    );
    assert!(report.contains("transformed \"x<script>y\""), "{report}");
    let benign = br#"{"user":{"name":"ann","bio":"<script>"}}"#;
    let v = RequestView::new("POST", "/api/users", &h, Some(benign), ip("192.0.2.1"));
    assert!(e.evaluate(&v, &Policy::default()).matches.is_empty());
}

const SCORING: &str = r#"
rules:
  - {id: 1, target: args, contains: "alpha", severity: warning}
  - {id: 2, target: args, contains: "beta", severity: notice, tags: [noisy]}
  - {id: 3, target: args, contains: "gamma", paranoia: 2}
  - {id: 4, target: args, contains: "delta", action: log}
"#;

fn get(e: &Engine, uri: &str, p: &Policy) -> crate::waf::Verdict {
    let h = Vec::new();
    let v = RequestView::new("GET", uri, &h, None, ip("192.0.2.1"));
    e.evaluate(&v, p)
}

#[test]
fn anomaly_scores_add_up_to_the_threshold() {
    let e = engine(SCORING);
    let p = Policy::default();
    let one = get(&e, "/?q=alpha", &p);
    assert_eq!((one.score, one.blocked), (3, false));
    let two = get(&e, "/?q=alpha+beta", &p);
    assert_eq!((two.score, two.blocked, two.would_block), (5, true, true));
    let logged = get(&e, "/?q=delta", &p);
    assert_eq!(
        (logged.score, logged.matches.len(), logged.matches[0].score),
        (0, 1, 0)
    );
}

#[test]
fn paranoia_level_selects_rules() {
    let e = engine(SCORING);
    assert!(get(&e, "/?q=gamma", &Policy::default()).matches.is_empty());
    let p2 = Policy {
        paranoia: 2,
        ..Policy::default()
    };
    assert!(get(&e, "/?q=gamma", &p2).blocked);
}

#[test]
fn modes_detect_and_off() {
    let e = engine(SCORING);
    let detect = Policy {
        mode: Mode::Detect,
        ..Policy::default()
    };
    let v = get(&e, "/?q=alpha+beta", &detect);
    assert!(v.would_block && !v.blocked);
    assert_eq!(v.action, VerdictAction::Pass);
    let off = Policy {
        mode: Mode::Off,
        ..Policy::default()
    };
    assert!(get(&e, "/?q=alpha+beta", &off).skipped);
}

#[test]
fn exclusions_by_id_tag_target_and_path() {
    let e = engine(SCORING);
    let mut p = Policy::default();
    p.exclusions.rule_ids.insert(1);
    assert_eq!(get(&e, "/?q=alpha+beta", &p).score, 2);
    let mut p = Policy::default();
    p.exclusions.tags.insert("noisy".into());
    assert_eq!(get(&e, "/?q=alpha+beta", &p).score, 3);
    let mut p = Policy::default();
    p.exclusions.remove_target(1, "args:password").unwrap();
    assert_eq!(get(&e, "/?password=alpha&q=beta", &p).score, 2);
    assert_eq!(get(&e, "/?q=alpha", &p).score, 3);
    let mut p = Policy::default();
    p.exclusions.skip_paths.push("/upload".into());
    assert!(get(&e, "/upload/x?q=alpha+beta", &p).skipped);
}

const CUSTOM: &str = r#"
rules:
  - id: 100
    priority: 10
    action: allow
    when:
      all:
        - {target: remote_addr, cidr: [10.0.0.0/8]}
        - {target: path, prefix: /admin}
  - id: 101
    priority: 20
    action: deny
    status: 401
    when:
      all:
        - {target: path, prefix: /admin}
        - not: {target: "headers:x-token", equals: "letmein", case_sensitive: true}
  - id: 102
    target: method
    in: [get, post]
    negate: true
    action: deny
    status: 405
  - {id: 103, target: path, contains: admin, severity: notice}
"#;

fn req(
    e: &Engine,
    method: &str,
    path: &str,
    hs: &[(&str, &str)],
    from: &str,
) -> crate::waf::Verdict {
    let h = hdrs(hs);
    let v = RequestView::new(method, path, &h, None, ip(from));
    e.evaluate(&v, &Policy::default())
}

#[test]
fn custom_rules_allow_deny_priority() {
    let e = engine(CUSTOM);
    assert_eq!(e.rule_ids(), vec![100, 101, 102, 103]);
    let allowed = req(&e, "GET", "/admin/x", &[], "10.1.2.3");
    assert_eq!(allowed.action, VerdictAction::Allow);
    assert_eq!(allowed.matches.len(), 1);
    let denied = req(&e, "GET", "/admin/x", &[], "192.0.2.9");
    assert!(denied.blocked);
    assert_eq!(denied.status, Some(401));
    let token = req(
        &e,
        "GET",
        "/admin/x",
        &[("x-token", "letmein")],
        "192.0.2.9",
    );
    assert!(!token.blocked);
    assert_eq!(
        token.matches.iter().map(|m| m.rule_id).collect::<Vec<_>>(),
        vec![103]
    );
    let wrong_case = req(
        &e,
        "GET",
        "/admin/x",
        &[("x-token", "LETMEIN")],
        "192.0.2.9",
    );
    assert!(wrong_case.blocked);
    let method = req(&e, "DELETE", "/", &[], "192.0.2.9");
    assert_eq!((method.blocked, method.status), (true, Some(405)));
}

const PREFILTER: &str = r#"
rules:
  - {id: 1, target: args, transforms: [url_decode, lowercase], regex: "union\\s+select"}
  - {id: 2, target: args, regex: "sel[e3]ct", prefilter: [sel]}
  - {id: 3, target: args, transforms: [url_decode, lowercase], regex: "(?:drop|alter)\\s+table"}
"#;

#[test]
fn prefilter_never_hides_a_match() {
    let e = engine(PREFILTER);
    assert!(e.literal_count >= 3);
    let v = get(&e, "/?q=1%2520UNION%2520%2520SELECT", &Policy::default());
    assert_eq!(v.matches[0].rule_id, 1);
    assert_eq!(v.matches[0].transformed, "1 union  select");
    assert!(get(&e, "/?q=SEL3CT", &Policy::default())
        .matches
        .iter()
        .any(|m| m.rule_id == 2));
    assert!(get(&e, "/?q=x+ALTER+TABLE", &Policy::default())
        .matches
        .iter()
        .any(|m| m.rule_id == 3));
    assert!(get(&e, "/?q=hello", &Policy::default()).matches.is_empty());
}

const TARGETS: &str = r#"
rules:
  - {id: 1, target: "headers:user-agent", contains: sqlmap}
  - {id: 2, target: anomalies, equals: xml_entity, severity: notice}
  - {id: 3, target: files, suffix: ".php", severity: notice}
  - {id: 4, targets: [cookies, "!cookies:trusted"], contains: evil, severity: notice}
"#;

#[test]
fn headers_anomalies_files_cookies() {
    let e = engine(TARGETS);
    let ua = req(&e, "GET", "/", &[("user-agent", "SQLMap/1.0")], "192.0.2.1");
    assert_eq!(ua.matches[0].variable, "REQUEST_HEADERS:user-agent");
    let h = hdrs(&[("content-type", "application/xml")]);
    let xml = b"<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/hosts\">]><a>&x;</a>";
    let v = RequestView::new("POST", "/", &h, Some(xml), ip("192.0.2.1"));
    assert_eq!(
        e.evaluate(&v, &Policy::default()).matches[0].variable,
        "ANOMALIES"
    );
    let h = hdrs(&[("content-type", "multipart/form-data; boundary=b")]);
    let mp = b"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.PHP\"\r\n\r\n<?php\r\n--b--\r\n";
    let v = RequestView::new("POST", "/", &h, Some(mp), ip("192.0.2.1"));
    assert_eq!(
        e.evaluate(&v, &Policy::default()).matches[0].variable,
        "FILES:f"
    );
    let c = req(
        &e,
        "GET",
        "/",
        &[("cookie", "trusted=evil; other=evil")],
        "192.0.2.1",
    );
    assert_eq!(c.matches[0].variable, "REQUEST_COOKIES:other");
}

#[test]
fn engine_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Engine>();
    assert_send_sync::<Policy>();
}

const SECOND_LOOK: &str = r#"
rules:
  - id: 1
    target: args
    transforms: [base64_text]
    only_transformed: true
    contains: "<script"
"#;

#[test]
fn only_transformed_skips_unchanged_values() {
    let e = engine(SECOND_LOOK);
    // "<script>alert(1)</script>" in base64.
    let hit = get(
        &e,
        "/?q=PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        &Policy::default(),
    );
    assert_eq!(hit.matches[0].transformed, "<script>alert(1)</script>");
    assert!(get(&e, "/?q=%3Cscript%3E", &Policy::default())
        .matches
        .is_empty());
}

const DETECT_RULE: &str = r#"
rules:
  - {id: 20, targets: [args], detect: file_inclusion}
"#;

#[test]
fn remembered_outcomes_respect_paranoia_and_engine() {
    // `authorized_keys` alone is a level-2 file-inclusion signal: passed at
    // PL1, caught at PL2 (each evaluation on a fresh request, with the memo
    // warm from the one before).
    let e = engine(DETECT_RULE);
    let h = hdrs(&[]);
    let pl = |level: u8| Policy {
        paranoia: level,
        ..Policy::default()
    };
    for _ in 0..3 {
        let v = RequestView::new("GET", "/?f=authorized_keys", &h, None, ip("192.0.2.1"));
        assert!(e.evaluate(&v, &pl(1)).matches.is_empty());
        let v = RequestView::new("GET", "/?f=authorized_keys", &h, None, ip("192.0.2.1"));
        assert_eq!(e.evaluate(&v, &pl(2)).matches.len(), 1);
    }
    // A miss remembered by one engine says nothing for another: the value
    // passed rule 20 above, and a reloaded engine with a rule that matches
    // it must still see it.
    let v = RequestView::new("GET", "/?f=plain", &h, None, ip("192.0.2.1"));
    assert!(e.evaluate(&v, &Policy::default()).matches.is_empty());
    let other = engine(
        r#"
rules:
  - {id: 21, targets: [args], equals: plain}
"#,
    );
    let v = RequestView::new("GET", "/?f=plain", &h, None, ip("192.0.2.1"));
    assert_eq!(
        other.evaluate(&v, &Policy::default()).matches[0].rule_id,
        21
    );
}
