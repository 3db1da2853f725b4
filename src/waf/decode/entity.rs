//! HTML character references: numeric (`&#DDD;`, `&#xHH;`, any number of
//! leading zeros, as browsers accept) and the named ones that spell ASCII
//! punctuation an attacker needs.

use std::borrow::Cow;

use super::{char_or_replacement, Strictness};

/// Named references worth decoding for detection, by their lowercase name.
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

/// Names an HTML parser decodes without their `;` (in attribute values:
/// only when no name character or `=` follows).
const LEGACY: [&str; 4] = ["lt", "gt", "amp", "quot"];

/// Decodes HTML character references (see [`Strictness`] for `;`).
pub fn html_entity_decode(s: &str, strictness: Strictness) -> Cow<'_, str> {
    super::splice(s, '&', |tail, out| {
        let (c, used) = reference_at(tail, strictness)?;
        out.push(c);
        Some(used)
    })
}

/// Parses a reference after `&`; returns the character and bytes used.
fn reference_at(t: &str, strictness: Strictness) -> Option<(char, usize)> {
    let b = t.as_bytes();
    let (c, used) = if b.first() == Some(&b'#') {
        numeric(t)?
    } else {
        let len = b.iter().take_while(|c| c.is_ascii_alphanumeric()).count();
        let name = &t[..len];
        let (_, c) = ENTITIES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))?;
        let semi = b.get(len) == Some(&b';');
        if strictness == Strictness::Strict && !semi && !legacy_ends(name, b.get(len)) {
            return None;
        }
        (*c, len)
    };
    let semi = usize::from(b.get(used) == Some(&b';'));
    Some((c, used + semi))
}

/// A legacy name read without its `;`: not followed by a name character,
/// `_` or `=`.
fn legacy_ends(name: &str, next: Option<&u8>) -> bool {
    let next = next.copied().unwrap_or(b' ');
    LEGACY.iter().any(|l| l.eq_ignore_ascii_case(name))
        && !next.is_ascii_alphanumeric()
        && next != b'_'
        && next != b'='
}

/// `#DDD` or `#xHH` (without the `;`): every digit counts, leading zeros are
/// skipped, and a value past U+10FFFF (or a surrogate) is U+FFFD.
fn numeric(t: &str) -> Option<(char, usize)> {
    let b = t.as_bytes();
    let hex = matches!(b.get(1), Some(b'x' | b'X'));
    let (start, radix) = if hex { (2, 16) } else { (1, 10) };
    let digits = b[start..]
        .iter()
        .take_while(|c| (**c as char).is_digit(radix))
        .count();
    if digits == 0 {
        return None;
    }
    let significant = t[start..start + digits].trim_start_matches('0');
    // Eight significant digits of either radix already exceed U+10FFFF.
    let cp = if significant.len() > 8 {
        u32::MAX
    } else {
        u32::from_str_radix(significant, radix).unwrap_or(0)
    };
    Some((char_or_replacement(cp), start + digits))
}
