//! Bytes to text as a lenient server reads them: valid UTF-8 as it is,
//! overlong two- and three-byte forms folded to the ASCII they spell
//! (`C0 AF` is `/`, `E0 80 AE` is `.`), anything else invalid as U+FFFD.

use std::borrow::Cow;

/// Decodes bytes as UTF-8, folding overlong forms; returns whether any
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
        out.push(super::char_or_replacement(cp));
        return 2;
    }
    if b[0] == 0xE0 && cont(b.get(1)) && cont(b.get(2)) {
        let cp = (u32::from(b[1] & 0x3F) << 6) | u32::from(b[2] & 0x3F);
        out.push(super::char_or_replacement(cp));
        return 3;
    }
    out.push('\u{fffd}');
    1
}
