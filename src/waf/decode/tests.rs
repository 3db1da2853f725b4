//! Tests of every decoder, in one table so that each encoding is checked the
//! same way: the forms browsers and servers accept, the longest forms, and
//! what each [`Strictness`] keeps.

use super::*;
use ::base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ::base64::Engine as _;
use std::borrow::Cow;

/// A decoder under test, by what it is called with.
#[derive(Clone, Copy, Debug)]
enum D {
    Pct,
    PctPlus,
    EntLenient,
    EntStrict,
    /// Both strictness levels must give the same answer.
    Ent,
    JsLenient,
    JsStrict,
    Js,
    Css,
    B64,
    B64Whole,
    Fold,
    Nulls,
    Utf7,
}

fn run(d: D, s: &str) -> Vec<Cow<'_, str>> {
    use Strictness::{Lenient, Strict};
    match d {
        D::Pct => vec![percent_decode(s, false).0],
        D::PctPlus => vec![percent_decode(s, true).0],
        D::EntLenient => vec![html_entity_decode(s, Lenient)],
        D::EntStrict => vec![html_entity_decode(s, Strict)],
        D::Ent => vec![
            html_entity_decode(s, Lenient),
            html_entity_decode(s, Strict),
        ],
        D::JsLenient => vec![js_decode(s, Lenient)],
        D::JsStrict => vec![js_decode(s, Strict)],
        D::Js => vec![js_decode(s, Lenient), js_decode(s, Strict)],
        D::Css => vec![css_decode(s)],
        D::B64 => vec![base64_lenient(s)],
        D::B64Whole => vec![base64_whole_text(s)],
        D::Fold => vec![unicode_fold(s)],
        D::Nulls => vec![remove_nulls(s)],
        D::Utf7 => vec![utf7_decode(s)],
    }
}

const CASES: &[(D, &str, &str)] = &[
    (D::Pct, "a%20b", "a b"),
    (D::PctPlus, "a+b", "a b"),
    (D::Pct, "a+b", "a+b"),
    (D::Pct, "%u003cx%U003E", "<x>"),
    (D::Pct, "%3c%3C", "<<"),
    (D::Pct, "100%zz", "100%zz"),
    (D::Pct, "%u12%", "%u12%"),
    (D::Pct, "..%c0%af..", "../.."),
    // %u with a surrogate is not a character: U+FFFD, never a panic.
    (D::Pct, "%uD800", "\u{fffd}"),
    // Overlong three-byte `.` and two-byte `/`.
    (D::Pct, "%e0%80%ae%c0%af", "./"),
    // Double encoding is one step per call.
    (D::Pct, "%253C", "%3C"),
    (D::Ent, "&lt;b&gt;", "<b>"),
    (D::Ent, "&#60;&#x3C;&#x3c", "<<<"),
    (D::Ent, "a & b &unknown;", "a & b &unknown;"),
    (D::Ent, "&LT;&Colon;", "<:"),
    // Leading zeros, as browsers read them, and the longest forms.
    (D::Ent, "&#0000000060;", "<"),
    (D::Ent, "&#x000000000003c;", "<"),
    (D::Ent, "&#1114111;", "\u{10ffff}"),
    (D::Ent, "&#1114112;", "\u{fffd}"),
    (D::Ent, "&#99999999999;", "\u{fffd}"),
    (D::Ent, "&#xD800;", "\u{fffd}"),
    (D::Ent, "&#x;&#;", "&#x;&#;"),
    (D::EntLenient, "&LT&colon;", "<:"),
    (D::EntLenient, "&colon", ":"),
    (D::EntStrict, "&colon", "&colon"),
    (D::EntStrict, "&lt x", "< x"),
    (D::EntStrict, "&lt=x&amp_", "&lt=x&amp_"),
    (D::EntStrict, "&ltx", "&ltx"),
    (D::Js, r"\x3cscript\u003e", "<script>"),
    (D::Js, r"\u{61}\141", "aa"),
    (D::Js, r"\u{10FFFF}", "\u{10ffff}"),
    (D::Js, "a\\", "a\\"),
    (D::JsLenient, r"\n\t\q", "\n\tq"),
    (D::JsLenient, r"\xZZ", "xZZ"),
    (D::JsLenient, r"\7\08", "\u{7}\u{0}8"),
    (D::JsLenient, r"\u{1234567}", "u{1234567}"),
    (D::JsLenient, r"\uD800", "\u{fffd}"),
    // Strict keeps every backslash that spells nothing.
    (D::JsStrict, r"C:\temp\x", r"C:\temp\x"),
    (D::JsStrict, r"\n\q\xZZ", r"\n\q\xZZ"),
    (D::JsStrict, r"\X41\U0042", "AB"),
    (D::JsStrict, r"\001\101", r"\001A"),
    (D::JsStrict, r"\uD800", r"\uD800"),
    (D::JsStrict, r"\u{1234567}", r"\u{1234567}"),
    (D::Css, r"\6a avascript", "javascript"),
    (D::Css, r"e\xpression", "expression"),
    (D::Css, r"\00003c", "<"),
    (D::Css, "a\\\nb", "ab"),
    (D::B64, "aGVsbG8gd29ybGQ=", "hello world"),
    (D::B64, "aGVsbG8gd29ybGQ", "hello world"),
    (D::B64, "PD94-_8", "<?x\u{fffd}\u{fffd}"),
    (D::B64, "!!", "!!"),
    (D::B64Whole, "PHNjcmlwdD4=", "<script>"),
    (D::B64Whole, "hello world", "hello world"),
    (D::B64Whole, "/wD/AP8A/wD/", "/wD/AP8A/wD/"),
    (D::B64Whole, "abcdefgh", "abcdefgh"),
    (D::Fold, "\u{ff1c}script\u{ff1e}", "<script>"),
    (D::Fold, "a\u{3000}b\u{a0}c\u{3002}", "a b c."),
    (D::Fold, "\u{2460}\u{24ea}\u{24b6}\u{24d1}", "10ab"),
    (D::Fold, "\u{2018}x\u{2019}\u{b4}", "'x''"),
    (D::Nulls, "a\0b\0", "ab"),
    (D::Utf7, "+ADw-script+AD4-", "<script>"),
    (D::Utf7, "C++ and-more", "C++ and-more"),
    // A shifted run of letters is far more often a word: it stays.
    (D::Utf7, "+AGEAYgBj-", "+AGEAYgBj-"),
];

#[test]
fn every_decoder_on_its_cases() {
    for (d, input, want) in CASES {
        for got in run(*d, input) {
            assert_eq!(got, *want, "{d:?}({input:?})");
        }
    }
}

#[test]
fn nothing_to_decode_is_borrowed() {
    let all = [
        D::Pct,
        D::PctPlus,
        D::Ent,
        D::Js,
        D::Css,
        D::Fold,
        D::Nulls,
        D::Utf7,
    ];
    for d in all {
        for input in ["plain text", "é中", "a-b"] {
            for got in run(d, input) {
                assert!(matches!(got, Cow::Borrowed(_)), "{d:?}({input:?})");
            }
        }
    }
}

#[test]
fn any_number_of_leading_zeros() {
    let zeros = format!("&#{}60;&#x{}3c;", "0".repeat(100), "0".repeat(100));
    for got in run(D::Ent, &zeros) {
        assert_eq!(got, "<<");
    }
}

#[test]
fn percent_flags() {
    let (_, f) = percent_decode("100%zz", false);
    assert!(f.invalid_encoding && !f.bad_utf8);
    let (_, f) = percent_decode("..%c0%af..", false);
    assert!(f.bad_utf8 && !f.invalid_encoding);
    assert_eq!(percent_decode("%41", false).1, DecodeFlags::default());
}

#[test]
fn utf8_folding() {
    assert_eq!(utf8_fold(&[0xC0, 0xAF]).0, "/");
    assert_eq!(utf8_fold(&[0xC1, 0x81]).0, "A");
    let (v, bad) = utf8_fold(&[b'a', 0xE0, 0x80, 0xAE, 0xFF]);
    assert_eq!(v, "a.\u{fffd}");
    assert!(bad);
    assert!(matches!(utf8_fold("é中".as_bytes()).0, Cow::Borrowed(_)));
    assert_eq!(utf8_fold(&[b'x', 0xE4, 0xB8]).0, "x\u{fffd}\u{fffd}");
    assert_eq!(utf8_fold(&[0xC0]).0, "\u{fffd}");
}

#[test]
fn base64_text_checks() {
    let hello = base64_probable_text("aGVsbG8gd29ybGQgZnJvbSBtZQ==");
    assert_eq!(hello.as_deref(), Some("hello world from me"));
    assert!(
        base64_probable_text("abcdefghijklmnopqrst").is_none(),
        "a word"
    );
    assert!(base64_probable_text("short").is_none());
    let script = base64_short_text("PHNjcmlwdD4");
    assert_eq!(script.as_deref(), Some("<script>"));
    assert!(base64_short_text("aGVsbG8").is_none(), "no punctuation");
    // All letters once encoded: only the ASCII check accepts it.
    let enc = URL_SAFE_NO_PAD.encode("alert( domain )");
    assert!(enc.bytes().all(|b| b.is_ascii_alphabetic()), "{enc}");
    assert_eq!(base64_ascii_text(&enc).as_deref(), Some("alert( domain )"));
    assert!(base64_probable_text(&enc).is_none());
    assert_eq!(base64_lenient("PD94-_8"), base64_lenient("PD94+/8"));
}
