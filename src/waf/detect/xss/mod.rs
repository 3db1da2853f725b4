//! Cross-site scripting: scans the decoded value as HTML (tags that execute or
//! load content, event-handler attributes, dangerous URI schemes in attribute
//! values, CSS expressions) and as JavaScript (a string or statement broken out
//! of, followed by a call to a sink).

mod html;
mod js;

use std::sync::OnceLock;

use regex::Regex;

use super::norm::Norm;
use super::{static_regex, strip_block_comments, Finding, InputContext, Level, Signal};
use html::{attribute_breakout, css, handler_re, spaced_tag, tags, uri_scheme};
use js::{bare_handler_re, dom_code, global_call_re, js_break, jsfuck};

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
    let uncommented = strip_block_comments(s);
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
    let re = static_regex(&R, r"([a-z])<[a-z]{1,3}>([a-z(])");
    if !s.contains('<') {
        return s.to_string();
    }
    re.replace_all(s, "$1$2").into_owned()
}

/// `s` without whitespace and control characters.
fn squeeze(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect()
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
