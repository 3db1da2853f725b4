//! The per-route bot policy: score thresholds that choose allow, log,
//! challenge or block. API routes are never challenged.

use serde::Deserialize;

/// What to do with a request after scoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotAction {
    /// Let it through.
    Allow,
    /// Let it through and log the score.
    Log,
    /// Serve the proof-of-work challenge page.
    Challenge,
    /// Refuse (403).
    Block,
}

/// The YAML of a route's bot policy: each threshold is optional; a score
/// at or above it triggers the action; the strongest triggered action wins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotPolicy {
    /// Log at or above this score.
    #[serde(default)]
    pub log_at: Option<u8>,
    /// Challenge at or above this score.
    #[serde(default)]
    pub challenge_at: Option<u8>,
    /// Block at or above this score.
    #[serde(default)]
    pub block_at: Option<u8>,
    /// A non-browser API route: never challenged (the challenge becomes a log).
    #[serde(default)]
    pub api: bool,
}

impl BotPolicy {
    /// The action for `score`; `passed` is true when the client holds a
    /// valid challenge cookie (it is not challenged again).
    pub fn decide(&self, score: u8, passed: bool) -> BotAction {
        let hit = |t: Option<u8>| t.is_some_and(|t| score >= t);
        if hit(self.block_at) {
            return BotAction::Block;
        }
        if hit(self.challenge_at) && !passed {
            return if self.api {
                BotAction::Log
            } else {
                BotAction::Challenge
            };
        }
        if hit(self.log_at) || hit(self.challenge_at) {
            return BotAction::Log;
        }
        BotAction::Allow
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_choose_the_action() {
        let p: BotPolicy =
            serde_yaml::from_str("{log_at: 20, challenge_at: 40, block_at: 90}").unwrap();
        assert_eq!(p.decide(10, false), BotAction::Allow);
        assert_eq!(p.decide(20, false), BotAction::Log);
        assert_eq!(p.decide(50, false), BotAction::Challenge);
        assert_eq!(p.decide(50, true), BotAction::Log, "passed the challenge");
        assert_eq!(p.decide(95, true), BotAction::Block);
        let api = BotPolicy { api: true, ..p };
        assert_eq!(
            api.decide(50, false),
            BotAction::Log,
            "API never challenged"
        );
        assert_eq!(BotPolicy::default().decide(100, false), BotAction::Allow);
    }
}
