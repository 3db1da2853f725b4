use super::*;
use crate::access::clock::ManualClock;
use crate::access::request::SimpleRequest;

const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

fn browser(ip: &str) -> SimpleRequest {
    SimpleRequest::new(ip)
        .with_header("User-Agent", CHROME)
        .with_header("Accept", "text/html,application/xhtml+xml")
        .with_header("Accept-Language", "en-GB,en;q=0.9")
        .with_header("Accept-Encoding", "gzip, br")
        .with_header("Sec-Fetch-Mode", "navigate")
        .with_header("Sec-Fetch-Dest", "document")
}

fn detector(yaml: &str) -> (BotDetector, Arc<ManualClock>) {
    let cfg: BotConfig = serde_yaml::from_str(yaml).unwrap();
    let clock = ManualClock::new(1_700_000_000_000_000);
    (BotDetector::new(&cfg, clock.clone()).unwrap(), clock)
}

#[test]
fn a_real_browser_scores_zero() {
    let (d, _) = detector("{}");
    let r = d.score(&browser("192.0.2.1"));
    assert_eq!((r.score, r.signals), (0, Signals::default()));
}

#[test]
fn user_agents_score_by_kind() {
    let none = ua_signals("", &[]);
    assert_eq!(none, Signals::EMPTY_UA);
    assert!(
        ua_signals("sqlmap/1.7.2#stable (https://sqlmap.org)", &[]).contains(Signals::ATTACK_TOOL)
    );
    assert!(ua_signals("Mozilla/5.00 (Nikto/2.1.6)", &[]).contains(Signals::ATTACK_TOOL));
    let headless = CHROME.replace("Chrome/", "HeadlessChrome/");
    assert!(ua_signals(&headless, &[]).contains(Signals::HEADLESS));
    let py = ua_signals("python-requests/2.31.0", &[]);
    assert_eq!(py, Signals::LIBRARY);
    assert_eq!(ua_signals("curl/8.5.0", &[]).score(), 30);
    assert!(ua_signals("x", &[]).contains(Signals::MALFORMED_UA));
    assert!(ua_signals("hello\u{1}world/1", &[]).contains(Signals::MALFORMED_UA));
    assert!(ua_signals("MyScanner/1.0", &["myscanner".into()]).contains(Signals::ATTACK_TOOL));
    assert_eq!(ua_signals(CHROME, &[]), Signals::default());
    assert!(ua_signals("sqlmap/1.0", &[]).score() >= 80);
}

#[test]
fn a_browser_agent_without_browser_headers_is_suspect() {
    let bare = SimpleRequest::new("192.0.2.1").with_header("User-Agent", CHROME);
    let s = header_signals(&bare, CHROME);
    for sig in [
        Signals::NO_ACCEPT,
        Signals::NO_ACCEPT_LANGUAGE,
        Signals::NO_ACCEPT_ENCODING,
        Signals::NO_SEC_FETCH,
    ] {
        assert!(s.contains(sig), "{:?}", s.names().collect::<Vec<_>>());
    }
    assert_eq!(s.score(), 60);
    let old = "Mozilla/5.0 (Windows NT 6.1) Gecko/20100101 Firefox/60.0";
    let r = SimpleRequest::new("192.0.2.1")
        .with_header("Accept", "*/*")
        .with_header("Accept-Language", "de")
        .with_header("Accept-Encoding", "gzip");
    assert_eq!(
        header_signals(&r, old),
        Signals::default(),
        "old firefox: no sec-fetch"
    );
    assert_eq!(
        header_signals(&bare, "curl/8"),
        Signals::default(),
        "not a browser"
    );
}

#[test]
fn good_bots_by_range_and_impersonators() {
    let yaml = "good_bots: [{name: googlebot, ranges: ['66.249.64.0/19'], user_agent: Googlebot}]";
    let (d, _) = detector(yaml);
    let ua = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    let real = SimpleRequest::new("66.249.66.1").with_header("User-Agent", ua);
    let r = d.score(&real);
    assert_eq!((r.score, r.good_bot.as_deref()), (0, Some("googlebot")));
    let fake = SimpleRequest::new("203.0.113.5").with_header("User-Agent", ua);
    let r = d.score(&fake);
    assert!(
        r.signals.contains(Signals::FAKE_GOOD_BOT) && r.score >= 50,
        "{r:?}"
    );
    let bad: BotConfig = serde_yaml::from_str("good_bots: [{name: x, ranges: [nope]}]").unwrap();
    let clock = ManualClock::new(0);
    assert!(BotDetector::new(&bad, clock).is_err());
}

#[test]
fn behaviour_raises_the_score_and_decays() {
    let yaml = "behaviour: {window: 10s, max_requests: 20, max_paths: 10, max_error_ratio: 0.5, min_requests: 5}";
    let (d, clock) = detector(yaml);
    let ip: IpAddr = "192.0.2.9".parse().unwrap();
    let mut last = None;
    for i in 0..30 {
        last = Some(d.score(&browser("192.0.2.9").with_path(&format!("/wp-{i}.php"))));
        d.record_status(ip, 404);
    }
    let r = last.unwrap();
    for sig in [Signals::HIGH_RATE, Signals::MANY_PATHS, Signals::ERRORS] {
        assert!(
            r.signals.contains(sig),
            "{:?}",
            r.signals.names().collect::<Vec<_>>()
        );
    }
    assert_eq!(r.score, 75);
    clock.advance(std::time::Duration::from_secs(30));
    assert_eq!(d.score(&browser("192.0.2.9")).score, 0);
    assert!(d.sweep() <= 1);
}

#[test]
fn a_browser_loading_a_heavy_page_stays_human() {
    let (d, _) = detector("{}");
    let mut last = None;
    for i in 0..60 {
        last = Some(d.score(&browser("192.0.2.50").with_path(&format!("/assets/{i}.js"))));
    }
    let r = last.unwrap();
    assert_eq!(r.score, 0, "{:?}", r.signals.names().collect::<Vec<_>>());
}
