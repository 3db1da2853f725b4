//! Cross-site scripting: scans the decoded value as HTML (tags that execute or
//! load content, event-handler attributes, dangerous URI schemes in attribute
//! values, CSS expressions) and as JavaScript (a string or statement broken out
//! of, followed by a call to a sink).

use std::sync::OnceLock;

use regex::Regex;

use super::norm::Norm;
use super::{Finding, InputContext, Level, Signal};

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
    super::static_regex(&R, r"<(/?):?([a-z][a-z0-9:_-]*)([^<>]*)(>?)")
}

fn global_call_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    super::static_regex(
        &R,
        r#"(?:^|[^a-z0-9_$])(?:self|top|this|window|frames|parent|globalthis|content|opener)\s*\[.{1,600}?\]\s*(?:\(|`)|\.constructor\s*\.\s*constructor|\.\s*(?:call|apply|bind)\s*`|\$\{\s*(?:alert|prompt|confirm|eval)\s*\}|\.constructor\s*\(|(?:\[\s*\]|!\s*\[\s*\]|\+\s*\[\s*\]){4}"#,
    )
}

fn bare_handler_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    super::static_regex(
        &R,
        r#"(?:^|[\s"'/;>`])on[a-z]{3,}\s*=\s*["'`]?\s*[(]?[a-z_$][\w$.]*\s*\)?\s*(?:\?\.\s*)?(?:\(|`)"#,
    )
}

fn handler_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    super::static_regex(&R, r#"(?:^|[\s/"'`;])(on[a-z]{3,})\s*="#)
}

fn attr_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    super::static_regex(&R, r#"(?:^|[\s/"'])([a-z:-]+)\s*=\s*["'`]?\s*([^\s"'`>]*)"#)
}

fn sink_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    super::static_regex(
        &R,
        r#"(?:^|[^a-z0-9_.$])(alert|prompt|confirm|eval|settimeout|setinterval|execscript|msgbox|fetch|atob|document\.write(?:ln)?|string\.fromcharcode|import)\s*\)?\s*(?:\.\s*(?:call|apply|bind)\s*)?(?:\?\.\s*)?(?:\(|`)|document\s*\)?\s*(?:\?\.|\.|\[\s*["'`])\s*(?:cookie|domain|location)|\.constructor\s*\("#,
    )
}

/// Detects cross-site scripting in one value.
pub fn detect(n: &Norm, ctx: InputContext) -> Option<Finding> {
    let s = n.lower.as_str();
    // A parameter name never holds `onload=`: such a name is an attribute
    // written into the page.
    if ctx.is_name() && s.contains('=') && handler_re().is_match(s) {
        return Some(Finding::new(
            Level::Pl1,
            "event handler in a parameter name",
            &n.text,
        ));
    }
    if s.contains('<') && (s.contains(' ') || s.contains("<\t")) {
        if let Some(r) = spaced_tag(s) {
            return Some(r.finding(&n.text));
        }
    }
    if cannot_match(s) {
        return None;
    }
    let seven = seven_bit(s);
    let s = seven.as_str();
    let untagged = strip_junk_tags(s);
    let s = untagged.as_str();
    let uncommented = strip_js_comments(s);
    let checks = [
        tags(s),
        uri_scheme(s),
        global_call_re()
            .is_match(&uncommented)
            .then_some(Signal::new(Level::Pl1, "obfuscated JavaScript call")),
        jsfuck(s).then_some(Signal::new(Level::Pl1, "JSFuck-style JavaScript")),
        bare_handler_re()
            .is_match(s)
            .then_some(Signal::new(Level::Pl1, "event handler with code")),
        js_break(&uncommented),
        css(s),
        dom_code(&uncommented),
        attribute_breakout(s),
    ];
    let found = checks.into_iter().flatten().min_by_key(|c| c.level);
    found.map(|sig| sig.finding(&n.text))
}

/// True when no check of `detect` can fire: tags need `<`, URIs and CSS `:`
/// or `(`, global calls and JSFuck `[`, a backtick or `constructor`, handlers
/// `=`, sinks `(`, a backtick or `document`. `seven_bit` only rewrites text
/// holding `¼` or `¾`, and the other rewrites only remove characters.
fn cannot_match(s: &str) -> bool {
    !s.contains(['<', ':', '[', '`', '=', '(', '\u{bc}', '\u{be}'])
        && !s.contains("constructor")
        && !s.contains("document")
        && !s.contains("window")
}

/// Code built only from `[]()!+` (JSFuck and its relatives).
fn jsfuck(s: &str) -> bool {
    let sq = squeeze(s);
    let sym = sq.chars().filter(|c| "[]()!+{}".contains(*c)).count();
    let pairs = sq.matches("[]").count();
    let len = sq.chars().count();
    pairs >= 5 && sym * 100 >= len * 60 || pairs >= 3 && sym * 100 >= len * 90
}

/// Text that arrived as UTF-8 but is read by a 7-bit (US-ASCII) consumer:
/// `¼script¾` is `<script>` once the high bit is dropped.
fn seven_bit(s: &str) -> String {
    if !s.contains(['\u{bc}', '\u{be}']) {
        return s.to_string();
    }
    s.chars()
        .filter(|c| !('\u{c0}'..='\u{df}').contains(c))
        .map(|c| match c as u32 {
            0xa0..=0xbf => char::from_u32(c as u32 - 0x80).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// `o<x>nfocus`: short junk tags inside a word, which filters strip and
/// browsers then read as one word.
fn strip_junk_tags(s: &str) -> String {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = super::static_regex(&R, r"([a-z])<[a-z]{1,3}>([a-z(])");
    if !s.contains('<') {
        return s.to_string();
    }
    re.replace_all(s, "$1$2").into_owned()
}

/// Removes `/* ... */` comments (JavaScript and CSS).
fn strip_js_comments(s: &str) -> String {
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

fn tags(s: &str) -> Option<Signal> {
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

fn squeeze(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect()
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

fn uri_scheme(s: &str) -> Option<Signal> {
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

fn js_break(s: &str) -> Option<Signal> {
    let m = sink_re().find(s)?;
    let lead = m.as_str().chars().next().map_or(0, char::len_utf8);
    let before = s[..m.start() + lead].trim_end();
    let tail: String = before
        .chars()
        .rev()
        .filter(|c| !c.is_whitespace())
        .take(3)
        .collect();
    let prev = s[..m.start() + lead]
        .trim_end_matches(char::is_alphanumeric)
        .trim_end()
        .chars()
        .last();
    if m.as_str().contains("document") {
        return Some(Signal::new(Level::Pl1, "document property access"));
    }
    let prefix_ok = before.len() <= 1
        || prev.is_some_and(|c| !c.is_alphanumeric())
        || tail.chars().any(|c| {
            matches!(
                c,
                '"' | '\'' | '`' | ';' | '>' | '}' | ')' | '+' | '-' | '|' | '&' | '*' | ','
            )
        });
    let called = s[m.end()..]
        .trim_start()
        .chars()
        .next()
        .is_some_and(|c| c != ' ');
    if prefix_ok && (called || m.as_str().contains('(')) {
        return Some(Signal::new(
            Level::Pl1,
            "JavaScript sink after a context break",
        ));
    }
    Some(Signal::new(Level::Pl2, "JavaScript sink"))
}

/// `<s c r i p t`, `<f o r m`: a tag name spelled with spaces between its
/// letters, the shape of filter-evasion probes.
fn spaced_tag(s: &str) -> Option<Signal> {
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

/// Script that reaches into the page (`window.location`, `document.body.
/// appendChild(...)`, `document.querySelector(...)`) at the start of the value
/// or right after a quote or tag end: injected, not quoted source code.
fn dom_code(s: &str) -> Option<Signal> {
    if !s.contains("document") && !s.contains("window") {
        return None;
    }
    static R: OnceLock<Regex> = OnceLock::new();
    let re = super::static_regex(
        &R,
        r#"(?:^\s*|["'`>]\s*;?\s*)(?:window\.location\b|(?:window|document)\.(?:location|cookie|domain)\s*(?:=|\.|\[)|document\.(?:body|head|documentelement|queryselector(?:all)?|getelementby[a-z]+|createelement|forms|scripts)\s*[.(\[])"#,
    );
    re.is_match(s)
        .then_some(Signal::new(Level::Pl1, "script access to the page"))
}

/// `"onmouseover=...`, `'formaction=`: a quote that closes an attribute
/// value, then a new attribute that runs script.
fn attribute_breakout(s: &str) -> Option<Signal> {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = super::static_regex(
        &R,
        r#"^\s*[a-z0-9]*["'`]\s*/?\s*(?:on[a-z]{3,}|formaction|srcdoc)\s*="#,
    );
    re.is_match(s).then_some(Signal::new(
        Level::Pl1,
        "attribute injected after a closing quote",
    ))
}

fn css(s: &str) -> Option<Signal> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lvl(s: &str) -> Option<Level> {
        detect(&Norm::new(s), InputContext::QueryValue).map(|f| f.level)
    }

    #[test]
    fn early_exit_only_without_needed_characters() {
        for s in ["hello world", "size-42_x.y", "o'brien & co"] {
            assert!(cannot_match(s), "{s}");
        }
        for s in [
            "<b>",
            "vbscript:go",
            "top[\"a\"+\"b\"]``",
            "x.constructor.constructor",
            "a onclick=go",
            "go`1`",
            "document.cookie",
            "\u{bc}b\u{be}",
        ] {
            assert!(!cannot_match(s), "{s}");
        }
    }

    #[test]
    fn catches_xss() {
        for s in [
            "<ScRiPt>go()</script>",
            "\"><img src=q onerror=go(1)>",
            "<svg/onload=run()>",
            "<iframe src=//evil.example>",
            "<a href=\"jav&#x09;ascript:void(run())\">x</a>",
            "javascript:run(document.domain)",
            "\";alert(7)//",
            "'-prompt(8)-'",
            "<div style=\"width:expression(run())\">",
            "%253Cbody%2520onpageshow%253Dgo()%253E",
            "<custom onpointerenter=go()>",
            "data:text/html;base64,PHNjcmlwdD4=",
            "</script><b>",
            "(confirm)(3)",
            "prompt.call(null,4)",
            "x\"));if(!a)b=!alert(5)}catch(e){}//",
            "\"onFocus=\"(alert)(6)",
            "(document/*x*/)[\"cookie\"]",
            "<style>p{-moz-binding:url(//example.net/x.xml#y)}</style>",
            "top[(![]+[])[+[]]+(![]+[])[+!+[]]+([]+[])[!+[]+!+[]]](1)",
            "document /* c */ . cookie",
            "[].map.call`${go}`",
            "x\" o<y>nfocus=go<y>(1)",
            "\u{bc}script\u{be}go(1)\u{bc}/script\u{be}",
            "a:url(javascript",
            "(![]+[])[+!+[]]",
            "<v:vmlframe src=\"example.net/a.fml\"/>",
            "window.location='//example.net'",
            "document.body.innerHTML='x'",
            "document.getElementById('a').click()",
            "\" onpointerenter=x",
            "' formaction=//example.net",
            "java\tscript:go()",
            "java&tab;script:",
            "<meta http-equiv=\"set-cookie\" content=\"a=b\">",
            "<link rel=import href=//example.net/x>",
            "[].map.call`${alert}x`",
            "x<s c r i p t",
            "<i f r a m e src=x",
        ] {
            assert_eq!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }

    #[test]
    fn passes_benign() {
        for s in [
            "<b>bold</b> and <p>para</p>",
            "if a < b and c > d then",
            "<a href=\"https://example.com/page\">link</a>",
            "<img src=\"cat.png\" alt=\"a cat\">",
            "The one-off fee is low",
            "send an alert to the team",
            "my javascript skills",
            "confirm your email",
            "open the window. location is fine",
            "the document body text",
            "\"one\" = two",
            "O'Neil",
            "javascript: the good parts",
            "see http://example.com/a?b=c",
            "Array.from(document.querySelectorAll(\".x\"))",
            "if a < b c d then",
            "score < f o o",
        ] {
            assert_ne!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }
}
