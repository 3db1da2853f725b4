//! Percent-decoding (`%HH`, IIS-style `%uHHHH`, `+` as space in forms), with
//! the bytes read as UTF-8 and overlong forms folded ([`super::utf8_fold`]).

use std::borrow::Cow;

use super::{char_or_replacement, hex_run, utf8_fold};

/// What a percent decode noticed about its input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecodeFlags {
    /// A `%` not followed by two hex digits (or `%u` by four).
    pub invalid_encoding: bool,
    /// An overlong or otherwise invalid UTF-8 sequence after decoding.
    pub bad_utf8: bool,
}

/// Percent-decodes `s` (`%HH`, `%uHHHH`, and `+` as space when `plus` is set).
/// A `%` that starts no escape is kept as it is.
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
            let mut buf = [0u8; 4];
            out.extend_from_slice(char_or_replacement(cp).encode_utf8(&mut buf).as_bytes());
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
