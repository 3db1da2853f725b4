//! UTF-7 shifted sequences (`+ADw-` is `<`), the charset trick that slips
//! markup past filters that only look for the ASCII characters.

use std::borrow::Cow;

use base64::Engine as _;

/// Decodes `+...-` runs, kept only when they decode to ASCII punctuation
/// (a UTF-7 run of letters is far more often a word with a `+` before it).
pub fn utf7_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('-') {
        return Cow::Borrowed(s);
    }
    super::splice(s, '+', |tail, out| {
        let run = tail
            .bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
            .count();
        let closed = tail.as_bytes().get(run) == Some(&b'-') && run >= 3;
        out.push_str(&closed.then(|| shifted(&tail[..run])).flatten()?);
        Some(run + 1)
    })
}

/// One shifted run: base64 of UTF-16BE, when it spells only ASCII
/// punctuation.
fn shifted(b64: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(b64)
        .ok()?;
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    let t = String::from_utf16(&units).ok()?;
    let punctuation = t
        .chars()
        .all(|c| c.is_ascii() && !c.is_ascii_alphanumeric());
    (!t.is_empty() && punctuation).then_some(t)
}
