//! Transformations: the normalisation chain a rule applies to a value before
//! its operator runs. The decoding steps are [`crate::waf::decode`]'s (read
//! leniently); the rest (case, whitespace, comments, paths, command lines)
//! live here. Every function returns `Cow::Borrowed` when nothing changes.

use std::borrow::Cow;

use crate::waf::decode::{self, Strictness};

/// One transformation, by its YAML name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transform {
    /// Percent-decode, including `%uHHHH` and `+` as space (`url_decode`).
    UrlDecode,
    /// HTML entities, named and numeric, `;` optional (`html_entity_decode`).
    HtmlEntityDecode,
    /// JavaScript escapes (`js_decode`).
    JsDecode,
    /// CSS escapes (`css_decode`).
    CssDecode,
    /// Lenient base64 (`base64_decode`).
    Base64Decode,
    /// Unicode lowercase (`lowercase`).
    Lowercase,
    /// Runs of whitespace become one space (`compress_whitespace`).
    CompressWhitespace,
    /// All whitespace removed (`remove_whitespace`).
    RemoveWhitespace,
    /// NUL characters removed (`remove_nulls`).
    RemoveNulls,
    /// `/* ... */` becomes one space (`replace_comments`).
    ReplaceComments,
    /// `/* */`, `<!-- -->`, and `--` / `#` to end of line removed (`remove_comments`).
    RemoveComments,
    /// Backslashes to `/`, `//` collapsed, `.` and `..` resolved (`normalize_path`).
    NormalizePath,
    /// Command-line normalisation like ModSecurity's `t:cmdLine` (`cmdline`).
    CmdLine,
    /// Unicode look-alikes folded to ASCII: full-width forms, ideographic and
    /// no-break spaces, circled letters and digits, quote marks (`unicode_fold`).
    UnicodeFold,
    /// Leading and trailing whitespace removed (`trim`).
    Trim,
    /// Strict base64 for second looks (`base64_text`): decodes only a value that
    /// is entirely base64 (8+ characters) of printable UTF-8 text.
    Base64Text,
}

impl Transform {
    /// Every transformation with its YAML name.
    pub const NAMES: [(&'static str, Transform); 16] = [
        ("url_decode", Transform::UrlDecode),
        ("html_entity_decode", Transform::HtmlEntityDecode),
        ("js_decode", Transform::JsDecode),
        ("css_decode", Transform::CssDecode),
        ("base64_decode", Transform::Base64Decode),
        ("lowercase", Transform::Lowercase),
        ("compress_whitespace", Transform::CompressWhitespace),
        ("remove_whitespace", Transform::RemoveWhitespace),
        ("remove_nulls", Transform::RemoveNulls),
        ("replace_comments", Transform::ReplaceComments),
        ("remove_comments", Transform::RemoveComments),
        ("normalize_path", Transform::NormalizePath),
        ("cmdline", Transform::CmdLine),
        ("unicode_fold", Transform::UnicodeFold),
        ("trim", Transform::Trim),
        ("base64_text", Transform::Base64Text),
    ];

    /// The transformation with this YAML name.
    pub fn from_name(name: &str) -> Option<Transform> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
    }

    /// Applies this transformation.
    pub fn apply(self, s: &str) -> Cow<'_, str> {
        match self {
            Transform::UrlDecode => decode::percent_decode(s, true).0,
            Transform::HtmlEntityDecode => decode::html_entity_decode(s, Strictness::Lenient),
            Transform::JsDecode => decode::js_decode(s, Strictness::Lenient),
            Transform::CssDecode => decode::css_decode(s),
            Transform::Base64Decode => decode::base64_lenient(s),
            Transform::Lowercase => lowercase(s),
            Transform::CompressWhitespace => compress_whitespace(s),
            Transform::RemoveWhitespace => remove_whitespace(s),
            Transform::RemoveNulls => decode::remove_nulls(s),
            Transform::ReplaceComments => replace_comments(s, " "),
            Transform::RemoveComments => remove_comments(s),
            Transform::NormalizePath => normalize_path(s),
            Transform::CmdLine => cmdline(s),
            Transform::UnicodeFold => decode::unicode_fold(s),
            Transform::Trim => Cow::Borrowed(s.trim()),
            Transform::Base64Text => decode::base64_whole_text(s),
        }
    }
}

/// Applies a chain of transformations in order.
pub fn apply_chain<'a>(chain: &[Transform], s: &'a str) -> Cow<'a, str> {
    let mut cur: Cow<'a, str> = Cow::Borrowed(s);
    for t in chain {
        if let Cow::Owned(next) = t.apply(&cur) {
            cur = Cow::Owned(next);
        }
    }
    cur
}

fn is_ws(c: char) -> bool {
    c.is_whitespace() || c == '\u{b}' || c == '\u{c}'
}

/// Unicode lowercase.
pub fn lowercase(s: &str) -> Cow<'_, str> {
    if s.chars().any(char::is_uppercase) {
        Cow::Owned(s.to_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// Runs of whitespace become one space.
pub fn compress_whitespace(s: &str) -> Cow<'_, str> {
    let needs = s
        .char_indices()
        .any(|(i, c)| is_ws(c) && (c != ' ' || s[i + 1..].starts_with(is_ws)));
    if !needs {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut in_ws = false;
    for c in s.chars() {
        if is_ws(c) {
            if !in_ws {
                out.push(' ');
            }
            in_ws = true;
        } else {
            out.push(c);
            in_ws = false;
        }
    }
    Cow::Owned(out)
}

fn remove_where(s: &str, pred: impl Fn(char) -> bool) -> Cow<'_, str> {
    if s.chars().any(&pred) {
        Cow::Owned(s.chars().filter(|c| !pred(*c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// All whitespace removed.
pub fn remove_whitespace(s: &str) -> Cow<'_, str> {
    remove_where(s, is_ws)
}

/// `/* ... */` (an unterminated one runs to the end) replaced by `with`.
pub fn replace_comments<'a>(s: &'a str, with: &str) -> Cow<'a, str> {
    if !s.contains("/*") {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        out.push_str(with);
        match rest[start + 2..].find("*/") {
            Some(end) => rest = &rest[start + 2 + end + 2..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// `/* */` and `<!-- -->` removed, and `--` or `#` to the end of the line.
pub fn remove_comments(s: &str) -> Cow<'_, str> {
    if !["/*", "<!--", "--", "#"].iter().any(|m| s.contains(m)) {
        return Cow::Borrowed(s);
    }
    let step = replace_comments(s, "");
    let mut out = String::with_capacity(step.len());
    let mut rest: &str = &step;
    loop {
        let next = [rest.find("<!--"), rest.find("--"), rest.find('#')]
            .into_iter()
            .flatten()
            .min();
        let Some(pos) = next else { break };
        out.push_str(&rest[..pos]);
        let (close, skip) = if rest[pos..].starts_with("<!--") {
            ("-->", 3)
        } else {
            ("\n", 0)
        };
        rest = match rest[pos..].find(close) {
            Some(end) => &rest[pos + end + skip..],
            None => "",
        };
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Backslashes become `/`, repeated slashes collapse, `.` and `..` resolve
/// (never above the root). A trailing slash is kept.
pub fn normalize_path(s: &str) -> Cow<'_, str> {
    let dirty =
        s.contains('\\') || s.contains("//") || s.split('/').any(|seg| seg == "." || seg == "..");
    if !dirty {
        return Cow::Borrowed(s);
    }
    let unified = s.replace('\\', "/");
    let absolute = unified.starts_with('/');
    let trailing = unified.ends_with('/')
        || unified.ends_with("/.")
        || unified.ends_with("/..")
        || unified == "."
        || unified == "..";
    let mut parts: Vec<&str> = Vec::new();
    for seg in unified.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let mut out = String::with_capacity(s.len());
    if absolute {
        out.push('/');
    }
    out.push_str(&parts.join("/"));
    if trailing && !parts.is_empty() {
        out.push('/');
    }
    Cow::Owned(out)
}

/// Command-line normalisation: drop `\ " ' ^`, drop spaces before `/` and `(`,
/// `,` and `;` become spaces, whitespace compressed, lowercase.
pub fn cmdline(s: &str) -> Cow<'_, str> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '"' | '\'' | '^' => {}
            '/' | '(' => {
                while out.ends_with(' ') {
                    out.pop();
                }
                out.push(c);
            }
            ',' | ';' => push_space(&mut out),
            c if is_ws(c) => push_space(&mut out),
            c => out.extend(c.to_lowercase()),
        }
    }
    if out == s {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(out)
    }
}

fn push_space(out: &mut String) {
    if !out.ends_with(' ') {
        out.push(' ');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, input: &str) -> String {
        Transform::from_name(name)
            .unwrap()
            .apply(input)
            .into_owned()
    }

    #[test]
    fn names_round_trip() {
        for (name, tr) in Transform::NAMES {
            assert_eq!(Transform::from_name(name), Some(tr));
        }
        assert_eq!(Transform::from_name("nope"), None);
    }

    #[test]
    fn each_transformation() {
        assert_eq!(t("url_decode", "%3Cb%3E+x"), "<b> x");
        assert_eq!(t("html_entity_decode", "&lt;i&gt;"), "<i>");
        assert_eq!(t("js_decode", r"\x41"), "A");
        assert_eq!(t("css_decode", r"\41"), "A");
        assert_eq!(t("base64_decode", "YWJj"), "abc");
        assert_eq!(t("lowercase", "SeLeCT"), "select");
        assert_eq!(t("compress_whitespace", "a \t\n b  c"), "a b c");
        assert_eq!(t("remove_whitespace", "s e\tl"), "sel");
        assert_eq!(t("remove_nulls", "a\0b"), "ab");
        assert_eq!(t("replace_comments", "un/**/ion/* x"), "un ion ");
        assert_eq!(
            t("remove_comments", "un/**/ion -- x\ny<!-- c -->z"),
            "union \nyz"
        );
        assert_eq!(t("remove_comments", "a#b"), "a");
        assert_eq!(t("normalize_path", "/a/./b/../c//d\\e"), "/a/c/d/e");
        assert_eq!(t("normalize_path", "/../../etc/"), "/etc/");
        assert_eq!(t("cmdline", "C^a\"t  /ETC;id,x"), "cat/etc id x");
        assert_eq!(t("unicode_fold", "\u{ff1c}script\u{ff1e}"), "<script>");
        assert_eq!(t("trim", "  x "), "x");
        assert_eq!(t("base64_text", "PHNjcmlwdD4="), "<script>");
        assert_eq!(t("base64_text", "hello world"), "hello world");
        assert_eq!(t("base64_text", "/wD/AP8A/wD/"), "/wD/AP8A/wD/");
        assert_eq!(t("base64_text", "abcdefgh"), "abcdefgh");
    }

    #[test]
    fn unchanged_is_borrowed() {
        for (_, tr) in Transform::NAMES {
            if tr == Transform::Base64Decode {
                continue;
            }
            assert!(
                matches!(tr.apply("plain"), Cow::Borrowed(_)),
                "{tr:?} allocated"
            );
        }
    }

    #[test]
    fn chain_applies_in_order() {
        let chain = [Transform::UrlDecode, Transform::Lowercase];
        assert_eq!(apply_chain(&chain, "%53ELECT"), "select");
        assert_eq!(apply_chain(&[], "x"), "x");
    }
}
