//! Decoders for the encodings attackers use: percent (with `%u`), HTML entities,
//! JavaScript and CSS escapes, base64, and UTF-8 with overlong forms folded.

use std::borrow::Cow;

/// What a percent decode noticed about its input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecodeFlags {
    /// A `%` not followed by two hex digits (or `%u` by four).
    pub invalid_encoding: bool,
    /// An overlong or otherwise invalid UTF-8 sequence after decoding.
    pub bad_utf8: bool,
}

fn hex_val(b: u8) -> Option<u32> {
    (b as char).to_digit(16)
}

fn hex_run(bytes: &[u8], start: usize, n: usize) -> Option<u32> {
    let slice = bytes.get(start..start + n)?;
    slice
        .iter()
        .try_fold(0u32, |acc, &b| Some(acc * 16 + hex_val(b)?))
}

/// Percent-decodes `s` (`%HH`, `%uHHHH`, and `+` as space when `plus` is set).
pub fn percent_decode(s: &str, plus: bool) -> (Cow<'_, str>, DecodeFlags) {
    let mut flags = DecodeFlags::default();
    if !s.contains('%') && (!plus || !s.contains('+')) {
        return (Cow::Borrowed(s), flags);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        i += match b[i] {
            b'%' => percent_at(b, i, &mut out, &mut flags),
            b'+' if plus => {
                out.push(b' ');
                1
            }
            c => {
                out.push(c);
                1
            }
        };
    }
    let (text, bad) = utf8_fold(&out);
    flags.bad_utf8 = bad;
    (Cow::Owned(text.into_owned()), flags)
}

/// Decodes the escape at `b[i] == '%'` into `out`; returns bytes consumed.
fn percent_at(b: &[u8], i: usize, out: &mut Vec<u8>, flags: &mut DecodeFlags) -> usize {
    let used = if matches!(b.get(i + 1), Some(b'u' | b'U')) {
        hex_run(b, i + 2, 4).map(|cp| {
            push_char(out, cp);
            6
        })
    } else {
        hex_run(b, i + 1, 2).map(|v| {
            out.push(v as u8);
            3
        })
    };
    used.unwrap_or_else(|| {
        flags.invalid_encoding = true;
        out.push(b'%');
        1
    })
}

fn push_char(out: &mut Vec<u8>, cp: u32) {
    let c = char::from_u32(cp).unwrap_or('\u{fffd}');
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// Decodes bytes as UTF-8, folding overlong two- and three-byte forms
/// (`C0 AF` is `/`) to the character they spell; returns whether any
/// invalid or overlong sequence was seen.
pub fn utf8_fold(bytes: &[u8]) -> (Cow<'_, str>, bool) {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (Cow::Borrowed(s), false);
    }
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match std::str::from_utf8(&bytes[i..]) {
            Ok(s) => {
                out.push_str(s);
                break;
            }
            Err(e) => {
                let good = e.valid_up_to();
                out.push_str(std::str::from_utf8(&bytes[i..i + good]).unwrap_or_default());
                i += good;
                i += fold_bad(&bytes[i..], &mut out);
            }
        }
    }
    (Cow::Owned(out), true)
}

/// Folds one bad sequence at the start of `b`; returns the bytes consumed.
fn fold_bad(b: &[u8], out: &mut String) -> usize {
    let cont = |x: Option<&u8>| x.is_some_and(|v| v & 0xC0 == 0x80);
    if matches!(b[0], 0xC0 | 0xC1) && cont(b.get(1)) {
        let cp = (u32::from(b[0] & 0x1F) << 6) | u32::from(b[1] & 0x3F);
        out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
        return 2;
    }
    if b[0] == 0xE0 && cont(b.get(1)) && cont(b.get(2)) {
        let cp = (u32::from(b[1] & 0x3F) << 6) | u32::from(b[2] & 0x3F);
        out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
        return 3;
    }
    out.push('\u{fffd}');
    1
}

/// Named entities worth decoding for detection.
const ENTITIES: &[(&str, char)] = &[
    ("lt", '<'),
    ("gt", '>'),
    ("amp", '&'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", ' '),
    ("colon", ':'),
    ("semi", ';'),
    ("comma", ','),
    ("period", '.'),
    ("sol", '/'),
    ("bsol", '\\'),
    ("lpar", '('),
    ("rpar", ')'),
    ("lsqb", '['),
    ("rsqb", ']'),
    ("lcub", '{'),
    ("rcub", '}'),
    ("excl", '!'),
    ("quest", '?'),
    ("equals", '='),
    ("plus", '+'),
    ("num", '#'),
    ("dollar", '$'),
    ("percnt", '%'),
    ("grave", '`'),
    ("ast", '*'),
    ("tab", '\t'),
    ("newline", '\n'),
    ("vert", '|'),
    ("hyphen", '-'),
];

/// Decodes HTML entities: named, `&#DDD`, `&#xHH`, with or without the `;`.
pub fn html_entity_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos + 1..];
        match entity_at(tail) {
            Some((c, used)) => {
                out.push(c);
                rest = &tail[used..];
            }
            None => {
                out.push('&');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Parses an entity body after `&`; returns the char and bytes used.
fn entity_at(t: &str) -> Option<(char, usize)> {
    let b = t.as_bytes();
    let (cp, mut used) = if b.first() == Some(&b'#') {
        let hex = matches!(b.get(1), Some(b'x' | b'X'));
        let start = if hex { 2 } else { 1 };
        let radix = if hex { 16 } else { 10 };
        let len = b[start..]
            .iter()
            .take_while(|c| (**c as char).is_digit(radix))
            .count();
        if len == 0 {
            return None;
        }
        let digits = &t[start..start + len.min(8)];
        let cp = u32::from_str_radix(digits, radix).ok()?;
        (char::from_u32(cp).unwrap_or('\u{fffd}'), start + len)
    } else {
        let len = b.iter().take_while(|c| c.is_ascii_alphanumeric()).count();
        let name = t[..len].to_ascii_lowercase();
        let (_, c) = ENTITIES.iter().find(|(n, _)| *n == name)?;
        (*c, len)
    };
    if b.get(used) == Some(&b';') {
        used += 1;
    }
    Some((cp, used))
}

/// Decodes JavaScript escapes: `\xHH`, `\uHHHH`, `\u{H..}`, octal, and `\c`.
pub fn js_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' || i + 1 >= b.len() {
            let ch = s[i..].chars().next().unwrap_or('\u{fffd}');
            out.push(ch);
            i += ch.len_utf8();
            continue;
        }
        let (c, used) = js_escape(s, i + 1);
        out.push(c);
        i += 1 + used;
    }
    Cow::Owned(out)
}

fn js_escape(s: &str, i: usize) -> (char, usize) {
    let b = s.as_bytes();
    let to_char = |cp: u32| char::from_u32(cp).unwrap_or('\u{fffd}');
    match b[i] {
        b'x' => hex_run(b, i + 1, 2).map_or(('x', 1), |v| (to_char(v), 3)),
        b'u' if b.get(i + 1) == Some(&b'{') => {
            let len = b[i + 2..]
                .iter()
                .take_while(|c| c.is_ascii_hexdigit())
                .count();
            if len > 0 && len <= 6 && b.get(i + 2 + len) == Some(&b'}') {
                (to_char(hex_run(b, i + 2, len).unwrap_or(0xfffd)), len + 3)
            } else {
                ('u', 1)
            }
        }
        b'u' => hex_run(b, i + 1, 4).map_or(('u', 1), |v| (to_char(v), 5)),
        b'0'..=b'7' => {
            let len = b[i..]
                .iter()
                .take(3)
                .take_while(|c| (b'0'..=b'7').contains(c))
                .count();
            let v = u32::from_str_radix(&s[i..i + len], 8).unwrap_or(0);
            (to_char(v), len)
        }
        b'n' => ('\n', 1),
        b't' => ('\t', 1),
        b'r' => ('\r', 1),
        b'b' => ('\u{8}', 1),
        b'f' => ('\u{c}', 1),
        b'v' => ('\u{b}', 1),
        _ => {
            let c = s[i..].chars().next().unwrap_or('\u{fffd}');
            (c, c.len_utf8())
        }
    }
}

/// Decodes CSS escapes: `\` + 1-6 hex digits (one trailing space eaten), `\c`.
pub fn css_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' || i + 1 >= b.len() {
            let ch = s[i..].chars().next().unwrap_or('\u{fffd}');
            out.push(ch);
            i += ch.len_utf8();
            continue;
        }
        i += 1;
        let len = b[i..]
            .iter()
            .take(6)
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
        if len > 0 {
            let cp = hex_run(b, i, len).unwrap_or(0xfffd);
            out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
            i += len;
            if matches!(b.get(i), Some(b' ' | b'\t' | b'\n')) {
                i += 1;
            }
        } else if b[i] == b'\n' {
            i += 1;
        } else {
            let ch = s[i..].chars().next().unwrap_or('\u{fffd}');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    Cow::Owned(out)
}

/// Lenient base64 decode: standard or URL-safe alphabet, padding optional,
/// other characters skipped. Returns the input unchanged when nothing decodes.
pub fn base64_decode(s: &str) -> Cow<'_, str> {
    use base64::engine::general_purpose::GeneralPurpose;
    use base64::engine::{DecodePaddingMode, GeneralPurposeConfig};
    use base64::Engine as _;
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone),
    );
    let mut clean: Vec<u8> = s
        .bytes()
        .filter_map(|c| match c {
            b'-' => Some(b'+'),
            b'_' => Some(b'/'),
            c if c.is_ascii_alphanumeric() || c == b'+' || c == b'/' => Some(c),
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

/// Strict base64: the whole trimmed value (8+ characters, standard or URL-safe
/// alphabet, optional padding) must decode to printable UTF-8 text;
/// otherwise the input comes back unchanged.
pub fn base64_text(s: &str) -> Cow<'_, str> {
    let t = s.trim().trim_end_matches('=');
    let alphabet = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_');
    if t.len() < 8 || t.len() % 4 == 1 || !t.bytes().all(alphabet) {
        return Cow::Borrowed(s);
    }
    match base64_decode(t) {
        Cow::Owned(text) if printable(&text) => Cow::Owned(text),
        _ => Cow::Borrowed(s),
    }
}

/// Text a person or a program would type: no replacement characters, few controls.
fn printable(text: &str) -> bool {
    let bad = text
        .chars()
        .filter(|c| *c == '\u{fffd}' || (c.is_control() && !matches!(c, '\n' | '\r' | '\t')))
        .count();
    !text.is_empty() && bad == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_basic_and_unicode() {
        assert_eq!(percent_decode("a%20b", false).0, "a b");
        assert_eq!(percent_decode("a+b", true).0, "a b");
        assert_eq!(percent_decode("a+b", false).0, "a+b");
        assert_eq!(percent_decode("%u003cx%U003E", false).0, "<x>");
        assert!(matches!(percent_decode("plain", true).0, Cow::Borrowed(_)));
    }

    #[test]
    fn percent_flags_invalid_and_overlong() {
        let (v, f) = percent_decode("100%zz", false);
        assert_eq!(v, "100%zz");
        assert!(f.invalid_encoding);
        let (v, f) = percent_decode("..%c0%af..", false);
        assert_eq!(v, "../..");
        assert!(f.bad_utf8);
        assert!(!f.invalid_encoding);
    }

    #[test]
    fn html_entities() {
        assert_eq!(html_entity_decode("&lt;b&gt;"), "<b>");
        assert_eq!(html_entity_decode("&#60;&#x3C;&#x3c"), "<<<");
        assert_eq!(html_entity_decode("&LT&colon;"), "<:");
        assert_eq!(html_entity_decode("a & b &unknown;"), "a & b &unknown;");
        assert_eq!(html_entity_decode("&#99999999999;"), "\u{fffd}");
    }

    #[test]
    fn js_escapes() {
        assert_eq!(js_decode(r"\x3cscript\u003e"), "<script>");
        assert_eq!(js_decode(r"\u{61}\141\n"), "aa\n");
        assert_eq!(js_decode(r"\q\"), "q\\");
        assert_eq!(js_decode(r"\xZZ"), "xZZ");
    }

    #[test]
    fn css_escapes() {
        assert_eq!(css_decode(r"\6a avascript"), "javascript");
        assert_eq!(css_decode(r"e\xpression"), "expression");
        assert_eq!(css_decode("plain"), "plain");
    }

    #[test]
    fn base64_lenient() {
        assert_eq!(base64_decode("aGVsbG8gd29ybGQ="), "hello world");
        assert_eq!(base64_decode("aGVsbG8gd29ybGQ"), "hello world");
        assert_eq!(base64_decode("PD94-_8"), base64_decode("PD94+/8"));
        assert_eq!(base64_decode("!!"), "!!");
    }

    #[test]
    fn utf8_fold_overlong_three_byte() {
        let (v, bad) = utf8_fold(&[b'a', 0xE0, 0x80, 0xAE, 0xFF]);
        assert_eq!(v, "a.\u{fffd}");
        assert!(bad);
    }
}
