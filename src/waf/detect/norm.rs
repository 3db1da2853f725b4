//! Shared normalisation: undoes every encoding an attacker can stack on a value
//! (repeated URL encoding, `%u`, overlong UTF-8, HTML entities, JS escapes,
//! full-width Unicode, NUL bytes) and offers a base64-decoded view.

use base64::Engine;

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
        n.alt = base64_text(whole)
            .or_else(|| {
                (whole.len() >= 12)
                    .then(|| base64_text_min(whole))
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

/// Decodes until nothing changes (at most a few rounds).
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
        let next = fold_unicode(&utf7_decode(&html_decode(&js_decode(&url_decode(&cur)))));
        if next == cur {
            break;
        }
        cur = next;
    }
    cur
}

fn hex_val(b: u8) -> Option<u32> {
    (b as char).to_digit(16)
}

fn hex_run(b: &[u8], n: usize) -> Option<u32> {
    if b.len() < n {
        return None;
    }
    b[..n]
        .iter()
        .try_fold(0u32, |acc, &c| Some(acc * 16 + hex_val(c)?))
}

/// One round of percent decoding, with `%uXXXX` and overlong UTF-8 folded.
pub fn url_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let Some(v) = hex_run(&b[i + 1..], 2) {
                out.push(v as u8);
                i += 3;
                continue;
            }
            if b.get(i + 1).map(|c| c.eq_ignore_ascii_case(&b'u')) == Some(true) {
                if let Some(v) = hex_run(&b[i + 2..], 4) {
                    let c = char::from_u32(v).unwrap_or('\u{fffd}');
                    out.extend_from_slice(c.to_string().as_bytes());
                    i += 6;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    bytes_to_text(&out)
}

/// Bytes to text, folding overlong UTF-8 (`%c0%af` is `/`) and keeping invalid
/// bytes as U+FFFD.
fn bytes_to_text(b: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(b) {
        return s.to_string();
    }
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if (c == 0xc0 || c == 0xc1) && i + 1 < b.len() && b[i + 1] & 0xc0 == 0x80 {
            out.push((((c as u32 & 1) << 6) | (b[i + 1] as u32 & 0x3f)) as u8 as char);
            i += 2;
            continue;
        }
        if c == 0xe0 && i + 2 < b.len() && b[i + 1] & 0xe0 == 0x80 && b[i + 2] & 0xc0 == 0x80 {
            let v = ((b[i + 1] as u32 & 0x3f) << 6) | (b[i + 2] as u32 & 0x3f);
            out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
            i += 3;
            continue;
        }
        let len = utf8_len(c);
        match b.get(i..i + len).and_then(|s| std::str::from_utf8(s).ok()) {
            Some(s) => {
                out.push_str(s);
                i += len;
            }
            None => {
                out.push('\u{fffd}');
                i += 1;
            }
        }
    }
    out
}

fn utf8_len(c: u8) -> usize {
    match c {
        0xf0..=0xf7 => 4,
        0xe0..=0xef => 3,
        0xc2..=0xdf => 2,
        _ => 1,
    }
}

/// JavaScript escapes: `\xHH`, `\uHHHH`, `\u{H..}`.
pub fn js_decode(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            let (v, used) = match b[i + 1] {
                b'x' | b'X' => (hex_run(&b[i + 2..], 2), 4),
                b'u' | b'U' if b.get(i + 2) == Some(&b'{') => brace_hex(&b[i + 3..]),
                b'u' | b'U' => (hex_run(&b[i + 2..], 4), 6),
                b'0'..=b'3' => (octal3(&b[i + 1..]), 4),
                _ => (None, 0),
            };
            if let Some(c) = v.and_then(char::from_u32) {
                out.push(c);
                i += used;
                continue;
            }
        }
        let len = utf8_len(b[i]).max(1);
        let end = (i + len).min(b.len());
        out.push_str(s.get(i..end).unwrap_or("\u{fffd}"));
        i = end;
    }
    out
}

fn octal3(b: &[u8]) -> Option<u32> {
    if b.len() < 3 || !b[..3].iter().all(|c| (b'0'..=b'7').contains(c)) {
        return None;
    }
    let v = b[..3].iter().fold(0u32, |a, c| a * 8 + u32::from(c - b'0'));
    (32..127).contains(&v).then_some(v)
}

/// UTF-7 shifted sequences (`+ADw-` is `<`), kept only when they decode to ASCII.
pub fn utf7_decode(s: &str) -> String {
    if !s.contains('+') || !s.contains('-') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('+') {
        out.push_str(&rest[..p]);
        let tail = &rest[p + 1..];
        let run = tail
            .bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
            .count();
        match (tail.as_bytes().get(run) == Some(&b'-') && run >= 3)
            .then(|| utf7_run(&tail[..run]))
            .flatten()
        {
            Some(t) => {
                out.push_str(&t);
                rest = &tail[run + 1..];
            }
            None => {
                out.push('+');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

fn utf7_run(b64: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(b64)
        .ok()?;
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    let t = String::from_utf16(&units).ok()?;
    (!t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii() && !c.is_ascii_alphanumeric()))
    .then_some(t)
}

fn brace_hex(b: &[u8]) -> (Option<u32>, usize) {
    let end = b.iter().take(7).position(|&c| c == b'}');
    match end {
        Some(e) if e > 0 => (hex_run(b, e), e + 4),
        _ => (None, 0),
    }
}

const ENTITIES: &[(&str, char)] = &[
    ("lt", '<'),
    ("gt", '>'),
    ("amp", '&'),
    ("quot", '"'),
    ("apos", '\''),
    ("colon", ':'),
    ("tab", '\t'),
    ("newline", '\n'),
    ("lpar", '('),
    ("rpar", ')'),
    ("sol", '/'),
    ("bsol", '\\'),
    ("semi", ';'),
    ("equals", '='),
    ("nbsp", ' '),
    ("period", '.'),
    ("comma", ','),
    ("excl", '!'),
    ("num", '#'),
    ("dollar", '$'),
    ("percnt", '%'),
    ("lsqb", '['),
    ("rsqb", ']'),
    ("lcub", '{'),
    ("rcub", '}'),
    ("grave", '`'),
    ("quest", '?'),
    ("plus", '+'),
    ("ast", '*'),
    ("vert", '|'),
];

/// HTML character references, numeric (with or without `;`) and common named ones.
pub fn html_decode(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        let tail = &rest[p + 1..];
        match entity(tail) {
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
    out
}

fn entity(t: &str) -> Option<(char, usize)> {
    let b = t.as_bytes();
    if b.first() == Some(&b'#') {
        let (radix, start) = if matches!(b.get(1), Some(b'x') | Some(b'X')) {
            (16, 2)
        } else {
            (10, 1)
        };
        let digits = b[start..]
            .iter()
            .take_while(|c| (**c as char).is_digit(radix))
            .count();
        if digits == 0 || digits > 10 {
            return None;
        }
        let v = u32::from_str_radix(&t[start..start + digits], radix).ok()?;
        let mut used = start + digits;
        if b.get(used) == Some(&b';') {
            used += 1;
        }
        return Some((char::from_u32(v).unwrap_or('\u{fffd}'), used));
    }
    for (name, c) in ENTITIES {
        if t.get(..name.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(name))
        {
            let semi = b.get(name.len()) == Some(&b';');
            let next = b.get(name.len()).copied().unwrap_or(b' ');
            let legacy = matches!(*name, "lt" | "gt" | "amp" | "quot")
                && !next.is_ascii_alphanumeric()
                && next != b'_'
                && next != b'=';
            if semi || legacy {
                return Some((*c, name.len() + usize::from(semi)));
            }
        }
    }
    None
}

/// Full-width ASCII forms to ASCII, ideographic space to space, NULs removed.
pub fn fold_unicode(s: &str) -> String {
    if s.is_ascii() && !s.contains('\0') {
        return s.to_string();
    }
    s.chars()
        .filter(|&c| c != '\0')
        .map(|c| match c as u32 {
            0xff01..=0xff5e => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            0x3000 | 0xa0 => ' ',
            0x3002 | 0xff61 => '.',
            0x2460..=0x2468 => char::from_u32(c as u32 - 0x2460 + u32::from(b'1')).unwrap_or(c),
            0x24ea => '0',
            0x24b6..=0x24cf => char::from_u32(c as u32 - 0x24b6 + u32::from(b'a')).unwrap_or(c),
            0x24d0..=0x24e9 => char::from_u32(c as u32 - 0x24d0 + u32::from(b'a')).unwrap_or(c),
            0x2018 | 0x2019 | 0x02bc | 0xb4 => '\'',
            _ => c,
        })
        .collect()
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
        .filter_map(base64_text_min)
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn base64_text_min(s: &str) -> Option<String> {
    if s.len() >= 16 {
        return base64_text(s);
    }
    let eng = base64::engine::general_purpose::STANDARD_NO_PAD;
    let text = String::from_utf8(eng.decode(s.trim_end_matches('=')).ok()?).ok()?;
    let ok = text.chars().all(|c| c.is_ascii_graphic() || c == ' ')
        && text.chars().any(|c| !c.is_ascii_alphanumeric());
    ok.then_some(text)
}

/// `body` (unpadded) decoded as standard or URL-safe base64, when the bytes
/// are UTF-8.
fn decode_base64_utf8(body: &str) -> Option<String> {
    let eng = base64::engine::general_purpose::STANDARD_NO_PAD;
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let bytes = eng.decode(body).or_else(|_| url.decode(body)).ok()?;
    String::from_utf8(bytes).ok()
}

/// Base64 of printable ASCII with some punctuation, even when the encoded
/// form is all letters (which `base64_text` refuses, as most such values are
/// words): for places where a word is unlikely, such as a long path segment.
pub fn base64_ascii_text(s: &str) -> Option<String> {
    let body = s.trim_end_matches('=');
    if body.len() < 16 || body.len() > 65536 {
        return None;
    }
    let text = decode_base64_utf8(body)?;
    let ok = text.chars().all(|c| c.is_ascii_graphic() || c == ' ')
        && text.chars().any(|c| !c.is_ascii_alphanumeric() && c != ' ');
    ok.then_some(text)
}

/// If `s` looks like base64 of printable text, that text.
pub fn base64_text(s: &str) -> Option<String> {
    if s.len() < 16 || s.len() > 65536 {
        return None;
    }
    let body = s.trim_end_matches('=');
    if !body
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_'))
    {
        return None;
    }
    if body.bytes().all(|c| c.is_ascii_alphabetic()) || body.bytes().all(|c| c.is_ascii_hexdigit())
    {
        return None;
    }
    let text = decode_base64_utf8(body)?;
    let printable = text
        .chars()
        .filter(|c| !c.is_control() || c.is_whitespace())
        .count();
    (printable * 100 >= text.chars().count() * 95).then_some(text)
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
    fn base64_only_for_text() {
        assert_eq!(
            base64_text("aGVsbG8gd29ybGQgZnJvbSBtZQ==").as_deref(),
            Some("hello world from me")
        );
        assert!(base64_text("abcdefghijklmnopqrst").is_none());
        assert!(base64_text("short").is_none());
    }
}
