//! Recognising a command word: the word tables by lookup, the path in front
//! of a name, and globbed names (`/???/c?t`) matched against the tables.

use std::sync::OnceLock;

use super::words::{CLEAR, WORDY};
use crate::waf::detect::{word_map, WordMap};

/// `CLEAR.contains(&name)`, by table.
pub(super) fn is_clear(name: &str) -> bool {
    static M: OnceLock<WordMap> = OnceLock::new();
    M.get_or_init(|| word_map(&[(CLEAR, 'c')]))
        .contains_key(name)
}

/// `WORDY.contains(&name)`, by table.
pub(super) fn is_wordy(name: &str) -> bool {
    static M: OnceLock<WordMap> = OnceLock::new();
    M.get_or_init(|| word_map(&[(WORDY, 'w')]))
        .contains_key(name)
}

/// The command word at the start of `rest`, when it is a known binary.
pub(super) fn command_word(rest: &str) -> Option<&str> {
    let rest = rest.trim_start();
    let end = rest
        .find(|c: char| c.is_whitespace() || ";|&`$()<>'\"".contains(c))
        .unwrap_or(rest.len());
    let (_, name) = split_path(&rest[..end]);
    (is_clear(name) || is_wordy(name) || name == "cd").then_some(name)
}

pub(super) fn split_path(word: &str) -> (bool, &str) {
    let w = word.trim_matches(['"', '\'']);
    if w.contains("://") || w.contains('.') && w.find('.') < w.find('/') {
        return (false, w);
    }
    match w.rfind(['/', '\\']) {
        Some(p) => (true, &w[p + 1..]),
        None => (false, w),
    }
}

pub(super) fn glob_match_any(name: &str) -> bool {
    if !name.contains(['?', '*', '[']) {
        return false;
    }
    CLEAR
        .iter()
        .chain(WORDY)
        .any(|c| glob(name.as_bytes(), c.as_bytes()))
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(&p[1..], s) || (!s.is_empty() && glob(p, &s[1..])),
        (Some(b'?'), Some(_)) => glob(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => glob(&p[1..], &s[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_tables_match_the_lists() {
        let mut words: Vec<&str> = [CLEAR, WORDY].concat();
        words.extend(["", "x", "whoam", "whoamii", "Cat", "cd", "ls.exe"]);
        for w in words {
            assert_eq!(is_clear(w), CLEAR.contains(&w), "{w}");
            assert_eq!(is_wordy(w), WORDY.contains(&w), "{w}");
        }
    }
}
