//! HTTP-01 answers: the tokens of pending challenges and their key
//! authorizations. The proxy consults it before routing, access control and
//! the WAF; only a pending token is answered, any other path under
//! `/.well-known/acme-challenge/` is an ordinary request.

use arc_swap::ArcSwap;
use std::collections::HashMap;

/// The path prefix of HTTP-01 challenges (RFC 8555 §8.3).
pub const PREFIX: &str = "/.well-known/acme-challenge/";

/// Pending HTTP-01 tokens. Readers (requests) never lock; the ACME service,
/// the only writer, swaps in a changed copy (a handful of tokens at most).
#[derive(Debug, Default)]
pub struct ChallengeStore {
    pending: ArcSwap<HashMap<String, String>>,
}

impl ChallengeStore {
    /// Starts answering `token` with `key_authorization`.
    pub fn add(&self, token: &str, key_authorization: &str) {
        self.pending.rcu(|m| {
            let mut m = HashMap::clone(m);
            m.insert(token.to_string(), key_authorization.to_string());
            m
        });
    }

    /// Stops answering `token`.
    pub fn remove(&self, token: &str) {
        self.pending.rcu(|m| {
            let mut m = HashMap::clone(m);
            m.remove(token);
            m
        });
    }

    /// The answer for a request path, when it asks for a pending token.
    pub fn answer(&self, path: &str) -> Option<String> {
        let token = path.strip_prefix(PREFIX)?;
        if token.is_empty() || token.contains('/') {
            return None;
        }
        self.pending.load().get(token).cloned()
    }

    /// How many tokens are pending.
    pub fn len(&self) -> usize {
        self.pending.load().len()
    }

    /// Whether none is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pending_tokens_are_answered() {
        let s = ChallengeStore::default();
        assert_eq!(s.answer("/.well-known/acme-challenge/abc"), None);
        s.add("abc", "abc.thumb");
        assert_eq!(
            s.answer("/.well-known/acme-challenge/abc").as_deref(),
            Some("abc.thumb")
        );
        for other in [
            "/.well-known/acme-challenge/",
            "/.well-known/acme-challenge/abcd",
            "/.well-known/acme-challenge/abc/x",
            "/abc",
        ] {
            assert_eq!(s.answer(other), None, "{other}");
        }
        s.remove("abc");
        assert!(s.is_empty());
        assert_eq!(s.answer("/.well-known/acme-challenge/abc"), None);
    }
}
