//! Each rule of `filters/15-policy.yaml` with a request it must flag and a
//! benign look-alike it must pass.

use rampart::waf::engine::compile::Engine;
use rampart::waf::engine::policy::Policy;
use rampart::waf::request::RequestView;
use rampart::waf::yaml;

fn engine() -> Engine {
    Engine::compile(
        yaml::load_files(&[concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/filters/15-policy.yaml"
        )])
        .unwrap(),
    )
}

fn matched(e: &Engine, method: &str, uri: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u32> {
    let mut hs: Vec<(String, String)> = vec![("host".into(), "shop.example.com".into())];
    hs.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let view = RequestView::new(
        method,
        uri,
        &hs,
        (!body.is_empty()).then_some(body),
        "192.0.2.1".parse().unwrap(),
    );
    e.evaluate(&view, &Policy::default())
        .matches
        .iter()
        .map(|m| m.rule_id)
        .collect()
}

#[test]
fn each_policy_rule_flags_its_shape_and_passes_a_look_alike() {
    let e = engine();
    type Case<'a> = (
        u32,
        (&'a str, &'a str, Vec<(&'a str, &'a str)>, &'a [u8]),
        (&'a str, &'a str, Vec<(&'a str, &'a str)>, &'a [u8]),
    );
    let long_ae = "gzip,".repeat(30);
    let cases: Vec<Case> = vec![
        (
            150001,
            ("GET", "/site/db-dump.sql", vec![], b""),
            ("GET", "/docs/sql-tutorial.html", vec![], b""),
        ),
        (
            150001,
            ("GET", "/.git/config", vec![], b""),
            ("GET", "/github/config", vec![], b""),
        ),
        (
            150002,
            ("GET", "/", vec![("proxy", "http://attacker:8080")], b""),
            ("GET", "/", vec![("proxy-authorization", "Basic eA==")], b""),
        ),
        (
            150003,
            ("GET", "/", vec![("content-length", "12")], b"hello world!"),
            ("POST", "/", vec![("content-length", "12")], b"hello world!"),
        ),
        (
            150004,
            (
                "GET",
                "/f.pdf",
                vec![("range", "bytes=0-1,2-3,4-5,6-7,8-9,10-11")],
                b"",
            ),
            ("GET", "/f.pdf", vec![("range", "bytes=0-1023")], b""),
        ),
        (
            150005,
            ("GET", "/", vec![("cookie", "$Version=1; sid=a")], b""),
            ("GET", "/", vec![("cookie", "version=1; sid=a")], b""),
        ),
        (
            150006,
            (
                "POST",
                "/",
                vec![("content-type", "text/plain; charset=utf-7")],
                b"x",
            ),
            (
                "POST",
                "/",
                vec![("content-type", "text/plain; charset=utf-8")],
                b"x",
            ),
        ),
        (
            150007,
            (
                "POST",
                "/",
                vec![("content-type", "text/plain; charset=utf-8; charset=ibm037")],
                b"x",
            ),
            (
                "POST",
                "/",
                vec![("content-type", "text/plain; charset=utf-8")],
                b"x",
            ),
        ),
        (
            150008,
            ("GET", "/", vec![("connection", "keep-alive, close")], b""),
            ("GET", "/", vec![("connection", "keep-alive")], b""),
        ),
        (
            150010,
            ("GET", "/unix:/run/app.sock|http://internal/", vec![], b""),
            ("GET", "/unix-tools/pipe", vec![], b""),
        ),
        (
            150011,
            ("GET", "/search?q=%uff1cscript", vec![], b""),
            ("GET", "/search?q=%e4%bd%a0", vec![], b""),
        ),
        (
            150012,
            (
                "GET",
                "/?x=%3Cscript%3Edocument.cookie%3D%22a%3Db%3B%20domain%3D.example.com%22",
                vec![],
                b"",
            ),
            ("GET", "/?x=cookie%20policy%20domain", vec![], b""),
        ),
        (
            150013,
            ("GET", "/?__proto__[admin]=1", vec![], b""),
            ("GET", "/?proto=http", vec![], b""),
        ),
        (150014, ("GET", "/", vec![], b""), ("GET", "/", vec![], b"")),
        (
            150016,
            ("GET", "/login?PHPSESSID=abc123", vec![], b""),
            ("GET", "/login?session=abc123", vec![], b""),
        ),
        (
            150016,
            ("GET", "/auth?koa.sess=eyJ4IjoxfQ", vec![], b""),
            ("GET", "/auth?sessionId=s-1688", vec![], b""),
        ),
        (
            150008,
            (
                "GET",
                "/",
                vec![("connection", "keep-alive, keep-alive")],
                b"",
            ),
            ("GET", "/", vec![("connection", "keep-alive, Upgrade")], b""),
        ),
        (
            150018,
            (
                "GET",
                "/",
                vec![("content-type", "text/plain; charset=utf-8; junk")],
                b"",
            ),
            (
                "GET",
                "/",
                vec![("content-type", "text/plain; charset=\"utf-8\"")],
                b"",
            ),
        ),
        (
            150031,
            ("GET", "/", vec![("transfer-encoding", "chunked")], b""),
            ("POST", "/", vec![("transfer-encoding", "chunked")], b""),
        ),
        (
            150032,
            ("GET", "/", vec![("accept", "")], b""),
            ("GET", "/", vec![("accept", "*/*")], b""),
        ),
        (
            150033,
            ("GET", "/", vec![("accept-encoding", long_ae.as_str())], b""),
            (
                "GET",
                "/",
                vec![("accept-encoding", "gzip, deflate, br, zstd")],
                b"",
            ),
        ),
        (
            150026,
            (
                "GET",
                "/",
                vec![("user-agent", "/root/.aws/credentials")],
                b"",
            ),
            ("GET", "/", vec![("user-agent", "aws-sdk-go/1.44")], b""),
        ),
        (
            150034,
            ("GET", "/?next=x%20GET%20/admin%20HTTP/1.1", vec![], b""),
            ("GET", "/?next=/admin", vec![], b""),
        ),
        (
            150001,
            ("GET", "/backup/site.sql.gz", vec![], b""),
            ("GET", "/backup/site.tar.gz", vec![], b""),
        ),
    ];
    for (id, (m, u, h, b), (bm, bu, bh, bb)) in cases {
        if id != 150014 {
            assert!(
                matched(&e, m, u, &h, b).contains(&id),
                "rule {id} must flag {m} {u} {h:?}"
            );
        }
        assert!(
            !matched(&e, bm, bu, &bh, bb).contains(&id),
            "rule {id} must pass {bm} {bu} {bh:?}"
        );
    }
    // 150014: numeric Host.
    let hs = vec![("host".to_string(), "203.0.113.9:8080".to_string())];
    let v = RequestView::new("GET", "/", &hs, None, "192.0.2.1".parse().unwrap());
    assert!(e
        .evaluate(&v, &Policy::default())
        .matches
        .iter()
        .any(|m| m.rule_id == 150014));
    // 150009 and 150015: multipart evasion.
    let mp = b"--b\r\nContent-Disposition: form-data; name=\"f\"\r\nContent-Transfer-Encoding: base64\r\n\r\nPHNjcmlwdD4=\r\n--b--\r\n";
    assert!(matched(
        &e,
        "POST",
        "/u",
        &[("content-type", "multipart/form-data; boundary=b")],
        mp
    )
    .contains(&150009));
    let ok = b"--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nhello\r\n--b--\r\n";
    let got = matched(
        &e,
        "POST",
        "/u",
        &[("content-type", "multipart/form-data; boundary=b")],
        ok,
    );
    assert!(!got.contains(&150009) && !got.contains(&150015), "{got:?}");
    let utf7 = b"--b\r\nContent-Disposition: form-data; name=\"f\"\r\nContent-Type: text/plain; charset=utf-7\r\n\r\n+ADw-\r\n--b--\r\n";
    assert!(matched(
        &e,
        "POST",
        "/u",
        &[("content-type", "multipart/form-data; boundary=b")],
        utf7
    )
    .contains(&150023));
    let bad = b"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt;.php\"\r\n\r\nx\r\n--b--\r\n";
    assert!(matched(
        &e,
        "POST",
        "/u",
        &[("content-type", "multipart/form-data; boundary=b")],
        bad
    )
    .contains(&150015));
    // 150015, 150029 and 150030: names of file parts, backslash escapes.
    let part = |name: &str, file: &str| {
        format!("--b\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\r\nx\r\n--b--\r\n")
    };
    let mp = [("content-type", "multipart/form-data; boundary=b")];
    let got = |name: &str, file: &str| matched(&e, "POST", "/u", &mp, part(name, file).as_bytes());
    assert!(got("a;b", "x.txt").contains(&150015));
    assert!(got("a\\b", "x.txt").contains(&150029));
    assert!(got("cv", "cv.p\\d\\f").contains(&150030));
    assert!(got("a'b", "x.txt").contains(&150015));
    assert!(!got("cv", "O'Brien CV.pdf").contains(&150015));
    // 150035: the apostrophe in a file name counts from PL2 on.
    let body = part("cv", "O'Brien CV.pdf");
    let hs: Vec<(String, String)> = mp
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let view = RequestView::new(
        "POST",
        "/u",
        &hs,
        Some(body.as_bytes()),
        "192.0.2.1".parse().unwrap(),
    );
    let pl = |paranoia| Policy {
        paranoia,
        ..Policy::default()
    };
    let ids = |p: &Policy| {
        e.evaluate(&view, p)
            .matches
            .iter()
            .map(|m| m.rule_id)
            .collect::<Vec<_>>()
    };
    assert!(!ids(&pl(1)).contains(&150035));
    assert!(ids(&pl(2)).contains(&150035));
    let fine = got("cv", "C:\\Users\\me\\cv.pdf");
    assert!(
        !fine.contains(&150030) && !fine.contains(&150015),
        "{fine:?}"
    );
}
