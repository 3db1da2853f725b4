//! The one byte-level decoder set. Both the detectors' normalisation
//! (`detect::norm`, which stacks these until nothing changes) and the rule
//! transformations (`transform`, one step per name) call these functions, so
//! an encoding is undone the same way wherever it is met.
//!
//! Each decoder returns `Cow::Borrowed` when it has nothing to do. Where the
//! two callers need different readings of the same encoding, a
//! [`Strictness`] says which:
//!
//! | decoder | `Lenient` (rule transformations) | `Strict` (detector normalisation) |
//! |---|---|---|
//! | [`html_entity_decode`] | a known name decodes with or without `;` | `;` required, except the legacy `lt gt amp quot` before a non-name character (as an HTML parser reads attributes) |
//! | [`js_decode`] | every JavaScript string escape (`\n`, 1-3 digit octal, `\q` is `q`) | only escapes that spell a character (`\xHH`, `\uHHHH`, `\u{H..}`, 3-digit octal of printable ASCII); any other backslash stays (`C:\temp\x`) |

mod base64;
mod entity;
mod escape;
mod percent;
mod unicode;
mod utf7;
mod utf8;

pub use self::base64::{
    base64_ascii_text, base64_lenient, base64_probable_text, base64_short_text, base64_whole_text,
};
pub use entity::html_entity_decode;
pub use escape::{css_decode, js_decode};
pub use percent::{percent_decode, DecodeFlags};
pub use unicode::{remove_nulls, unicode_fold};
pub use utf7::utf7_decode;
pub use utf8::utf8_fold;

/// How literally a decoder reads its encoding (see the module table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strictness {
    /// Decode everything the encoding could mean (rule transformations).
    Lenient,
    /// Decode only what a browser or server would certainly read as encoded.
    Strict,
}

/// The value of one hex digit.
fn hex_val(b: u8) -> Option<u32> {
    (b as char).to_digit(16)
}

/// `n` hex digits at `b[start..]` as a number.
fn hex_run(b: &[u8], start: usize, n: usize) -> Option<u32> {
    b.get(start..start + n)?
        .iter()
        .try_fold(0u32, |acc, &c| Some(acc * 16 + hex_val(c)?))
}

#[cfg(test)]
mod tests;

/// The character for a code point, U+FFFD for surrogates and values past
/// U+10FFFF.
fn char_or_replacement(cp: u32) -> char {
    char::from_u32(cp).unwrap_or('\u{fffd}')
}

/// Copies `s`, handing the text after each `marker` to `read`, which pushes
/// what it decodes onto the output and returns the bytes it used; `None`
/// keeps the marker as it is.
fn splice(
    s: &str,
    marker: char,
    mut read: impl FnMut(&str, &mut String) -> Option<usize>,
) -> std::borrow::Cow<'_, str> {
    if !s.contains(marker) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find(marker) {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos + marker.len_utf8()..];
        match read(tail, &mut out) {
            Some(used) => rest = &tail[used..],
            None => {
                out.push(marker);
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}
