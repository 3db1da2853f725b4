//! Tests of the YAML front-end: one per error kind, checking the message.

use super::*;
use crate::waf::engine::rule::{Action, Cond, Severity};

fn one(body: &str) -> String {
    let text = format!("rules:\n  - id: 7\n{body}");
    load_str("t.yaml", &text).unwrap_err().to_string()
}

fn assert_msg(body: &str, want: &str) {
    let got = one(body);
    assert!(got.contains(want), "got `{got}`, want `{want}`");
    assert!(got.starts_with("t.yaml"), "no file in `{got}`");
}

#[test]
fn full_rule_parses() {
    let text = r#"
rules:
  - id: 1
    msg: sqli in args
    tags: [attack-sqli]
    severity: error
    paranoia: 2
    priority: 5
    targets: [args, "!args:password"]
    transforms: [url_decode, lowercase]
    regex: "union\\s+select"
    chain:
      - target: method
        equals: POST
  - id: 2
    action: deny
    status: 451
    when:
      any:
        - { target: remote_addr, cidr: [10.0.0.0/8, "::1"] }
        - not: { target: "headers:x-key", exists: true }
"#;
    let rules = load_str("t.yaml", text).unwrap();
    assert_eq!(rules.len(), 2);
    let r = &rules[0];
    assert_eq!(
        (r.severity, r.score, r.paranoia, r.priority),
        (Severity::Error, 4, 2, 5)
    );
    assert!(matches!(&r.cond, Cond::All(v) if v.len() == 2));
    assert_eq!(rules[1].action, Action::Deny(451));
    assert_eq!(rules[1].priority, 100);
}

#[test]
fn yaml_syntax_error_has_line() {
    let err = load_str("x.yaml", "rules:\n  - id: 1\n    msg: [unclosed\n").unwrap_err();
    assert!(
        matches!(err, RuleError::Yaml { line: Some(_), .. }),
        "{err}"
    );
    assert!(err.to_string().starts_with("x.yaml:"), "{err}");
}

#[test]
fn unknown_field_is_named() {
    assert_msg("    target: args\n    regx: a\n", "unknown field `regx`");
}

#[test]
fn missing_id() {
    let err = load_str("t.yaml", "rules:\n  - msg: x\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing field `id`"), "{err}");
}

#[test]
fn field_errors_name_rule_field_and_line() {
    let got = one("    target: args\n    regex: \"(\"\n");
    assert!(
        got.starts_with("t.yaml:2: rule 7: field `regex`: invalid regex"),
        "{got}"
    );
}

#[test]
fn each_field_error_kind() {
    let cases = [
        ("    target: args\n", "field `operator`: no operator"),
        (
            "    target: args\n    equals: a\n    contains: b\n",
            "more than one operator: equals, contains",
        ),
        ("    regex: a\n", "field `targets`: at least one target"),
        (
            "    target: argz\n    regex: a\n",
            "field `targets`: unknown variable `argz`",
        ),
        (
            "    target: args\n    transforms: [rot13]\n    regex: a\n",
            "unknown transformation `rot13`",
        ),
        (
            "    target: args\n    detect: magic\n",
            "field `detect`: unknown detector `magic`",
        ),
        ("    target: args\n    phrases: []\n", "field `phrases`"),
        (
            "    target: remote_addr\n    cidr: [nope]\n",
            "field `cidr`: `nope` is not an address",
        ),
        (
            "    target: args\n    number: {lt: 1, gt: 2}\n",
            "field `number`: exactly one",
        ),
        (
            "    target: args\n    length: {gt: 1.5}\n",
            "field `length`: must be a whole number",
        ),
        ("    target: args\n    exists: false\n", "field `exists`"),
        (
            "    target: args\n    prefilter: [\"\"]\n    regex: a\n",
            "field `prefilter`",
        ),
        (
            "    severity: loud\n    target: args\n    regex: a\n",
            "field `severity`: unknown severity",
        ),
        (
            "    paranoia: 5\n    target: args\n    regex: a\n",
            "field `paranoia`: must be 1 to 4",
        ),
        (
            "    action: explode\n    target: args\n    regex: a\n",
            "field `action`: unknown action",
        ),
        (
            "    status: 404\n    target: args\n    regex: a\n",
            "field `status`: only a `deny`",
        ),
        (
            "    action: deny\n    status: 99\n    target: args\n    regex: a\n",
            "99 is not an HTTP status",
        ),
        (
            "    target: args\n    regex: a\n    when: {target: args, regex: b}\n",
            "field `when`: use either",
        ),
        (
            "    when: {all: [], any: []}\n",
            "field `when`: a condition needs exactly one",
        ),
    ];
    for (body, want) in cases {
        assert_msg(body, want);
    }
}

#[test]
fn duplicate_ids() {
    let text = "rules:\n  - {id: 3, target: args, regex: a}\n  - {id: 3, target: args, regex: b}\n";
    let err = load_str("d.yaml", text).unwrap_err().to_string();
    assert_eq!(
        err,
        "d.yaml: rule 3: duplicate id (first defined in d.yaml)"
    );
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("waflab-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn files_globs_and_cross_file_duplicates() {
    let dir = temp_dir("glob");
    std::fs::write(
        dir.join("a.yaml"),
        "rules:\n  - {id: 1, target: args, regex: a}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("b.yaml"),
        "rules:\n  - {id: 2, target: args, regex: b}\n",
    )
    .unwrap();
    std::fs::write(dir.join("c.txt"), "not rules").unwrap();
    let glob = format!("{}/*.yaml", dir.display());
    assert_eq!(load_files(&[glob.as_str()]).unwrap().len(), 2);
    assert_eq!(load_files(&[dir.display().to_string()]).unwrap().len(), 2);
    let a = dir.join("a.yaml").display().to_string();
    let err = load_files(&[a.clone(), a.clone()]).unwrap_err().to_string();
    assert!(
        err.contains("rule 1: duplicate id (first defined in"),
        "{err}"
    );
    let none = format!("{}/*.json", dir.display());
    let err = load_files(&[none.as_str()]).unwrap_err().to_string();
    assert!(err.ends_with("no rule file matches"), "{err}");
    let missing = format!("{}/missing.yaml", dir.display());
    assert!(matches!(
        load_files(&[missing.as_str()]),
        Err(RuleError::NoMatch { .. })
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn io_error_message() {
    let err = RuleError::Io {
        file: "f.yaml".into(),
        source: std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied"),
    };
    assert_eq!(err.to_string(), "f.yaml: cannot read: denied");
}

#[test]
fn wildcards() {
    assert!(wildcard(b"*.yaml", b"10-x.yaml"));
    assert!(wildcard(b"?0-*.y*ml", b"10-x.yml"));
    assert!(!wildcard(b"*.yaml", b"x.yml"));
}
