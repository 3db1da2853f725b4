//! Backslash escapes: JavaScript string escapes and CSS escapes.

use std::borrow::Cow;

use super::{char_or_replacement, hex_run, Strictness};

/// Decodes JavaScript escapes: `\xHH`, `\uHHHH`, `\u{H..}` and octal, plus
/// (lenient) the one-letter escapes and `\c` for any other `c`.
pub fn js_decode(s: &str, strictness: Strictness) -> Cow<'_, str> {
    unescape(s, |i| match strictness {
        Strictness::Lenient => {
            let (c, used) = js_lenient(s, i);
            Some((Some(c), used))
        }
        Strictness::Strict => js_strict(s.as_bytes(), i).map(|(c, used)| (Some(c), used)),
    })
}

/// Copies `s`, replacing each backslash escape that `escape` reads (given
/// the index after the backslash: the character it spells, if any, and the
/// bytes it used); a backslash it does not read, or a trailing one, stays.
fn unescape(s: &str, escape: impl Fn(usize) -> Option<(Option<char>, usize)>) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            if let Some((c, used)) = escape(i + 1) {
                out.extend(c);
                i += 1 + used;
                continue;
            }
        }
        let ch = s[i..].chars().next().unwrap_or('\u{fffd}');
        out.push(ch);
        i += ch.len_utf8();
    }
    Cow::Owned(out)
}

/// `\u{H..}`: 1 to 6 hex digits and the closing brace, at `b[i] == '{'`;
/// returns the code point and the bytes used from `i`.
fn brace_hex(b: &[u8], i: usize) -> Option<(u32, usize)> {
    let len = b
        .get(i + 1..)?
        .iter()
        .take_while(|c| c.is_ascii_hexdigit())
        .count();
    let closed = (1..=6).contains(&len) && b.get(i + 1 + len) == Some(&b'}');
    closed.then(|| Some((hex_run(b, i + 1, len)?, len + 2)))?
}

/// An escape as a JavaScript engine reads it inside a string, at `i` (after
/// the backslash); an escape that is not one drops the backslash.
fn js_lenient(s: &str, i: usize) -> (char, usize) {
    let b = s.as_bytes();
    match b[i] {
        b'x' => hex_run(b, i + 1, 2).map_or(('x', 1), |v| (char_or_replacement(v), 3)),
        b'u' if b.get(i + 1) == Some(&b'{') => {
            brace_hex(b, i + 1).map_or(('u', 1), |(v, n)| (char_or_replacement(v), n + 1))
        }
        b'u' => hex_run(b, i + 1, 4).map_or(('u', 1), |v| (char_or_replacement(v), 5)),
        b'0'..=b'7' => {
            let len = b[i..]
                .iter()
                .take(3)
                .take_while(|c| (b'0'..=b'7').contains(c))
                .count();
            let v = u32::from_str_radix(&s[i..i + len], 8).unwrap_or(0);
            (char_or_replacement(v), len)
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

/// Only the escapes that spell a character (either case of `x` and `u`,
/// three-digit octal of printable ASCII); `None` keeps the backslash.
fn js_strict(b: &[u8], i: usize) -> Option<(char, usize)> {
    let (cp, used) = match b[i] {
        b'x' | b'X' => (hex_run(b, i + 1, 2)?, 3),
        b'u' | b'U' if b.get(i + 1) == Some(&b'{') => {
            let (v, n) = brace_hex(b, i + 1)?;
            (v, n + 1)
        }
        b'u' | b'U' => (hex_run(b, i + 1, 4)?, 5),
        b'0'..=b'3' => (octal_printable(b.get(i..i + 3)?)?, 3),
        _ => return None,
    };
    Some((char::from_u32(cp)?, used))
}

/// Three octal digits spelling printable ASCII.
fn octal_printable(d: &[u8]) -> Option<u32> {
    if !d.iter().all(|c| (b'0'..=b'7').contains(c)) {
        return None;
    }
    let v = d.iter().fold(0u32, |a, c| a * 8 + u32::from(c - b'0'));
    (32..127).contains(&v).then_some(v)
}

/// Decodes CSS escapes: `\` + 1-6 hex digits (one trailing space eaten),
/// `\` before a newline (a line continuation, removed), `\c`.
pub fn css_decode(s: &str) -> Cow<'_, str> {
    let b = s.as_bytes();
    unescape(s, |i| {
        let len = b[i..]
            .iter()
            .take(6)
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
        if len > 0 {
            let c = char_or_replacement(hex_run(b, i, len).unwrap_or(0xfffd));
            let space = matches!(b.get(i + len), Some(b' ' | b'\t' | b'\n'));
            return Some((Some(c), len + usize::from(space)));
        }
        if b[i] == b'\n' {
            return Some((None, 1));
        }
        let c = s[i..].chars().next().unwrap_or('\u{fffd}');
        Some((Some(c), c.len_utf8()))
    })
}
