//! XSS in HTML: tags that run or load content, event-handler attributes,
//! script URIs in attribute values, tag names spelled out with spaces,
//! attributes injected after a closing quote, and CSS expressions.

use std::sync::OnceLock;

use regex::Regex;

use super::squeeze;
use crate::waf::detect::{static_regex, Level, Signal};

const LOADING_TAGS: &[&str] = &[
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "portal", "import",
    "isindex", "vmlframe",
];

const WEAK_TAGS: &[&str] = &[
    "svg", "math", "base", "meta", "link", "style", "form", "xml", "template", "xss",
];

const URI_ATTRS: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "xlink:href",
    "background",
    "dynsrc",
    "lowsrc",
    "content",
    "srcdoc",
    "poster",
    "code",
    "codebase",
    "to",
    "from",
    "values",
    "by",
];

fn tag_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    static_regex(&R, r"<(/?):?([a-z][a-z0-9:_-]*)([^<>]*)(>?)")
}

pub(super) fn handler_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    static_regex(&R, r#"(?:^|[\s/"'`;])(on[a-z]{3,})\s*="#)
}

fn attr_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    static_regex(&R, r#"(?:^|[\s/"'])([a-z:-]+)\s*=\s*["'`]?\s*([^\s"'`>]*)"#)
}

pub(super) fn tags(s: &str) -> Option<Signal> {
    if !s.contains('<') {
        return None;
    }
    let mut best: Option<Signal> = None;
    if let Some(first) = tag_re().find(s) {
        if handler_re().is_match(&s[first.start()..]) {
            return Some(Signal::new(Level::Pl1, "event handler after a tag"));
        }
    }
    for c in tag_re().captures_iter(s) {
        let (close, name, attrs) = (&c[1], &c[2], &c[3]);
        let r = one_tag(close == "/", name, attrs, !c[4].is_empty());
        if let Some(r) = r {
            if r.level == Level::Pl1 {
                return Some(r);
            }
            best = best.or(Some(r));
        }
    }
    best
}

fn one_tag(close: bool, name: &str, attrs: &str, closed: bool) -> Option<Signal> {
    let name = name.rsplit(':').next().unwrap_or(name);
    if close {
        return (name == "script" || name == "style" || name == "textarea" || name == "title")
            .then_some(Signal::new(
                if name == "script" {
                    Level::Pl1
                } else {
                    Level::Pl2
                },
                "closing tag breaking out of a raw-text element",
            ));
    }
    if handler_re().is_match(attrs) {
        return Some(Signal::new(Level::Pl1, "event handler attribute"));
    }
    if attrs_have_bad_uri(attrs) {
        return Some(Signal::new(Level::Pl1, "dangerous URI in attribute"));
    }
    if attrs.contains("expression(")
        || attrs.contains("-moz-binding")
        || attrs.contains("behavior:")
    {
        return Some(Signal::new(Level::Pl1, "CSS expression in attribute"));
    }
    if LOADING_TAGS.contains(&name) && (closed || attrs.contains('=')) {
        return Some(Signal::new(Level::Pl1, "tag that runs or loads content"));
    }
    if WEAK_TAGS.contains(&name) {
        let lvl = if name == "base" && attrs.contains("href")
            || name == "meta" && attrs.contains("refresh")
            || name == "meta"
                && closed
                && (attrs.contains("charset") || attrs.contains("http-equiv"))
            || name == "link" && attrs.contains("href") && closed
            || matches!(name, "svg" | "math" | "xss" | "style") && closed
        {
            Level::Pl1
        } else {
            Level::Pl2
        };
        return Some(Signal::new(lvl, "tag that can change the page"));
    }
    None
}

fn attrs_have_bad_uri(attrs: &str) -> bool {
    attr_re().captures_iter(attrs).any(|c| {
        let name = c[1].trim_start_matches("xlink:");
        (URI_ATTRS.contains(&name) || name == "href") && is_bad_uri(&squeeze(&c[2]))
    }) || is_bad_uri_anywhere(&squeeze(attrs))
}

fn is_bad_uri(v: &str) -> bool {
    let v = v.trim_start_matches(['"', '\'', '`']);
    v.starts_with("javascript:")
        || v.starts_with("vbscript:")
        || v.starts_with("livescript:")
        || v.starts_with("data:text/html")
        || v.starts_with("data:image/svg")
        || v.starts_with("data:application/x-javascript")
        || v.starts_with("data:text/javascript")
}

fn is_bad_uri_anywhere(sq: &str) -> bool {
    ["javascript:", "vbscript:", "livescript:", "data:text/html"]
        .iter()
        .any(|p| uri_at_value_start(sq, p))
}

/// `scheme` in the squeezed text `sq` where a URI value starts: at the start,
/// or after `=`, a quote, `(` or a backtick.
fn uri_at_value_start(sq: &str, scheme: &str) -> bool {
    sq.match_indices(scheme)
        .any(|(i, _)| i == 0 || sq[..i].ends_with(['=', '"', '\'', '(', '`']))
}

pub(super) fn uri_scheme(s: &str) -> Option<Signal> {
    let sq = squeeze(s);
    let t = sq.trim_start_matches(['"', '\'', '`', '(', '[', '=']);
    let colon = t.find(':').unwrap_or(0);
    let benign = [
        "javascript:void(0)",
        "javascript:void(0);",
        "javascript:;",
        "javascript:void0",
    ]
    .contains(&t);
    let code = !benign && t[colon..].contains(['(', '`', '=', '[', '{', ';', '<', '\\'])
        || !t.starts_with("javascript:") && !t.starts_with("vbscript:");
    if is_bad_uri(t) && t.len() > colon + 1 && code {
        return Some(Signal::new(Level::Pl1, "script URI"));
    }
    // `ja&tab;vascript:`, `java script:`: a script scheme whose name is broken
    // by whitespace or control characters, which browsers drop.
    if ["javascript:", "vbscript:", "livescript:"]
        .iter()
        .any(|p| !s.contains(p) && uri_at_value_start(&sq, p))
    {
        return Some(Signal::new(Level::Pl1, "script URI with a split scheme"));
    }
    if is_bad_uri_anywhere(&sq) {
        return Some(Signal::new(Level::Pl2, "script URI inside text"));
    }
    None
}

/// `<s c r i p t`, `<f o r m`: a tag name spelled with spaces between its
/// letters, the shape of filter-evasion probes.
pub(super) fn spaced_tag(s: &str) -> Option<Signal> {
    const NAMES: &[&str] = &[
        "script", "iframe", "form", "dialog", "object", "embed", "frame", "frameset", "svg", "img",
        "image", "body", "input", "style", "video", "audio", "marquee", "details", "button",
        "select", "textarea", "isindex", "math", "link", "meta", "base", "applet", "template",
        "portal", "keygen",
    ];
    for (i, _) in s.match_indices('<') {
        let rest = s[i + 1..].trim_start();
        // Single letters, each followed by one space or tab.
        let mut letters = String::new();
        let b = rest.as_bytes();
        let mut j = 0;
        while j < b.len() && letters.len() <= 10 && b[j].is_ascii_alphabetic() {
            let next = b.get(j + 1).copied();
            if next.is_some_and(|c| c.is_ascii_alphabetic()) {
                break;
            }
            letters.push(b[j] as char);
            if !matches!(next, Some(b' ' | b'\t')) {
                break;
            }
            j += 2;
        }
        if letters.len() >= 3
            && NAMES.contains(&letters.as_str())
            && !rest.starts_with(letters.as_str())
        {
            return Some(Signal::new(Level::Pl1, "tag name spelled out with spaces"));
        }
    }
    None
}

/// `"onmouseover=...`, `'formaction=`: a quote that closes an attribute
/// value, then a new attribute that runs script.
pub(super) fn attribute_breakout(s: &str) -> Option<Signal> {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = static_regex(
        &R,
        r#"^\s*[a-z0-9]*["'`]\s*/?\s*(?:on[a-z]{3,}|formaction|srcdoc)\s*="#,
    );
    re.is_match(s).then_some(Signal::new(
        Level::Pl1,
        "attribute injected after a closing quote",
    ))
}

pub(super) fn css(s: &str) -> Option<Signal> {
    let sq = squeeze(s);
    if sq.contains(":expression(")
        || sq.contains("-moz-binding:url")
        || sq.contains("behavior:url(")
        || sq.contains("url(javascript")
        || sq.contains("url(vbscript")
    {
        return Some(Signal::new(Level::Pl1, "CSS expression"));
    }
    None
}
