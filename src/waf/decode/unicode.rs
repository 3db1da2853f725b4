//! Unicode look-alikes folded to the ASCII they imitate, and NUL removal.

use std::borrow::Cow;

/// The ASCII a look-alike character stands for: full-width forms
/// (U+FF01-FF5E), the ideographic and no-break spaces, ideographic full
/// stops, circled digits and letters, and quote-like marks.
fn fold(c: char) -> char {
    let cp = c as u32;
    let shift = |base: u32, to: u8| char::from_u32(cp - base + u32::from(to)).unwrap_or(c);
    match cp {
        0xff01..=0xff5e => shift(0xff01, b'!'),
        0x3000 | 0xa0 => ' ',
        0x3002 | 0xff61 => '.',
        0x2460..=0x2468 => shift(0x2460, b'1'),
        0x24ea => '0',
        0x24b6..=0x24cf => shift(0x24b6, b'a'),
        0x24d0..=0x24e9 => shift(0x24d0, b'a'),
        0x2018 | 0x2019 | 0x02bc | 0xb4 => '\'',
        _ => c,
    }
}

/// Folds look-alikes to ASCII (the families `fold` lists); borrowed when
/// there are none.
pub fn unicode_fold(s: &str) -> Cow<'_, str> {
    if s.is_ascii() || s.chars().all(|c| fold(c) == c) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().map(fold).collect())
}

/// NUL characters removed.
pub fn remove_nulls(s: &str) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', ""))
    } else {
        Cow::Borrowed(s)
    }
}
