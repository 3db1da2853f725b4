//! Attack detectors: each one parses or normalises a value the way the target
//! interpreter would (SQL, HTML/JS, shell, paths, URLs, templates...) and
//! reports injected syntax, not keywords.

pub use crate::waf::engine::memo::Value;

pub mod cmdi;
pub mod crlf;
pub mod file_inclusion;
mod finding;
mod glob;
pub mod java;
pub mod jndi;
pub mod ldap;
pub mod norm;
pub mod nosql;
pub mod path_traversal;
pub mod php;
pub mod scanner;
pub mod sqli;
pub mod ssrf;
pub mod ssti;
pub mod xss;
pub mod xxe;

use crate::waf::decode;
pub use finding::{Finding, Hit, Level, Signal};
use norm::Norm;

/// Where a value came from; detectors use it for context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputContext {
    /// A URL path (or one of its segments).
    Path,
    /// A query argument name.
    QueryName,
    /// A query argument value.
    QueryValue,
    /// A form body field name.
    BodyName,
    /// A form body field value.
    BodyValue,
    /// A JSON string value or key.
    Json,
    /// XML text, attribute values or the whole XML document.
    Xml,
    /// A cookie value.
    Cookie,
    /// A request header value.
    Header,
    /// The User-Agent header.
    UserAgent,
    /// The Referer header.
    Referer,
    /// Anything else (a raw body, a whole request line).
    Raw,
}

impl InputContext {
    /// True for names (argument, field or JSON keys) rather than values.
    pub fn is_name(self) -> bool {
        matches!(self, InputContext::QueryName | InputContext::BodyName)
    }

    /// True for header-like contexts.
    pub fn is_header(self) -> bool {
        matches!(
            self,
            InputContext::Header
                | InputContext::UserAgent
                | InputContext::Referer
                | InputContext::Cookie
        )
    }
}

/// The detectors, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Detector {
    /// SQL injection.
    Sqli,
    /// Cross-site scripting.
    Xss,
    /// OS command injection.
    Cmdi,
    /// Directory traversal.
    PathTraversal,
    /// Local and remote file inclusion.
    FileInclusion,
    /// Server-side request forgery targets.
    Ssrf,
    /// XML external entities.
    Xxe,
    /// Server-side template injection.
    Ssti,
    /// JNDI / Log4Shell lookups.
    Jndi,
    /// PHP code and object injection.
    Php,
    /// Java, OGNL, SpEL and EL injection.
    JavaInjection,
    /// NoSQL (MongoDB) operator injection.
    Nosql,
    /// LDAP filter injection.
    Ldap,
    /// CRLF / header injection.
    Crlf,
    /// Known scanners and attack tools.
    Scanner,
}

impl Detector {
    /// Every detector, in a fixed order.
    pub const ALL: [Detector; 15] = [
        Detector::Sqli,
        Detector::Xss,
        Detector::Cmdi,
        Detector::PathTraversal,
        Detector::FileInclusion,
        Detector::Ssrf,
        Detector::Xxe,
        Detector::Ssti,
        Detector::Jndi,
        Detector::Php,
        Detector::JavaInjection,
        Detector::Nosql,
        Detector::Ldap,
        Detector::Crlf,
        Detector::Scanner,
    ];

    /// The detector with this YAML name.
    pub fn from_name(s: &str) -> Option<Detector> {
        Detector::ALL.iter().copied().find(|d| d.name() == s)
    }

    /// The YAML name of this detector.
    pub fn name(self) -> &'static str {
        match self {
            Detector::Sqli => "sqli",
            Detector::Xss => "xss",
            Detector::Cmdi => "cmdi",
            Detector::PathTraversal => "path_traversal",
            Detector::FileInclusion => "file_inclusion",
            Detector::Ssrf => "ssrf",
            Detector::Xxe => "xxe",
            Detector::Ssti => "ssti",
            Detector::Jndi => "jndi",
            Detector::Php => "php",
            Detector::JavaInjection => "java",
            Detector::Nosql => "nosql",
            Detector::Ldap => "ldap",
            Detector::Crlf => "crlf",
            Detector::Scanner => "scanner",
        }
    }
}

/// The regex in `cell`, compiled from `pattern` on first use (detector
/// patterns are fixed, so a bad one is a bug caught by the tests).
pub(crate) fn static_regex(
    cell: &'static std::sync::OnceLock<regex::Regex>,
    pattern: &str,
) -> &'static regex::Regex {
    cell.get_or_init(|| regex::Regex::new(pattern).expect("static regex"))
}

/// `s` with its `/* ... */` comments removed (SQL, JavaScript and CSS write
/// them alike); an unclosed comment runs to the end.
pub(crate) fn strip_block_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find("/*") {
        out.push_str(&rest[..p]);
        match rest[p + 2..].find("*/") {
            Some(e) => rest = &rest[p + 2 + e + 2..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// A fixed table from words to a kind letter (ahash: fast on short keys, and
/// nothing a client sends is ever inserted).
pub(crate) type WordMap = ahash::AHashMap<&'static str, char>;

/// The kind of each word in `lists`; a word in several lists takes the kind
/// of the first one (as a chain of `contains` checks in that order would).
pub(crate) fn word_map(lists: &[(&[&'static str], char)]) -> WordMap {
    let mut m = WordMap::default();
    for (words, kind) in lists {
        for w in words.iter() {
            m.entry(*w).or_insert(*kind);
        }
    }
    m
}

fn run_norm(detector: Detector, n: &Norm, ctx: InputContext) -> Option<Hit> {
    let f = run_one(detector, n, ctx).or_else(|| {
        let alt = n.alt.as_deref()?;
        run_one(detector, alt, ctx).or_else(|| {
            let t = alt.text.trim_start();
            if !t.starts_with(['{', '[']) {
                return None;
            }
            t.split('"')
                .skip(1)
                .step_by(2)
                .find_map(|v| run_one(detector, &Norm::new(v), ctx))
        })
    });
    f.map(|f| Hit::new(detector, f))
}

fn run_one(detector: Detector, n: &Norm, ctx: InputContext) -> Option<Finding> {
    if n.binary && detector != Detector::JavaInjection {
        return None;
    }
    match detector {
        Detector::Sqli => sqli::detect(n, ctx),
        Detector::Xss => xss::detect(n, ctx),
        Detector::Cmdi => cmdi::detect(n, ctx),
        Detector::PathTraversal => path_traversal::detect(n, ctx),
        Detector::FileInclusion => file_inclusion::detect(n, ctx),
        Detector::Ssrf => ssrf::detect(n, ctx),
        Detector::Xxe => xxe::detect(n, ctx),
        Detector::Ssti => ssti::detect(n, ctx),
        Detector::Jndi => jndi::detect(n, ctx),
        Detector::Php => php::detect(n, ctx),
        Detector::JavaInjection => java::detect(n, ctx),
        Detector::Nosql => nosql::detect(n, ctx),
        Detector::Ldap => ldap::detect(n, ctx),
        Detector::Crlf => crlf::detect(n, ctx),
        Detector::Scanner => scanner::detect(n, ctx),
    }
}

/// Runs one detector on one value (already URL-decoded once by the engine).
/// Outcomes are remembered per value and context (see [`Value`]), so a value
/// is normalised once and each detector judges it once, however many rules
/// or requests ask.
pub fn run(detector: Detector, input: &str, ctx: InputContext) -> Option<Hit> {
    Value::lookup(input).run(detector, ctx)
}

/// What `run` computes when the memo does not know the answer.
pub(crate) fn judge(detector: Detector, input: &str, n: &Norm, ctx: InputContext) -> Option<Hit> {
    let from_name = || {
        let v = name_value(n, ctx)?;
        run_norm(detector, &Norm::new(&v), InputContext::QueryValue)
    };
    run_norm(detector, n, ctx)
        .or_else(from_name)
        .or_else(|| {
            referer_args(input, ctx)
                .find_map(|v| run_norm(detector, &Norm::new(&v), InputContext::QueryValue))
        })
        .or_else(|| {
            path_base64(input, ctx)
                .find_map(|v| run_norm(detector, &Norm::new(&v), InputContext::QueryValue))
        })
}

/// A REST-style path can carry a base64-encoded parameter as one segment
/// (`/items/PHNjcmlwdD4...`): its decoded text is judged like a query value.
/// (A whole-value base64 check would miss it behind the other segments, and
/// path context is too lenient for what the segment decodes to.)
fn path_base64(input: &str, ctx: InputContext) -> impl Iterator<Item = String> + '_ {
    let path = if ctx == InputContext::Path { input } else { "" };
    path.split('/')
        .filter(|seg| seg.len() >= 16)
        .filter_map(|seg| {
            decode::base64_probable_text(seg).or_else(|| decode::base64_ascii_text(seg))
        })
}

/// An argument name holding an encoded `=` carries a value after it
/// (`pay%3D...` sent as a name): that part is judged as a value.
fn name_value(n: &Norm, ctx: InputContext) -> Option<String> {
    if !ctx.is_name() {
        return None;
    }
    let (_, v) = n.text.split_once('=')?;
    (!v.trim().is_empty()).then(|| v.to_string())
}

/// A Referer is a URL whose query the client controls: its argument values
/// are judged like query values.
fn referer_args(input: &str, ctx: InputContext) -> impl Iterator<Item = String> + '_ {
    let query = match ctx {
        InputContext::Referer => input.split_once('?').map(|(_, q)| q).unwrap_or(""),
        _ => "",
    };
    query
        .split('&')
        .filter_map(|p| p.split_once('=').map(|(_, v)| v))
        .filter(|v| !v.is_empty())
        .map(|v| decode::percent_decode(v, true).0.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every detector's hit on `input`, through [`run`] (memo and [`judge`]):
    /// the path the engine's detector operator takes for a request.
    fn hits(input: &str, ctx: InputContext) -> Vec<Hit> {
        Detector::ALL
            .iter()
            .filter_map(|&d| run(d, input, ctx))
            .collect()
    }

    #[test]
    fn names_round_trip() {
        for d in Detector::ALL {
            assert_eq!(Detector::from_name(d.name()), Some(d));
        }
        assert_eq!(Detector::from_name("nope"), None);
    }

    #[test]
    fn strips_block_comments() {
        assert_eq!(strip_block_comments("a/* x */b/**/c"), "abc");
        assert_eq!(strip_block_comments("a /* open"), "a ");
        assert_eq!(strip_block_comments("no comment */"), "no comment */");
    }

    #[test]
    fn never_panics_on_odd_input() {
        let odd = [
            "\u{5e73}&\u{5e73}&#x;&#99999999999;%u12%",
            "\u{ff1c}script\u{ff1e}\\u{zz}\\x",
            "\u{bc}script\u{be}alert(\u{a2}x\u{a2})",
            "%c0%ff%e0%80%ff%f0${${${",
            "\u{4e2d}\u{6587}'or'\u{6587}'='\u{6587}",
            "system(\u{4e2d}) eval(\u{4e2d}(",
        ];
        for s in odd {
            for ctx in [
                InputContext::QueryValue,
                InputContext::BodyName,
                InputContext::Path,
                InputContext::Header,
                InputContext::Referer,
                InputContext::Json,
            ] {
                let _ = hits(s, ctx);
            }
        }
    }

    #[test]
    fn never_panics_on_generated_input() {
        let alphabet: Vec<char> =
            "a'\"`;|&$(){}[]<>/\\%#*?!=:.,-+ \n\r\t0xX@~^_é中\u{ff1c}\u{560a}&#;u"
                .chars()
                .collect();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..3000 {
            let mut s = String::new();
            for _ in 0..(seed % 40) {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                s.push(alphabet[(seed >> 33) as usize % alphabet.len()]);
            }
            seed = seed.wrapping_add(7);
            for ctx in [
                InputContext::QueryValue,
                InputContext::Path,
                InputContext::Json,
                InputContext::Referer,
            ] {
                let _ = hits(&s, ctx);
            }
        }
    }

    #[test]
    fn judges_value_hidden_in_a_name_and_referer() {
        let found = hits("q=1 union select pass,2 from users", InputContext::BodyName);
        assert!(found
            .iter()
            .any(|h| h.detector == Detector::Sqli && h.level == Level::Pl1));
        let found = hits(
            "https://example.org/p?x=%3Cscript%3Ego()%3C/script%3E",
            InputContext::Referer,
        );
        assert!(found
            .iter()
            .any(|h| h.detector == Detector::Xss && h.level == Level::Pl1));
        assert!(hits("https://example.org/p?q=shoes", InputContext::Referer).is_empty());
        assert!(run(Detector::Sqli, "sort=name", InputContext::QueryName).is_none());
    }

    #[test]
    fn judges_base64_path_segments_as_values() {
        use base64::Engine;
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let attack = format!("/api/v2/{}/view", enc("<img src=x onerror=go()>"));
        assert!(run(Detector::Xss, &attack, InputContext::Path).is_some());
        let benign = format!("/api/v2/{}/view", enc("customer:12345 (archived)"));
        assert!(run(Detector::Xss, &benign, InputContext::Path).is_none());
        assert!(run(Detector::Sqli, &benign, InputContext::Path).is_none());
        // Only paths: the same text as a query value is the base64 second
        // look's business (rule 200101), not this one's.
        assert!(path_base64(&attack, InputContext::QueryValue)
            .next()
            .is_none());
        // All letters once encoded, which whole-value base64 checks refuse.
        let letters = format!("/{}", enc("alert( domain )"));
        assert!(
            letters[1..].bytes().all(|b| b.is_ascii_alphabetic()),
            "{letters}"
        );
        assert!(run(Detector::Xss, &letters, InputContext::Path).is_some());
        for word in [
            "/getUserProfileSettingsForAccount",
            "/ThisIsALongCamelCaseSegment",
        ] {
            assert!(
                path_base64(word, InputContext::Path).next().is_none(),
                "{word}"
            );
        }
    }

    #[test]
    fn run_benign_is_empty() {
        for s in [
            "hello world",
            "O'Brien",
            "price < 10 & qty > 2",
            "/images/logo.png",
        ] {
            assert!(
                hits(s, InputContext::QueryValue)
                    .iter()
                    .all(|h| h.level > Level::Pl1),
                "{s}"
            );
        }
    }
}
