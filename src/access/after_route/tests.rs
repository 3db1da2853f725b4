use super::*;
use crate::access::clock::ManualClock;
use crate::access::config::AccessConfig;
use crate::access::request::SimpleRequest;

const YAML: &str = "
rate_limits: [{name: per_ip, rate: 3, window: 1m}, {name: soft, rate: 1, window: 1m, action: log}]
auto_ban: {strikes: 2, window: 1m, ban_for: 5m}
challenge: {secret: '0123456789abcdef0123456789abcdef', difficulty: 4}
";

fn state() -> AccessState {
    let cfg: AccessConfig = serde_yaml::from_str(YAML).unwrap();
    AccessState::build(&cfg, ManualClock::new(1_700_000_000_000_000)).unwrap()
}

fn route(state: &AccessState, yaml: &str) -> RoutePolicy {
    RoutePolicy::new(&serde_yaml::from_str(yaml).unwrap(), state).unwrap()
}

#[tokio::test]
async fn rate_limits_refuse_with_429_and_strikes_lead_to_a_ban() {
    let s = state();
    let r = route(&s, "{}");
    let req = SimpleRequest::new("192.0.2.1");
    let first = s.after_route(&req, &r, None).await.unwrap();
    assert_eq!(first.rate_limit_logged, None);
    let second = s.after_route(&req, &r, None).await.unwrap();
    assert_eq!(second.rate_limit_logged.as_deref(), Some("soft"));
    s.after_route(&req, &r, None).await.unwrap();
    let refused = s.after_route(&req, &r, None).await.unwrap_err();
    assert_eq!(refused.status(), 429);
    assert!(
        matches!(
            refused,
            Refusal::RateLimited {
                retry_after_secs: 20,
                ..
            }
        ),
        "{refused:?}"
    );
    s.after_route(&req, &r, None).await.unwrap_err();
    let banned = s.gate.early(req.ip);
    assert!(
        matches!(banned, crate::access::early::EarlyVerdict::Deny(_)),
        "{banned:?}"
    );
}

#[tokio::test]
async fn route_geo_policy_applies_to_the_early_country() {
    let s = state();
    let r = route(&s, "{geo: {allow: [GB], unknown: deny}}");
    let req = SimpleRequest::new("192.0.2.1");
    let gb = CountryCode::parse("GB");
    assert!(s.after_route(&req, &r, gb).await.is_ok());
    let fr = CountryCode::parse("fr");
    assert_eq!(s.after_route(&req, &r, fr).await, Err(Refusal::Geo(fr)));
    assert_eq!(s.after_route(&req, &r, None).await, Err(Refusal::Geo(None)));
}

#[tokio::test]
async fn bots_are_challenged_then_pass_and_tools_are_blocked() {
    let s = state();
    let r = route(&s, "{bots: {log_at: 20, challenge_at: 30, block_at: 80}}");
    let curl = SimpleRequest::new("192.0.2.9").with_header("User-Agent", "curl/8.5.0");
    let Err(Refusal::Challenge(page)) = s.after_route(&curl, &r, None).await else {
        panic!("curl on a browser route is challenged");
    };
    let seed = page
        .split("data-seed=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let nonce = (0u64..)
        .find(|n| {
            let req = curl
                .clone()
                .with_header("Cookie", &format!("rampart_pow={seed}.{n}"));
            s.challenger.as_ref().unwrap().evaluate(&req) != ChallengeCheck::Required
        })
        .unwrap();
    let solved = curl
        .clone()
        .with_header("Cookie", &format!("rampart_pow={seed}.{nonce}"));
    let notes = s.after_route(&solved, &r, None).await.unwrap();
    assert!(notes.set_cookie.is_some() && notes.bot_logged.is_some());
    let mut post = curl.clone();
    post.method = "POST".into();
    assert!(matches!(
        s.after_route(&post, &r, None).await,
        Err(Refusal::Bot(_))
    ));
    let sqlmap = SimpleRequest::new("192.0.2.10").with_header("User-Agent", "sqlmap/1.8");
    let refused = s.after_route(&sqlmap, &r, None).await.unwrap_err();
    assert!(
        matches!(&refused, Refusal::Bot(rep) if rep.score >= 80),
        "{refused:?}"
    );
    let api = route(&s, "{bots: {challenge_at: 30, api: true}}");
    let notes = s
        .after_route(&SimpleRequest::new("192.0.2.11"), &api, None)
        .await
        .unwrap();
    assert!(
        notes.bot_logged.is_some(),
        "API routes log instead of challenging"
    );
}

#[tokio::test]
async fn strikes_without_auto_ban_are_ignored() {
    let s = AccessState::build(&AccessConfig::default(), ManualClock::new(0)).unwrap();
    let ip = "192.0.2.1".parse().unwrap();
    assert_eq!(
        s.strike(ip, StrikeKind::WafBlock).await,
        StrikeOutcome::Ignored
    );
}

fn assert_send<T: Send>(_: T) {}

/// Pingora's phases are `Send` futures: so must ours be.
#[test]
fn the_async_entry_points_are_send() {
    let s = state();
    let r = RoutePolicy::default();
    let req = SimpleRequest::new("192.0.2.1");
    assert_send(s.after_route(&req, &r, None));
    assert_send(s.strike(req.ip, StrikeKind::WafBlock));
    assert_send(s.maintain());
}
