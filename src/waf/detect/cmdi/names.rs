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
        .any(|c| crate::waf::detect::glob::glob(name.as_bytes(), c.as_bytes()))
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

    /// Found by fuzzing: a name of 40 stars never finished with the
    /// recursive matcher; 4000 finish at once with the linear one.
    #[test]
    fn glob_of_many_stars_finishes() {
        assert!(!glob_match_any(&format!("{}#", "*".repeat(4000))));
        assert!(glob_match_any(&format!("c{}t", "*".repeat(4000))));
    }
}
