//! The YAML shape of a rule file, mirrored one to one (`deny_unknown_fields`);
//! `convert` turns it into checked IR.

use serde::Deserialize;

/// A rule file: `rules: [...]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// The rules, in file order.
    #[serde(default)]
    pub rules: Vec<RuleDef>,
}

/// A numeric comparison: exactly one of the keys.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CmpDef {
    /// Equal.
    pub eq: Option<f64>,
    /// Less than.
    pub lt: Option<f64>,
    /// Greater than.
    pub gt: Option<f64>,
    /// Less or equal.
    pub le: Option<f64>,
    /// Greater or equal.
    pub ge: Option<f64>,
}

impl LeafDef {
    /// Whether any leaf field is set.
    pub fn is_empty(&self) -> bool {
        self.target.is_none()
            && self.targets.is_none()
            && self.transforms.is_none()
            && self.negate.is_none()
            && self.case_sensitive.is_none()
            && self.prefilter.is_none()
            && self.only_transformed.is_none()
            && self.operator_names().is_empty()
    }

    /// Names of the operator keys that are set.
    pub fn operator_names(&self) -> Vec<&'static str> {
        let set = [
            ("regex", self.regex.is_some()),
            ("phrases", self.phrases.is_some()),
            ("equals", self.equals.is_some()),
            ("contains", self.contains.is_some()),
            ("prefix", self.prefix.is_some()),
            ("suffix", self.suffix.is_some()),
            ("cidr", self.cidr.is_some()),
            ("number", self.number.is_some()),
            ("length", self.length.is_some()),
            ("in", self.in_list.is_some()),
            ("detect", self.detect.is_some()),
            ("exists", self.exists.is_some()),
        ];
        set.iter().filter(|(_, s)| *s).map(|(n, _)| *n).collect()
    }
}

/// Declares a struct with the leaf fields (the one list of them) plus
/// `$extra`, and `leaf()` to take them out. (`#[serde(flatten)]` would say
/// this without a macro, but serde cannot combine it with
/// `deny_unknown_fields`.)
macro_rules! with_leaf {
    ($(#[$meta:meta])* $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Default, Clone, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($(#[$fm])* pub $field: $ty,)*
            /// One target (shorthand).
            pub target: Option<String>,
            /// Targets (`args`, `headers:user-agent`, `!args:password`).
            pub targets: Option<Vec<String>>,
            /// Transformations by name.
            pub transforms: Option<Vec<String>>,
            /// Invert the test.
            pub negate: Option<bool>,
            /// Case-sensitive string operators.
            pub case_sensitive: Option<bool>,
            /// Explicit prefilter literals.
            pub prefilter: Option<Vec<String>>,
            /// Skip values the transformations leave unchanged.
            pub only_transformed: Option<bool>,
            /// Operator: regex.
            pub regex: Option<String>,
            /// Operator: phrase list.
            pub phrases: Option<Vec<String>>,
            /// Operator: equals.
            pub equals: Option<String>,
            /// Operator: contains.
            pub contains: Option<String>,
            /// Operator: prefix.
            pub prefix: Option<String>,
            /// Operator: suffix.
            pub suffix: Option<String>,
            /// Operator: CIDR list.
            pub cidr: Option<Vec<String>>,
            /// Operator: numeric compare.
            pub number: Option<CmpDef>,
            /// Operator: length compare.
            pub length: Option<CmpDef>,
            /// Operator: in list.
            #[serde(rename = "in")]
            pub in_list: Option<Vec<String>>,
            /// Operator: detector name.
            pub detect: Option<String>,
            /// Operator: any value exists.
            pub exists: Option<bool>,
        }

        impl $name {
            /// The leaf fields.
            pub fn leaf(&self) -> LeafDef {
                LeafDef {
                    target: self.target.clone(),
                    targets: self.targets.clone(),
                    transforms: self.transforms.clone(),
                    negate: self.negate,
                    case_sensitive: self.case_sensitive,
                    prefilter: self.prefilter.clone(),
                    only_transformed: self.only_transformed,
                    regex: self.regex.clone(),
                    phrases: self.phrases.clone(),
                    equals: self.equals.clone(),
                    contains: self.contains.clone(),
                    prefix: self.prefix.clone(),
                    suffix: self.suffix.clone(),
                    cidr: self.cidr.clone(),
                    number: self.number.clone(),
                    length: self.length.clone(),
                    in_list: self.in_list.clone(),
                    detect: self.detect.clone(),
                    exists: self.exists,
                }
            }
        }
    };
}

with_leaf! {
    /// The fields of one test, taken out of a rule or condition node.
    LeafDef {}
}

with_leaf! {
    /// One rule as written.
    RuleDef {
        /// Unique numeric id.
        id: u32,
        /// Message.
        msg: Option<String>,
        /// Tags.
        tags: Option<Vec<String>>,
        /// `critical` (default), `error`, `warning`, `notice`, `info`.
        severity: Option<String>,
        /// Score; defaults from severity.
        score: Option<u32>,
        /// 1-4, default 1.
        paranoia: Option<u8>,
        /// Lower runs first; default 100.
        priority: Option<i32>,
        /// `block` (default), `log`, `pass`, `allow`, `deny`.
        action: Option<String>,
        /// HTTP status for `deny` (default 403).
        status: Option<u16>,
        /// Further tests that must all match.
        chain: Option<Vec<CondDef>>,
        /// A condition tree instead of the rule's own test.
        when: Option<CondDef>,
    }
}

with_leaf! {
    /// A condition node: `all`, `any`, `not`, or a test.
    CondDef {
        /// Every child matches.
        all: Option<Vec<CondDef>>,
        /// Some child matches.
        any: Option<Vec<CondDef>>,
        /// The child does not match.
        not: Option<Box<CondDef>>,
    }
}
