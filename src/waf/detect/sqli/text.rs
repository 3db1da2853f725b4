//! Whole-value SQL shapes found in the lowercased text before it is
//! tokenized: executable comments, escaped or glued quotes before a logic
//! word, comments used as spaces, Postgres casts, quoted tautologies.

use crate::waf::detect::{Level, Signal};

/// A test on the lowercased value, and the reason it gives.
type Shape = (fn(&str) -> bool, &'static str);

/// The shapes, in the order they are tried; each is confident on its own.
const SHAPES: &[Shape] = &[
    (executable_comment, "MySQL executable comment"),
    (escaped_quote_logic, "logic operator after an escaped quote"),
    (glued_logic, "logic operator glued to a quote"),
    (
        |s| s.contains("/*") && comment_spaced_keyword(s),
        "comment used as a space next to a SQL keyword",
    ),
    (
        |s| s.contains("2.225073858507201") && s.contains("e-308"),
        "floating-point parser hang value",
    ),
    (
        |s| s.contains("::") && pg_cast(s),
        "Postgres type cast of a column or function",
    ),
    (
        |s| s.contains('=') && quoted_tautology(s),
        "quoted tautology",
    ),
];

/// The first shape the lowercased value `s` has.
pub(super) fn text_shape(s: &str) -> Option<Signal> {
    SHAPES
        .iter()
        .find(|(test, _)| test(s))
        .map(|&(_, reason)| Signal::new(Level::Pl1, reason))
}

/// `/*!50000select`: a MySQL comment whose content MySQL runs.
fn executable_comment(s: &str) -> bool {
    s.find("/*!").is_some_and(|p| {
        s[p + 3..]
            .trim_start()
            .starts_with(|c: char| c.is_ascii_alphanumeric())
    })
}

/// `\'and`, `\`or\`1`: a backslash-escaped quote followed by a logic word,
/// the probe for quote-escaping filters.
fn escaped_quote_logic(s: &str) -> bool {
    s.match_indices('\\').any(|(i, _)| {
        let rest = &s[i + 1..];
        let Some(q) = rest
            .chars()
            .next()
            .filter(|c| matches!(c, '\'' | '"' | '`'))
        else {
            return false;
        };
        let after = rest[q.len_utf8()..].trim_start();
        ["and", "or", "xor"].iter().any(|w| {
            after
                .strip_prefix(w)
                .is_some_and(|r| !r.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
        })
    })
}

/// `a'or'1`, `x"and"1`: a closing quote glued to a logic operator and an operand.
fn glued_logic(s: &str) -> bool {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = crate::waf::detect::static_regex(
        &R,
        r#"[a-z0-9'"\\]['"](?:or|and|xor|\|\||&&)(?:['"(@]|\s*(?:\d+|true|false|null)\s*(?:$|[=<>#;)-]))"#,
    );
    re.is_match(s)
}

/// `select/**/x`, `drop/*c*/t`, `dr/**/op/*c*/t`: a block comment glued to a
/// SQL keyword on one side and a word on the other, as a space substitute.
fn comment_spaced_keyword(s: &str) -> bool {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = crate::waf::detect::static_regex(&R, r"([a-z_@]+)/\*[^*]*\*/([a-z_@(]+)");
    let joined = s.contains("/**/").then(|| s.replace("/**/", ""));
    let sql = |w: &str| {
        matches!(
            w,
            "select"
                | "union"
                | "from"
                | "where"
                | "drop"
                | "insert"
                | "into"
                | "update"
                | "delete"
                | "and"
                | "or"
                | "having"
                | "order"
                | "group"
                | "by"
                | "limit"
                | "exec"
                | "declare"
                | "table"
                | "values"
                | "all"
        )
    };
    let glued = |s: &str| {
        re.captures_iter(s).any(|c| {
            let b = c[2].trim_end_matches('(');
            sql(&c[1]) || sql(b)
        })
    };
    glued(s) || joined.as_deref().is_some_and(glued)
}

/// `password::int`, `current_user::text`: a Postgres cast of a name, how
/// error-based probes turn a value into a conversion error.
fn pg_cast(s: &str) -> bool {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = crate::waf::detect::static_regex(
        &R,
        r"(?:^|[^a-z0-9_:])[a-z_][a-z0-9_]*(?:\(\))?\s*::\s*(?:int[248]?|integer|bigint|smallint|text|varchar|numeric|regclass|oid|bytea|jsonb?|inet|bool|boolean)(?:$|[^a-z0-9_:])",
    );
    re.is_match(s)
}

/// `'1'='1'`, `"a" = "a"`: two equal quoted literals compared.
fn quoted_tautology(s: &str) -> bool {
    let b = s.as_bytes();
    for (i, _) in s.match_indices('=') {
        let left = s[..i].trim_end();
        let right = s[i + 1..].trim_start();
        let Some(q) = left.chars().last().filter(|c| *c == '\'' || *c == '"') else {
            continue;
        };
        let inner_l = &left[..left.len() - 1];
        let Some(open) = inner_l.rfind(q) else {
            continue;
        };
        let lit = &inner_l[open + 1..];
        if lit.len() > 16 || !right.starts_with(q) {
            continue;
        }
        let r = &right[1..];
        if r.starts_with(lit) && r[lit.len()..].starts_with(q) && (open == 0 || b[open - 1] != b'=')
        {
            // The left literal opens the value, or follows a quote, a comma,
            // a logic word or a space: `x' or 'a'='a`, `'b', '1'='1'`.
            let before = inner_l[..open].trim_end();
            if before.is_empty()
                || before.ends_with(['\'', '"', ',', '(', ')'])
                || before.ends_with(" or")
                || before.ends_with(" and")
                || before == "or"
                || before == "and"
            {
                return true;
            }
        }
    }
    false
}
