//! Base64 in the forms attackers use it: the rule transformation's lenient
//! decode, and the stricter checks that a value (or a part of one) is base64
//! of text, which decide whether the detectors take a second look.

use std::borrow::Cow;

use base64::engine::general_purpose::{GeneralPurpose, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::engine::{DecodePaddingMode, GeneralPurposeConfig};
use base64::Engine as _;

/// Standard alphabet, padding optional, trailing bits allowed.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// A character of the standard or URL-safe alphabet.
fn alphabet(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_')
}

/// `body` (unpadded) decoded as standard or URL-safe base64, when the bytes
/// are UTF-8.
fn decode_utf8(body: &str) -> Option<String> {
    let bytes = STANDARD_NO_PAD
        .decode(body)
        .or_else(|_| URL_SAFE_NO_PAD.decode(body))
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// Lenient decode (`base64_decode`): standard or URL-safe alphabet, padding
/// optional, other characters skipped. Returns the input unchanged when
/// nothing decodes.
pub fn base64_lenient(s: &str) -> Cow<'_, str> {
    let mut clean: Vec<u8> = s
        .bytes()
        .filter_map(|c| match c {
            b'-' => Some(b'+'),
            b'_' => Some(b'/'),
            c if alphabet(c) => Some(c),
            _ => None,
        })
        .collect();
    if clean.len() % 4 == 1 {
        clean.pop();
    }
    match LENIENT.decode(&clean) {
        Ok(bytes) if !bytes.is_empty() => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
        _ => Cow::Borrowed(s),
    }
}

/// The rule transformation `base64_text`: the whole trimmed value (8+
/// characters, standard or URL-safe alphabet, optional padding) must decode
/// to text with no replacement characters and no controls but whitespace;
/// otherwise the input comes back unchanged.
pub fn base64_whole_text(s: &str) -> Cow<'_, str> {
    let t = s.trim().trim_end_matches('=');
    if t.len() < 8 || t.len() % 4 == 1 || !t.bytes().all(alphabet) {
        return Cow::Borrowed(s);
    }
    match base64_lenient(t) {
        Cow::Owned(text) if typed_text(&text) => Cow::Owned(text),
        _ => Cow::Borrowed(s),
    }
}

/// Text a person or a program would type: no replacement characters, no
/// controls but tab, CR and LF.
fn typed_text(text: &str) -> bool {
    let bad = |c: char| c == '\u{fffd}' || (c.is_control() && !matches!(c, '\n' | '\r' | '\t'));
    !text.is_empty() && !text.chars().any(bad)
}

/// A value (16 to 65536 characters) that is probably base64 of text: not all
/// letters or all hex digits (most of those are words and ids), and decoding
/// to at least 95% printable characters.
pub fn base64_probable_text(s: &str) -> Option<String> {
    if s.len() < 16 || s.len() > 65536 {
        return None;
    }
    let body = s.trim_end_matches('=');
    if !body.bytes().all(alphabet) {
        return None;
    }
    if body.bytes().all(|c| c.is_ascii_alphabetic()) || body.bytes().all(|c| c.is_ascii_hexdigit())
    {
        return None;
    }
    let text = decode_utf8(body)?;
    let printable = text
        .chars()
        .filter(|c| !c.is_control() || c.is_whitespace())
        .count();
    (printable * 100 >= text.chars().count() * 95).then_some(text)
}

/// A short value (under 16 characters, standard alphabet only) that decodes
/// to printable ASCII with some punctuation; longer values go to
/// [`base64_probable_text`].
pub fn base64_short_text(s: &str) -> Option<String> {
    if s.len() >= 16 {
        return base64_probable_text(s);
    }
    let text = String::from_utf8(STANDARD_NO_PAD.decode(s.trim_end_matches('=')).ok()?).ok()?;
    let ok = text.chars().all(|c| c.is_ascii_graphic() || c == ' ')
        && text.chars().any(|c| !c.is_ascii_alphanumeric());
    ok.then_some(text)
}

/// Base64 of printable ASCII with some punctuation, even when the encoded
/// form is all letters (which [`base64_probable_text`] refuses, as most such
/// values are words): for places where a word is unlikely, such as a long
/// path segment.
pub fn base64_ascii_text(s: &str) -> Option<String> {
    let body = s.trim_end_matches('=');
    if body.len() < 16 || body.len() > 65536 {
        return None;
    }
    let text = decode_utf8(body)?;
    let ok = text.chars().all(|c| c.is_ascii_graphic() || c == ' ')
        && text.chars().any(|c| !c.is_ascii_alphanumeric() && c != ' ');
    ok.then_some(text)
}
