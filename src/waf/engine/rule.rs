//! The rule IR that every front-end produces (`rules/` for Rampart's YAML; a
//! SecLang front-end can produce the same): targets, transformations, an
//! operator, and actions, combined into condition trees.

use regex::Regex;

use crate::waf::engine::operator::Operator;
use crate::waf::transform::Transform;

/// A request variable a rule can inspect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Var {
    /// Query and body argument values (`args`).
    Args,
    /// Query and body argument names (`args_names`).
    ArgsNames,
    /// Query argument values (`args_get`).
    ArgsGet,
    /// Query argument names (`args_get_names`).
    ArgsGetNames,
    /// Body field values of every body type (`args_post`, alias `body`).
    ArgsPost,
    /// Body field names (`args_post_names`).
    ArgsPostNames,
    /// Urlencoded form values only (`form`).
    Form,
    /// Multipart field values only (`multipart`).
    Multipart,
    /// JSON values by key path (`json`).
    Json,
    /// XML texts and attributes by element path (`xml`).
    Xml,
    /// Multipart file names (`files`).
    Files,
    /// Multipart file content types (`files_content_type`).
    FilesContentType,
    /// The form field names of multipart file parts.
    FilesNames,
    /// Decoded and normalised path (`path`).
    Path,
    /// Decoded path, `..` kept (`path_decoded`).
    PathDecoded,
    /// Path as received (`path_raw`).
    PathRaw,
    /// Raw query string (`query_string`).
    QueryString,
    /// Raw request target (`uri`).
    Uri,
    /// Method (`method`).
    Method,
    /// Host header (`host`).
    Host,
    /// Header values (`headers`, `headers:user-agent`).
    Headers,
    /// Header names (`header_names`).
    HeaderNames,
    /// Cookie values (`cookies`).
    Cookies,
    /// Cookie names (`cookie_names`).
    CookieNames,
    /// Whole body as text (`body_raw`).
    BodyRaw,
    /// Body as text only when it was not parsed into fields (`body_text`):
    /// unknown content types and bodies that failed to parse.
    BodyText,
    /// `METHOD target` (`request_line`).
    RequestLine,
    /// Client IP (`remote_addr`).
    RemoteAddr,
    /// Anomaly names such as `malformed_json` (`anomalies`).
    Anomalies,
}

impl Var {
    /// Every variable with its rule-file name and the name shown in matches.
    pub const TABLE: [(&'static str, Var, &'static str); 29] = [
        ("args", Var::Args, "ARGS"),
        ("args_names", Var::ArgsNames, "ARGS_NAMES"),
        ("args_get", Var::ArgsGet, "ARGS"),
        ("args_get_names", Var::ArgsGetNames, "ARGS_NAMES"),
        ("args_post", Var::ArgsPost, "ARGS_POST"),
        ("args_post_names", Var::ArgsPostNames, "ARGS_POST_NAMES"),
        ("form", Var::Form, "ARGS_POST"),
        ("multipart", Var::Multipart, "MULTIPART"),
        ("json", Var::Json, "JSON"),
        ("xml", Var::Xml, "XML"),
        ("files", Var::Files, "FILES"),
        ("files_names", Var::FilesNames, "FILES_NAMES"),
        (
            "files_content_type",
            Var::FilesContentType,
            "FILES_CONTENT_TYPE",
        ),
        ("path", Var::Path, "REQUEST_PATH"),
        ("path_decoded", Var::PathDecoded, "REQUEST_PATH_DECODED"),
        ("path_raw", Var::PathRaw, "REQUEST_PATH_RAW"),
        ("query_string", Var::QueryString, "QUERY_STRING"),
        ("uri", Var::Uri, "REQUEST_URI"),
        ("method", Var::Method, "REQUEST_METHOD"),
        ("host", Var::Host, "HOST"),
        ("headers", Var::Headers, "REQUEST_HEADERS"),
        ("header_names", Var::HeaderNames, "REQUEST_HEADERS_NAMES"),
        ("cookies", Var::Cookies, "REQUEST_COOKIES"),
        ("cookie_names", Var::CookieNames, "REQUEST_COOKIES_NAMES"),
        ("body_raw", Var::BodyRaw, "REQUEST_BODY"),
        ("body_text", Var::BodyText, "REQUEST_BODY"),
        ("request_line", Var::RequestLine, "REQUEST_LINE"),
        ("remote_addr", Var::RemoteAddr, "REMOTE_ADDR"),
        ("anomalies", Var::Anomalies, "ANOMALIES"),
    ];

    /// The variable with this rule-file name (`body` is an alias of `args_post`).
    pub fn from_name(name: &str) -> Option<Var> {
        if name == "body" {
            return Some(Var::ArgsPost);
        }
        Self::TABLE
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, v, _)| *v)
    }

    /// The name shown in matches and audit records (`ARGS`, `JSON`, ...).
    pub fn display(self) -> &'static str {
        Self::TABLE
            .iter()
            .find(|(_, v, _)| *v == self)
            .map_or("?", |(_, _, d)| d)
    }

    /// Whether a target or exclusion on `self` covers values that came from `source`.
    pub fn covers(self, source: Var) -> bool {
        use Var::*;
        self == source
            || match self {
                Args => matches!(source, ArgsGet | ArgsPost | Form | Multipart | Json | Xml),
                ArgsPost => matches!(source, Form | Multipart | Json | Xml),
                ArgsNames => matches!(source, ArgsGetNames | ArgsPostNames),
                BodyRaw => source == BodyText,
                _ => false,
            }
    }
}

/// Picks values of a variable by name.
#[derive(Clone, Debug)]
pub enum Selector {
    /// Exact name, case-insensitive.
    Name(String),
    /// Names matching a regex.
    Regex(Regex),
    /// Names matching a regex that is only a list of literal names and
    /// prefixes (`/^(?:accept|sec-.*)$/`), matched without the regex engine.
    Names(NameSet),
}

/// The literal form of an anchored alternation of names and `prefix.*`.
#[derive(Clone, Debug)]
pub struct NameSet {
    /// Exact names by length (header names are short, and comparing the few
    /// of one length beats hashing).
    exact: Vec<Vec<String>>,
    prefixes: Vec<String>,
}

impl NameSet {
    /// The set matching exactly what `pattern` matches, when the pattern is
    /// `^name$`, `^(?:a|b-.*|c)$` or the like over `[a-z0-9_-]`; else `None`.
    fn parse(pattern: &str) -> Option<NameSet> {
        let body = pattern.strip_prefix('^')?.strip_suffix('$')?;
        let body = match body.strip_prefix("(?:") {
            Some(b) => b.strip_suffix(')')?,
            None => body,
        };
        let plain = |w: &str| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        };
        let mut set = NameSet {
            exact: Vec::new(),
            prefixes: Vec::new(),
        };
        for alt in body.split('|') {
            match alt.strip_suffix(".*") {
                Some(p) if plain(p) => set.prefixes.push(p.to_string()),
                None if plain(alt) => {
                    if set.exact.len() <= alt.len() {
                        set.exact.resize(alt.len() + 1, Vec::new());
                    }
                    set.exact[alt.len()].push(alt.to_string());
                }
                _ => return None,
            }
        }
        Some(set)
    }

    fn matches(&self, name: &str) -> bool {
        // `.` in the regex does not match a line break.
        self.exact
            .get(name.len())
            .is_some_and(|names| names.iter().any(|n| n == name))
            || self
                .prefixes
                .iter()
                .any(|p| name.starts_with(p.as_str()) && !name[p.len()..].contains('\n'))
    }
}

impl Selector {
    /// Whether `name` is selected.
    pub fn matches(&self, name: &str) -> bool {
        match self {
            Selector::Name(n) => n.eq_ignore_ascii_case(name),
            Selector::Regex(re) => re.is_match(name),
            Selector::Names(set) => set.matches(name),
        }
    }
}

/// A variable with an optional selector: `args`, `headers:user-agent`, `args:/^id_/`.
#[derive(Clone, Debug)]
pub struct Target {
    /// The variable.
    pub var: Var,
    /// Only values whose name is selected (all when `None`).
    pub selector: Option<Selector>,
}

impl Target {
    /// Whether this target (used as an exclusion) covers a value from `source` named `name`.
    pub fn covers(&self, source: Var, name: &str) -> bool {
        self.var.covers(source) && self.selector.as_ref().is_none_or(|s| s.matches(name))
    }
}

impl std::str::FromStr for Target {
    type Err = String;

    /// Parses `var`, `var:name` or `var:/regex/`.
    fn from_str(spec: &str) -> Result<Target, String> {
        let (name, sel) = match spec.split_once(':') {
            Some((n, s)) => (n.trim(), Some(s.trim())),
            None => (spec.trim(), None),
        };
        let var = Var::from_name(name).ok_or_else(|| format!("unknown variable `{name}`"))?;
        let selector = match sel {
            None => None,
            Some("") => return Err(format!("empty selector in `{spec}`")),
            Some(s) if s.len() >= 2 && s.starts_with('/') && s.ends_with('/') => {
                let pattern = &s[1..s.len() - 1];
                let re = Regex::new(pattern)
                    .map_err(|e| format!("bad selector regex in `{spec}`: {e}"))?;
                Some(NameSet::parse(pattern).map_or(Selector::Regex(re), Selector::Names))
            }
            Some(s) => Some(Selector::Name(s.to_string())),
        };
        Ok(Target { var, selector })
    }
}

/// One test: targets, transformations, an operator.
#[derive(Clone, Debug)]
pub struct Test {
    /// What to inspect.
    pub targets: Vec<Target>,
    /// Values to leave out (`!args:password`).
    pub exclude: Vec<Target>,
    /// Transformation chain, applied in order.
    pub transforms: Vec<Transform>,
    /// The operator.
    pub op: Operator,
    /// Matches when no value matches the operator.
    pub negate: bool,
    /// Literals of which at least one must occur (lowercase compare) before
    /// the operator runs; `None` asks the compiler to extract them from a regex.
    pub prefilter: Option<Vec<String>>,
    /// Run the operator only on values the transformations changed (for
    /// second looks: a value that is base64 text, or still percent-encoded).
    pub only_transformed: bool,
}

/// A condition tree; a rule's `chain` is `All`.
#[derive(Clone, Debug)]
pub enum Cond {
    /// One test.
    Test(Box<Test>),
    /// Every child matches.
    All(Vec<Cond>),
    /// At least one child matches.
    Any(Vec<Cond>),
    /// The child does not match.
    Not(Box<Cond>),
}

/// What a matching rule does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Add the score; the request is blocked when the total reaches the threshold.
    Block,
    /// Record the match; the score is not counted.
    Log,
    /// Like `log`, kept for SecLang parity: record, do not count.
    Pass,
    /// Stop evaluating and let the request through.
    Allow,
    /// Stop evaluating and block with this HTTP status.
    Deny(u16),
}

/// Severity, which also gives the default score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Default score 5.
    Critical,
    /// Default score 4.
    Error,
    /// Default score 3.
    Warning,
    /// Default score 2.
    Notice,
    /// Default score 0.
    Info,
}

impl Severity {
    /// Parses `critical`, `error`, `warning`, `notice`, `info`.
    pub fn from_name(s: &str) -> Option<Severity> {
        Some(match s {
            "critical" => Severity::Critical,
            "error" => Severity::Error,
            "warning" => Severity::Warning,
            "notice" => Severity::Notice,
            "info" => Severity::Info,
            _ => return None,
        })
    }

    /// The default anomaly score.
    pub fn default_score(self) -> u32 {
        match self {
            Severity::Critical => 5,
            Severity::Error => 4,
            Severity::Warning => 3,
            Severity::Notice => 2,
            Severity::Info => 0,
        }
    }
}

/// A rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Unique id.
    pub id: u32,
    /// Message for logs.
    pub msg: String,
    /// Tags (for exclusions and reports).
    pub tags: Vec<String>,
    /// Severity.
    pub severity: Severity,
    /// Anomaly score added on a match.
    pub score: u32,
    /// Lowest paranoia level (1-4) at which the rule runs.
    pub paranoia: u8,
    /// Lower runs first; ties keep load order.
    pub priority: i32,
    /// What a match does.
    pub action: Action,
    /// When the rule matches.
    pub cond: Cond,
    /// Where it came from (file name), for messages.
    pub source: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_name_selectors_match_like_their_regex() {
        let names = [
            "accept",
            "accept-encoding",
            "sec-fetch-mode",
            "sec-",
            "sec",
            "x-sec-a",
            "if-match",
            "if-",
            "host",
            "hostx",
            "xhost",
            "Accept",
            "sec-a\nb",
            "",
            "x-api-key",
            "te",
        ];
        for pattern in [
            "^(?:accept|accept-encoding|sec-.*|host|if-.*|te)$",
            "^host$",
            "^x-.*$",
        ] {
            let set = NameSet::parse(pattern).expect(pattern);
            let re = Regex::new(pattern).unwrap();
            for n in names {
                assert_eq!(set.matches(n), re.is_match(n), "{pattern} on {n:?}");
            }
        }
        for not_literal in [
            "^(?:a|b)",
            "(?:a|b)$",
            "^a.b$",
            "^(?i:a)$",
            "^a+$",
            "^(?:a|B)$",
            "^(?:a||b)$",
        ] {
            assert!(NameSet::parse(not_literal).is_none(), "{not_literal}");
        }
        let t: Target = "headers:/^(?:cookie|x-.*)$/".parse().unwrap();
        assert!(matches!(t.selector, Some(Selector::Names(_))));
        assert!(t.covers(Var::Headers, "x-forwarded-for") && !t.covers(Var::Headers, "host"));
    }

    #[test]
    fn var_names_round_trip() {
        for (name, var, shown) in Var::TABLE {
            assert_eq!(Var::from_name(name), Some(var));
            assert_eq!(var.display(), shown);
        }
        assert_eq!(Var::from_name("body"), Some(Var::ArgsPost));
        assert_eq!(Var::from_name("nope"), None);
    }

    #[test]
    fn coverage() {
        assert!(Var::Args.covers(Var::Json));
        assert!(Var::ArgsPost.covers(Var::Form));
        assert!(!Var::ArgsPost.covers(Var::ArgsGet));
        assert!(!Var::Json.covers(Var::Form));
        let t = Target {
            var: Var::Args,
            selector: Some(Selector::Name("Password".into())),
        };
        assert!(t.covers(Var::Form, "password"));
        assert!(!t.covers(Var::Cookies, "password"));
    }

    #[test]
    fn target_specs() {
        let t: Target = "headers:User-Agent".parse().unwrap();
        assert_eq!(t.var, Var::Headers);
        assert!(t.covers(Var::Headers, "user-agent"));
        let t: Target = "args:/^id_[0-9]+$/".parse().unwrap();
        assert!(t.covers(Var::ArgsGet, "id_7"));
        assert!(!t.covers(Var::ArgsGet, "id_x"));
        assert_eq!(
            "nope".parse::<Target>().unwrap_err(),
            "unknown variable `nope`"
        );
        assert!("args:"
            .parse::<Target>()
            .unwrap_err()
            .contains("empty selector"));
        assert!("args:/(/"
            .parse::<Target>()
            .unwrap_err()
            .contains("bad selector regex"));
    }

    #[test]
    fn severity_scores() {
        assert_eq!(
            Severity::from_name("critical").map(Severity::default_score),
            Some(5)
        );
        assert_eq!(
            Severity::from_name("info").map(Severity::default_score),
            Some(0)
        );
        assert_eq!(Severity::from_name("loud"), None);
    }
}
