//! What a detector reports: a paranoia [`Level`] and a static reason (a
//! [`Signal`]), with the evidence attached a [`Finding`], and stamped with the
//! detector that found it a [`Hit`].

use super::Detector;

/// The lowest paranoia level at which a detection counts. `Pl1` is confident
/// enough for every policy; `Pl2` to `Pl4` are weaker signals that only
/// stricter policies act on. Ordered by strength: `Pl1 < Pl2`, so the
/// stronger of two signals is the lesser one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Level {
    /// Confident: counts at paranoia level 1 and above.
    Pl1 = 1,
    /// Counts at paranoia level 2 and above.
    Pl2 = 2,
    /// Counts at paranoia level 3 and above.
    Pl3 = 3,
    /// Counts at paranoia level 4 only.
    Pl4 = 4,
}

impl Level {
    /// The number a policy's `paranoia` setting is compared with (1 to 4).
    pub const fn get(self) -> u8 {
        self as u8
    }
}

impl From<Level> for u8 {
    fn from(level: Level) -> u8 {
        level.get()
    }
}

/// A level and a reason: what a detector's checks judge before the detector
/// attaches the evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signal {
    /// How sure the check is.
    pub level: Level,
    /// A short, static explanation.
    pub reason: &'static str,
}

impl Signal {
    /// A signal of `level` for `reason`.
    pub const fn new(level: Level, reason: &'static str) -> Signal {
        Signal { level, reason }
    }

    /// This signal, with a bounded slice of `text` as its evidence.
    pub fn finding(self, text: &str) -> Finding {
        Finding::new(self.level, self.reason, text)
    }
}

/// What a detector function returns before it is stamped with its detector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// How sure the detector is.
    pub level: Level,
    /// A short, static explanation.
    pub reason: &'static str,
    /// The (normalised) part of the input that matched, truncated.
    pub evidence: String,
}

impl Finding {
    /// A finding of `level` for `reason`, with a bounded slice of `text` as
    /// its evidence.
    pub fn new(level: Level, reason: &'static str, text: &str) -> Finding {
        Finding {
            level,
            reason,
            evidence: evidence(text),
        }
    }
}

/// One detection.
#[derive(Clone, Debug)]
pub struct Hit {
    /// Which detector fired.
    pub detector: Detector,
    /// How sure the detector is.
    pub level: Level,
    /// A short, static explanation.
    pub reason: &'static str,
    /// The (normalised) part of the input that matched, truncated.
    pub evidence: String,
}

impl Hit {
    /// `finding`, stamped with the detector that made it.
    pub fn new(detector: Detector, finding: Finding) -> Hit {
        let Finding {
            level,
            reason,
            evidence,
        } = finding;
        Hit {
            detector,
            level,
            reason,
            evidence,
        }
    }
}

/// Evidence text: a bounded slice of `s` around nothing in particular.
fn evidence(s: &str) -> String {
    s.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_order_by_strength_and_convert() {
        assert!(Level::Pl1 < Level::Pl2 && Level::Pl3 < Level::Pl4);
        let nums: Vec<u8> = [Level::Pl1, Level::Pl2, Level::Pl3, Level::Pl4]
            .into_iter()
            .map(u8::from)
            .collect();
        assert_eq!(nums, [1, 2, 3, 4]);
    }

    #[test]
    fn evidence_is_bounded() {
        let f = Signal::new(Level::Pl2, "why").finding(&"x".repeat(500));
        assert_eq!(
            (f.level, f.reason, f.evidence.len()),
            (Level::Pl2, "why", 120)
        );
        let h = Hit::new(Detector::Sqli, f);
        assert_eq!((h.detector, h.level), (Detector::Sqli, Level::Pl2));
    }
}
