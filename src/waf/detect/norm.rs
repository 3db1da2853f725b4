//! The detectors' normalisation: undoes every encoding an attacker can stack
//! on a value (repeated URL encoding, `%u`, overlong UTF-8, HTML entities, JS
//! escapes, UTF-7, full-width Unicode, NUL bytes) with the decoders of
//! [`crate::waf::decode`], and offers a base64-decoded view.

use std::borrow::Cow;

use crate::waf::decode::{self, Strictness};

/// A value in the forms the detectors look at.
#[derive(Debug, Clone)]
pub struct Norm {
    /// The value as received by the detector.
    pub raw: String,
    /// Fully decoded text (case kept).
    pub text: String,
    /// `text` in ASCII lowercase.
    pub lower: String,
    /// The value decoded from base64, when it is base64 of printable text.
    pub alt: Option<Box<Norm>>,
    /// The value is binary data (compressed, protobuf...), not text.
    pub binary: bool,
}

impl Norm {
    /// Normalises one value.
    pub fn new(input: &str) -> Norm {
        let mut n = Norm::plain(input);
        let whole = input.trim().trim_matches('/');
        n.alt = decode::base64_probable_text(whole)
            .or_else(|| {
                (whole.len() >= 12)
                    .then(|| decode::base64_short_text(whole))
                    .flatten()
            })
            .or_else(|| embedded_base64(&n.text))
            .map(|t| Box::new(Norm::plain(&t)));
        n
    }

    fn plain(input: &str) -> Norm {
        let binary = is_binary(input);
        // Binary data (an uploaded image, a compressed blob) is not text an
        // attacker encoded: only the Java detector reads it, for serialized
        // objects and class names, which are stored as they are. Undoing
        // "encodings" in it would cost rounds over the whole value.
        let text = if binary {
            input.to_string()
        } else {
            decode_all(input)
        };
        let lower = text.to_ascii_lowercase();
        Norm {
            raw: input.to_string(),
            text,
            lower,
            alt: None,
            binary,
        }
    }
}

/// True when a good share of the value is control or Latin-1 noise.
pub fn is_binary(s: &str) -> bool {
    let mut odd = 0usize;
    let mut all = 0usize;
    for c in s.chars().take(4096) {
        all += 1;
        let ctl = c.is_control() && !matches!(c, '\t' | '\r' | '\n' | '\u{b}' | '\u{c}');
        if ctl || ('\u{80}'..='\u{ff}').contains(&c) || c == '\u{fffd}' {
            odd += 1;
        }
    }
    all >= 24 && odd * 100 >= all * 20
}

/// Decodes until nothing changes (at most a few rounds): percent (with `%u`
/// and overlong UTF-8), JavaScript escapes, HTML references, UTF-7, then
/// look-alike folding and NUL removal, each read strictly
/// ([`Strictness::Strict`]): only what certainly is an encoding.
pub fn decode_all(input: &str) -> String {
    // Nothing for any decoder to act on (each checks for its own trigger;
    // this is the union): skip the rounds and their copies.
    let inert = input.is_ascii()
        && !input.contains(['%', '\\', '&', '\0'])
        && !(input.contains('+') && input.contains('-'));
    if inert {
        return input.to_string();
    }
    let mut cur = input.to_string();
    for _ in 0..4 {
        match round(&cur) {
            Cow::Owned(next) if next != cur => cur = next,
            _ => break,
        }
    }
    cur
}

/// One round of every decoder.
fn round(s: &str) -> Cow<'_, str> {
    let out = decode::percent_decode(s, false).0;
    let out = then(out, |v| decode::js_decode(v, Strictness::Strict));
    let out = then(out, |v| decode::html_entity_decode(v, Strictness::Strict));
    let out = then(out, decode::utf7_decode);
    let out = then(out, decode::remove_nulls);
    then(out, decode::unicode_fold)
}

/// `f` applied to `cur`, keeping `cur`'s allocation when `f` changes nothing.
fn then<'a>(cur: Cow<'a, str>, f: impl Fn(&str) -> Cow<'_, str>) -> Cow<'a, str> {
    match cur {
        Cow::Borrowed(b) => f(b),
        Cow::Owned(o) => match f(&o) {
            Cow::Owned(next) => Cow::Owned(next),
            Cow::Borrowed(_) => Cow::Owned(o),
        },
    }
}

/// Base64 runs inside a larger value (a JSON field, a serialized string),
/// decoded and joined, when any decodes to printable text.
pub fn embedded_base64(s: &str) -> Option<String> {
    if s.len() < 16 {
        return None;
    }
    let parts: Vec<String> = s
        .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_')))
        .map(|t| t.trim_matches('/'))
        .filter(|t| t.len() >= 12 && t.len() < s.len())
        .filter_map(decode::base64_short_text)
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_stacked_encodings() {
        assert_eq!(decode_all("%253Cscript%253E"), "<script>");
        assert_eq!(decode_all("%u003cb%u003e"), "<b>");
        assert_eq!(decode_all("..%c0%af..%c0%af"), "../../");
        assert_eq!(decode_all("&#x3c;&#60&lt;"), "<<<");
        assert_eq!(decode_all("\\x3cimg\\u003e"), "<img>");
        assert_eq!(decode_all("\u{ff1c}\u{ff53}"), "<s");
        assert_eq!(decode_all("a\0b"), "ab");
    }

    #[test]
    fn leaves_plain_text_alone() {
        assert_eq!(decode_all("50% off & more"), "50% off & more");
        assert_eq!(decode_all("C:\\temp\\x"), "C:\\temp\\x");
    }

    #[test]
    fn base64_view_only_for_text() {
        let n = Norm::new("aGVsbG8gd29ybGQgZnJvbSBtZQ==");
        assert_eq!(
            n.alt.map(|a| a.text).as_deref(),
            Some("hello world from me")
        );
        assert!(Norm::new("abcdefghijklmnopqrst").alt.is_none());
        assert!(Norm::new("short").alt.is_none());
    }

    #[test]
    fn numeric_references_with_many_leading_zeros() {
        assert_eq!(
            decode_all("&#0000000060;script&#x00000000003e;"),
            "<script>"
        );
    }
}
