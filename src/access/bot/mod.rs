//! Bot scoring (0-100, higher is more bot-like) from the User-Agent, the
//! consistency of the headers a browser always sends, and behaviour over a
//! sliding window; verified good bots by configured IP ranges. Scoring only:
//! a per-route [`BotPolicy`] turns the score into allow, log, challenge or
//! block.

pub mod behaviour;
pub mod challenge;
pub mod policy;
use crate::access::bot::behaviour::{Behaviour, BehaviourConfig, Observed};
use crate::access::clock::SharedClock;
use crate::access::ip::list::{parse_entry, IpListError};
use crate::access::ip::prefix::{EntryKind, Rule, Table};
use crate::access::request::RequestAttrs;
use serde::Deserialize;
use std::net::IpAddr;
use std::sync::Arc;

/// Known scanners and attack tools (lower case substrings).
const ATTACK_TOOLS: &[&str] = &[
    "sqlmap",
    "nikto",
    "nmap",
    "masscan",
    "zgrab",
    "nuclei",
    "wpscan",
    "dirbuster",
    "gobuster",
    "dirb/",
    "ffuf",
    "feroxbuster",
    "wfuzz",
    "acunetix",
    "netsparker",
    "w3af",
    "havij",
    "hydra",
    "openvas",
    "nessus",
    "zmeu",
    "jorgee",
    "fimap",
    "commix",
    "arachni",
    "skipfish",
    "whatweb",
    "xsstrike",
    "jaeles",
    "interactsh",
    "censysinspect",
    "l9explore",
    "morfeus",
];

/// Headless browsers and automation frameworks.
const HEADLESS: &[&str] = &[
    "headlesschrome",
    "phantomjs",
    "selenium",
    "webdriver",
    "puppeteer",
    "playwright",
    "slimerjs",
];

/// HTTP libraries and command-line clients.
const LIBRARIES: &[&str] = &[
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "curl/",
    "wget/",
    "go-http-client",
    "libwww-perl",
    "lwp::",
    "java/",
    "apache-httpclient",
    "okhttp",
    "axios/",
    "node-fetch",
    "undici",
    "scrapy",
    "httpie",
    "powershell",
    "winhttp",
    "guzzlehttp",
    "ruby",
    "php/",
    "libcurl",
];

/// Signals that added to a score (bit set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Signals(pub u16);

macro_rules! signals {
    ($($name:ident = $bit:expr, $text:expr, $score:expr;)*) => {
        impl Signals {
            $(
                #[doc = concat!("Signal: ", $text, ".")]
                pub const $name: Signals = Signals(1 << $bit);
            )*
            const ALL: &'static [(Signals, &'static str, u8)] = &[$((Self::$name, $text, $score)),*];
        }
    };
}

signals! {
    EMPTY_UA = 0, "empty user agent", 40;
    MALFORMED_UA = 1, "malformed user agent", 25;
    ATTACK_TOOL = 2, "attack tool user agent", 80;
    HEADLESS = 3, "headless browser", 45;
    LIBRARY = 4, "http library user agent", 30;
    NO_ACCEPT = 5, "browser without accept", 15;
    NO_ACCEPT_LANGUAGE = 6, "browser without accept-language", 20;
    NO_ACCEPT_ENCODING = 7, "browser without accept-encoding", 10;
    NO_SEC_FETCH = 8, "modern browser without sec-fetch headers", 15;
    FAKE_GOOD_BOT = 9, "good bot user agent from an unverified address", 50;
    HIGH_RATE = 10, "high request rate", 30;
    MANY_PATHS = 11, "many distinct paths", 20;
    ERRORS = 12, "high error ratio", 25;
}

impl Signals {
    /// True when every bit of `other` is set.
    pub fn contains(self, other: Signals) -> bool {
        self.0 & other.0 == other.0
    }

    fn add(&mut self, other: Signals) {
        self.0 |= other.0;
    }

    /// The sum of the signals' weights, at most 100.
    pub fn score(self) -> u8 {
        let sum: u32 = Self::ALL
            .iter()
            .filter(|(s, _, _)| self.contains(*s))
            .map(|(_, _, w)| u32::from(*w))
            .sum();
        sum.min(100) as u8
    }

    /// Human-readable names of the signals (for logs).
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::ALL
            .iter()
            .filter(move |(s, _, _)| self.contains(*s))
            .map(|(_, t, _)| *t)
    }
}

/// A verified good bot: requests from `ranges` are never scored.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoodBotConfig {
    /// Name (logs).
    pub name: String,
    /// The bot's published address ranges.
    pub ranges: Vec<String>,
    /// A User-Agent token the bot sends (e.g. `Googlebot`): that token from
    /// any other address is an impersonation.
    #[serde(default)]
    pub user_agent: Option<String>,
}

/// The YAML of bot detection.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotConfig {
    /// Verified good bots.
    #[serde(default)]
    pub good_bots: Vec<GoodBotConfig>,
    /// Extra User-Agent substrings that count as attack tools.
    #[serde(default)]
    pub extra_attack_tools: Vec<String>,
    /// Behaviour scoring.
    #[serde(default)]
    pub behaviour: BehaviourConfig,
}

/// The result of scoring one request.
#[derive(Debug, Clone, PartialEq)]
pub struct BotReport {
    /// 0 (human-like) to 100.
    pub score: u8,
    /// What contributed.
    pub signals: Signals,
    /// Set for a verified good bot (score 0).
    pub good_bot: Option<Arc<str>>,
    /// The behaviour window after this request.
    pub observed: Observed,
}

struct GoodBot {
    name: Arc<str>,
    ranges: Table,
    ua_token: Option<String>,
}

/// The bot scorer.
pub struct BotDetector {
    good: Vec<GoodBot>,
    extra_tools: Vec<String>,
    behaviour: Behaviour,
    clock: SharedClock,
}

impl std::fmt::Debug for BotDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotDetector").finish_non_exhaustive()
    }
}

fn build_good_bot(c: &GoodBotConfig) -> Result<GoodBot, IpListError> {
    let mut ranges = Table::default();
    for (i, r) in c.ranges.iter().enumerate() {
        let net = parse_entry(r).ok_or_else(|| IpListError::BadEntry {
            origin: format!("good bot {}", c.name),
            line: i + 1,
            entry: r.clone(),
        })?;
        let rule = Rule {
            expires_micros: u64::MAX,
            reason: c.name.as_str().into(),
            skip_waf: false,
        };
        ranges.insert(net, EntryKind::Allow { skip_waf: false }, rule);
    }
    Ok(GoodBot {
        name: c.name.as_str().into(),
        ranges,
        ua_token: c.user_agent.as_ref().map(|t| t.to_ascii_lowercase()),
    })
}

/// User-Agent signals.
pub fn ua_signals(ua: &str, extra_tools: &[String]) -> Signals {
    let mut s = Signals::default();
    let ua = ua.trim();
    if ua.is_empty() {
        s.add(Signals::EMPTY_UA);
        return s;
    }
    let lower = ua.to_ascii_lowercase();
    let has = |list: &[&str]| list.iter().any(|t| lower.contains(t));
    if has(ATTACK_TOOLS) || extra_tools.iter().any(|t| lower.contains(t.as_str())) {
        s.add(Signals::ATTACK_TOOL);
    }
    if has(HEADLESS) {
        s.add(Signals::HEADLESS);
    }
    if has(LIBRARIES) {
        s.add(Signals::LIBRARY);
    }
    let odd = ua.chars().any(|c| c.is_control()) || ua.len() < 8 || ua.len() > 1024;
    if odd || !ua.contains('/') {
        s.add(Signals::MALFORMED_UA);
    }
    s
}

/// The major version after `token` (e.g. `Chrome/`), if any.
fn version_after(ua: &str, token: &str) -> Option<u32> {
    let rest = &ua[ua.find(token)? + token.len()..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Header-consistency signals for a request whose agent claims a browser.
pub fn header_signals(req: &impl RequestAttrs, ua: &str) -> Signals {
    let mut s = Signals::default();
    if !ua.starts_with("Mozilla/") {
        return s;
    }
    let missing = |h: &str| req.header(h).is_none_or(|v| v.trim().is_empty());
    if missing("accept") {
        s.add(Signals::NO_ACCEPT);
    }
    if missing("accept-language") {
        s.add(Signals::NO_ACCEPT_LANGUAGE);
    }
    if missing("accept-encoding") {
        s.add(Signals::NO_ACCEPT_ENCODING);
    }
    let chrome = version_after(ua, "Chrome/").is_some_and(|v| v >= 80);
    let firefox = version_after(ua, "Firefox/").is_some_and(|v| v >= 90);
    if (chrome || firefox) && missing("sec-fetch-mode") && missing("sec-fetch-dest") {
        s.add(Signals::NO_SEC_FETCH);
    }
    s
}

/// Behaviour signals from the window.
pub fn behaviour_signals(o: &Observed, cfg: &BehaviourConfig) -> Signals {
    let mut s = Signals::default();
    if o.requests > cfg.max_requests as f32 {
        s.add(Signals::HIGH_RATE);
    }
    if o.paths > cfg.max_paths as f32 {
        s.add(Signals::MANY_PATHS);
    }
    let ratio = o.errors as f32 / o.current.max(1) as f32;
    if o.current >= cfg.min_requests && ratio > cfg.max_error_ratio {
        s.add(Signals::ERRORS);
    }
    s
}

impl BotDetector {
    /// A detector with `cfg`.
    pub fn new(cfg: &BotConfig, clock: SharedClock) -> Result<Self, IpListError> {
        let good = cfg
            .good_bots
            .iter()
            .map(build_good_bot)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            good,
            extra_tools: cfg
                .extra_attack_tools
                .iter()
                .map(|t| t.to_ascii_lowercase())
                .collect(),
            behaviour: Behaviour::new(cfg.behaviour.clone()),
            clock,
        })
    }

    /// Scores `req` and counts it in the behaviour window.
    pub fn score(&self, req: &impl RequestAttrs) -> BotReport {
        let ip = req.client_ip();
        let now = self.clock.now_micros();
        if let Some(g) = self
            .good
            .iter()
            .find(|g| g.ranges.lookup(ip, now).is_some())
        {
            return BotReport {
                score: 0,
                signals: Signals::default(),
                good_bot: Some(g.name.clone()),
                observed: Observed::default(),
            };
        }
        let ua = req.header("user-agent").unwrap_or("");
        let mut signals = ua_signals(ua, &self.extra_tools);
        signals.add(header_signals(req, ua));
        let lower = ua.to_ascii_lowercase();
        let fake = self.good.iter().filter_map(|g| g.ua_token.as_deref());
        if fake.into_iter().any(|t| lower.contains(t)) {
            signals.add(Signals::FAKE_GOOD_BOT);
        }
        let observed = self.behaviour.record_request(ip, req.path(), now);
        signals.add(behaviour_signals(&observed, self.behaviour.config()));
        BotReport {
            score: signals.score(),
            signals,
            good_bot: None,
            observed,
        }
    }

    /// Records the status a client got (logging phase), for the error ratio.
    pub fn record_status(&self, ip: IpAddr, status: u16) {
        self.behaviour
            .record_status(ip, status, self.clock.now_micros());
    }

    /// Frees expired behaviour slots.
    pub fn sweep(&self) -> usize {
        self.behaviour.sweep(self.clock.now_micros())
    }
}

pub use crate::access::bot::policy::{BotAction, BotPolicy};

#[cfg(test)]
mod tests;
