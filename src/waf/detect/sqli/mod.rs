//! SQL injection: tokenizes the value as SQL three ways (as a bare or numeric
//! value, and as the continuation of a `'` or `"` string literal) and looks for
//! the syntax an injection adds: tautologies and boolean probes after a
//! closed literal, UNION SELECT, stacked statements, comment truncation, time
//! probes and functions typical of injections.

pub mod lex;
pub mod shapes;

use super::norm::Norm;
use super::{Finding, InputContext, Level, Signal};
use lex::{tokenize, Tok};
use shapes::{anywhere, is_proc, is_sys_table, union_select};

/// `ALTER TABLE x`, `DROP TABLE x`, `TRUNCATE TABLE x`, `SET @v`, `DECLARE @v`,
/// `DROP x;` at the start of a value.
fn statement_start(body: &[&Tok]) -> bool {
    let (Some(a), Some(b)) = (body.first(), body.get(1)) else {
        return false;
    };
    if a.kind != 'E' {
        return false;
    }
    let c = body.get(2);
    match a.text.as_str() {
        "alter" | "drop" | "truncate" if b.text == "table" || b.text == "database" => c.is_some(),
        "drop" | "truncate" => b.kind == 'i' && c.is_some_and(|t| t.kind == ';'),
        "set" | "declare" => b.kind == 'v',
        "create" => {
            matches!(
                b.text.as_str(),
                "table" | "function" | "procedure" | "trigger" | "view" | "user" | "database"
            ) && c.is_some_and(|t| t.kind == 'i' || t.kind == 'f')
                && body[2..].iter().any(|t| t.kind == '(')
        }
        "delete" => b.text == "from" && c.is_some_and(|t| t.kind == 'i') && terminated(body, 3),
        "insert" => b.text == "into" && c.is_some_and(|t| t.kind == 'i') && terminated(body, 3),
        "update" => c.is_some_and(|t| t.text == "set") && b.kind == 'i' && terminated(body, 3),
        _ => false,
    }
}

/// The statement at `from` goes on to a `;`, a `WHERE` or a comparison: SQL,
/// not a sentence that starts with "delete from".
fn terminated(body: &[&Tok], from: usize) -> bool {
    body[from.min(body.len())..]
        .iter()
        .any(|t| t.kind == ';' || t.text == "where" || t.kind == 'o' && t.text == "=")
}

/// Names of database system objects (catalogs, stored procedures, packages).
fn sys_object(name: &str) -> bool {
    is_sys_table(name)
        || is_proc(name)
        || ["utl_", "dbms_", "ctxsys.", "sys."]
            .iter()
            .any(|p| name.starts_with(p))
        || matches!(
            name,
            "msdasql" | "sqloledb" | "mysql.db" | "information_schema"
        )
}

/// SQL functions an injection probe sends alone as `name(`: the value is the
/// name and an unclosed parenthesis, nothing else.
const PROBE_FUNCS: &[&str] = &[
    "abs",
    "acos",
    "asin",
    "atan",
    "atan2",
    "ceil",
    "ceiling",
    "cos",
    "cot",
    "degrees",
    "exp",
    "log",
    "log10",
    "log2",
    "pi",
    "pow",
    "power",
    "radians",
    "round",
    "sign",
    "sin",
    "sqrt",
    "tan",
    "truncate",
    "strcmp",
    "lcase",
    "ucase",
    "lower",
    "upper",
    "ltrim",
    "rtrim",
    "trim",
    "reverse",
    "repeat",
    "space",
    "lpad",
    "rpad",
    "replace",
    "left",
    "right",
    "position",
    "default",
    "decode",
    "encode",
    "compress",
    "uncompress",
    "bit_length",
    "char_length",
    "octet_length",
    "soundex",
    "quote",
    "format",
    "conv",
    "bin",
    "oct",
    "now",
    "curdate",
    "user",
    "sysdate",
    "datediff",
    "found_rows",
    "last_insert_id",
    "row_count",
    "connection_id",
];

/// SQL functions no prose or formula starts a value with.
const LEADING_FUNCS: &[&str] = &[
    "hex",
    "unhex",
    "database",
    "strcmp",
    "concat",
    "concat_ws",
    "group_concat",
    "char",
    "chr",
    "ascii",
    "ord",
    "substr",
    "substring",
    "mid",
    "ifnull",
    "iif",
    "nullif",
    "coalesce",
    "cast",
    "md5",
    "sha1",
    "version",
    "current_user",
    "schema",
    "elt",
    "find_in_set",
    "lo_get",
    "if",
    "user",
    "system_user",
    "session_user",
    "db_name",
    "schema_name",
    "user_name",
    "suser_name",
    "is_srvrolemember",
    "make_set",
    "instr",
    "locate",
];

/// Detects SQL injection in one value.
pub fn detect(n: &Norm, ctx: InputContext) -> Option<Finding> {
    let mut best: Option<Finding> = None;
    if let Some(p) = n.lower.find("/*!") {
        let after = n.lower[p + 3..].trim_start();
        if after.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Some(Finding::new(
                Level::Pl1,
                "MySQL executable comment",
                &n.lower,
            ));
        }
    }
    if escaped_quote_logic(&n.lower) {
        return Some(Finding::new(
            Level::Pl1,
            "logic operator after an escaped quote",
            &n.lower,
        ));
    }
    if glued_logic(&n.lower) {
        return Some(Finding::new(
            Level::Pl1,
            "logic operator glued to a quote",
            &n.lower,
        ));
    }
    if n.lower.contains("/*") && comment_spaced_keyword(&n.lower) {
        return Some(Finding::new(
            Level::Pl1,
            "comment used as a space next to a SQL keyword",
            &n.lower,
        ));
    }
    if n.lower.contains("2.225073858507201") && n.lower.contains("e-308") {
        return Some(Finding::new(
            Level::Pl1,
            "floating-point parser hang value",
            &n.lower,
        ));
    }
    if n.lower.contains("::") && pg_cast(&n.lower) {
        return Some(Finding::new(
            Level::Pl1,
            "Postgres type cast of a column or function",
            &n.lower,
        ));
    }
    if n.lower.contains('=') && quoted_tautology(&n.lower) {
        return Some(Finding::new(Level::Pl1, "quoted tautology", &n.lower));
    }
    let mut vs = variants(&n.lower);
    if ctx == InputContext::Path {
        vs.extend(
            n.lower
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        );
    }
    for v in vs {
        for q in [None, Some('\''), Some('"'), Some('`')] {
            if q.is_some_and(|q| !v.contains(q)) {
                continue;
            }
            let toks = tokenize(&v, q);
            if let Some(sig) = judge(&toks, q.is_some()) {
                if best.as_ref().is_none_or(|b| sig.level < b.level) {
                    best = Some(sig.finding(&v));
                }
                if sig.level == Level::Pl1 {
                    return best;
                }
            }
        }
    }
    best
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
    let re = super::static_regex(
        &R,
        r#"[a-z0-9'"\\]['"](?:or|and|xor|\|\||&&)(?:['"(@]|\s*(?:\d+|true|false|null)\s*(?:$|[=<>#;)-]))"#,
    );
    re.is_match(s)
}

/// `select/**/x`, `drop/*c*/t`, `dr/**/op/*c*/t`: a block comment glued to a
/// SQL keyword on one side and a word on the other, as a space substitute.
fn comment_spaced_keyword(s: &str) -> bool {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = super::static_regex(&R, r"([a-z_@]+)/\*[^*]*\*/([a-z_@(]+)");
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
    let re = super::static_regex(
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

fn variants(lower: &str) -> Vec<String> {
    let mut out = vec![lower.to_string()];
    if lower.contains('+') {
        out.push(lower.replace('+', " "));
    }
    if lower.contains("/*") {
        out.push(strip_block_comments(lower));
    }
    out
}

fn strip_block_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find("/*") {
        out.push_str(&rest[..p]);
        match rest[p + 2..].find("*/") {
            Some(e) => rest = &rest[p + 2 + e + 2..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// The level and reason for a token stream, if it looks injected.
fn judge(toks: &[Tok], in_string: bool) -> Option<Signal> {
    let body: Vec<&Tok> = toks.iter().filter(|t| t.kind != 'c').collect();
    let fp: String = body.iter().map(|t| t.kind).collect();
    let trailing_comment = toks.last().is_some_and(|t| t.kind == 'c');
    if !in_string {
        if let Some(r) = leading_call(&body).filter(|r| r.level == Level::Pl1) {
            return Some(r);
        }
    }
    if let Some(r) = anywhere(&body, &fp) {
        return Some(r);
    }
    if in_string {
        if toks.first().map(|t| t.kind) != Some('s') {
            return None;
        }
        if toks.get(1).is_some_and(|t| t.kind == 'c') && toks.len() <= 3 {
            return Some(Signal::new(
                Level::Pl1,
                "comment truncation after a closed string",
            ));
        }
        return after_literal(&body, 1, trailing_comment, true);
    }
    if let Some(r) = leading_call(&body) {
        return Some(r);
    }
    let start = usize::from(fp.starts_with('o') && fp[1..].starts_with('n'));
    let r = match fp.as_bytes().get(start) {
        Some(b'&')
            if fp[start + 1..].starts_with("io")
                && body.get(start + 2).is_some_and(|o| o.text == "=")
                && fp[start + 3..].starts_with(['s', 'S', 'n']) =>
        {
            Some(Signal::new(Level::Pl1, "condition opening the value"))
        }
        Some(b'&')
            if fp[start + 1..].starts_with(['n', 's', 'v', 'F', '('])
                || fp[start + 1..].starts_with("f(") =>
        {
            logic_tail(&fp[start + 1..], trailing_comment)
                .filter(|r| r.level == Level::Pl1 && (fp.len() >= 4 || trailing_comment))
        }
        Some(b'n') => after_literal(&body, start + 1, trailing_comment, false),
        Some(b')') => after_literal(&body, start, trailing_comment, false),
        _ => None,
    };
    r.or_else(|| fragment(&body, &fp))
}

/// What follows a closed literal (string or number), skipping `)`.
fn after_literal(body: &[&Tok], mut i: usize, comment: bool, string: bool) -> Option<Signal> {
    let mut parens = 0;
    while body.get(i).is_some_and(|t| t.kind == ')') {
        i += 1;
        parens += 1;
    }
    let next = body.get(i)?;
    let rest = &body[i + 1..];
    let fp: String = rest.iter().map(|t| t.kind).collect();
    match next.kind {
        '&' => logic_tail(&fp, comment),
        'U' if union_select(rest) => Some(Signal::new(Level::Pl1, "UNION SELECT after a literal")),
        ';' if fp.starts_with('E') || (comment && fp.is_empty() && string) => {
            Some(Signal::new(Level::Pl1, "stacked query after a literal"))
        }
        'k' if clause_keyword(&next.text) && !fp.is_empty() => {
            Some(Signal::new(Level::Pl1, "SQL clause after a literal"))
        }
        // Pattern-match operators that are not English words, then a
        // literal: `x' rlike '^a`, a probe of the column's value.
        'o' if string
            && matches!(next.text.as_str(), "rlike" | "regexp" | "ilike" | "glob")
            && fp.starts_with(['s', 'S', 'n']) =>
        {
            Some(Signal::new(
                Level::Pl1,
                "pattern match after a closed string",
            ))
        }
        'o' if string && !fp.is_empty() => op_tail(&fp, comment),
        // `user' collate nocase--`, `x' notnull --`: a postfix clause, then
        // the rest of the query commented out.
        _ if string
            && comment
            && fp.len() <= 1
            && matches!(next.text.as_str(), "collate" | "notnull" | "isnull") =>
        {
            Some(Signal::new(
                Level::Pl1,
                "postfix clause and comment after a closed string",
            ))
        }
        'E' if string
            && matches!(
                next.text.as_str(),
                "waitfor" | "exec" | "execute" | "declare"
            ) =>
        {
            Some(Signal::new(Level::Pl1, "statement after a closed string"))
        }
        'E' | 'U'
            if string
                && rest
                    .first()
                    .is_some_and(|t| matches!(t.kind, 'i' | 'k' | 'E' | 'n' | '(' | 'v' | 'U'))
                && matches!(
                    next.text.as_str(),
                    "alter"
                        | "drop"
                        | "truncate"
                        | "create"
                        | "insert"
                        | "update"
                        | "delete"
                        | "select"
                        | "grant"
                        | "shutdown"
                        | "union"
                        | "intersect"
                ) =>
        {
            Some(Signal::new(Level::Pl1, "statement after a closed string"))
        }
        ';' if string && rest.is_empty() && i == 1 => Some(Signal::new(
            Level::Pl1,
            "statement end after a closed string",
        )),
        'c' if string || parens > 0 => Some(Signal::new(Level::Pl2, "comment after a literal")),
        _ if comment && string && parens > 0 => Some(Signal::new(
            Level::Pl2,
            "parenthesis and comment after a string",
        )),
        _ => None,
    }
}

/// A value that opens with a SQL function call, or with a subquery.
fn leading_call(body: &[&Tok]) -> Option<Signal> {
    let skip = body
        .iter()
        .take_while(|t| t.kind == '(' || t.kind == ')' || t.kind == ',')
        .count();
    let first = body.get(skip)?;
    let next = body.get(skip + 1);
    if skip == 0 && statement_start(body) {
        return Some(Signal::new(Level::Pl1, "value opens with a SQL statement"));
    }
    if body.len() == 1 && matches!(first.kind, 'i' | 's') && sys_object(&first.text) {
        return Some(Signal::new(Level::Pl1, "SQL system object name"));
    }
    if skip == 0
        && first.text == "values"
        && next.is_some_and(|t| t.kind == '(')
        && body.get(2).is_some_and(|t| matches!(t.kind, 's' | 'n'))
        && body.get(3).is_some_and(|t| t.kind == ',')
    {
        return Some(Signal::new(Level::Pl1, "VALUES list opening the value"));
    }
    if skip == 0 && first.text == "select" && next.is_some_and(|t| selected_probe(t, body.get(2))) {
        return Some(Signal::new(Level::Pl1, "SELECT of a function or literal"));
    }
    let bare_open = body.len() == skip + 2 && next.is_some_and(|t| t.kind == '(');
    if bare_open && (first.kind == 'F' || PROBE_FUNCS.contains(&first.text.as_str())) {
        return Some(Signal::new(
            Level::Pl1,
            "SQL function name with an open parenthesis",
        ));
    }
    if first.kind == 'F'
        && LEADING_FUNCS.contains(&first.text.as_str())
        && next.is_some_and(|t| t.kind == '(')
    {
        let arg = body.get(skip + 2);
        if arg.is_none_or(|a| matches!(a.kind, 'n' | 's' | 'S' | 'v' | 'F' | 'E' | '(' | ')' | 'i'))
        {
            return Some(Signal::new(
                Level::Pl1,
                "value opens with a SQL function call",
            ));
        }
    }
    None
}

/// What an injected `SELECT` asks for: a typical injection function, a
/// variable, a hex literal or a CASE expression.
fn selected_probe(t: &Tok, after: Option<&&Tok>) -> bool {
    const CALLED: &[&str] = &[
        "char",
        "chr",
        "if",
        "iif",
        "concat",
        "concat_ws",
        "group_concat",
        "version",
        "user",
        "database",
        "schema",
        "ascii",
        "substring",
        "substr",
        "mid",
        "load_file",
        "benchmark",
        "md5",
        "sha1",
        "hex",
        "unhex",
        "cast",
        "convert",
        "extractvalue",
        "updatexml",
        "current_user",
        "system_user",
        "length",
        "count",
        "coalesce",
        "ifnull",
        "nullif",
    ];
    let call = after.is_some_and(|a| a.kind == '(');
    matches!(t.kind, 'F' | 'v')
        || call && CALLED.contains(&t.text.as_str())
        || matches!(t.text.as_str(), "sleep" | "pg_sleep" | "case" | "@@version")
        || t.kind == 'n' && t.text.starts_with("0x") && t.text.len() > 3
        || t.kind == '(' && after.is_some_and(|a| a.text == "case" || a.text == "select")
}

/// A short value made of SQL syntax only: keywords joined by operators,
/// quotes and parentheses, with few plain words (a query fragment).
fn fragment(body: &[&Tok], fp: &str) -> Option<Signal> {
    if body.len() < 3 || body.len() > 14 || fp.contains('x') {
        return None;
    }
    let words = fp.matches('i').count();
    let keywords = body
        .iter()
        .filter(|t| matches!(t.kind, 'k' | 'E' | 'U' | '&' | 'F'))
        .count();
    let cmp = body.iter().any(|t| {
        t.kind == 'o'
            && matches!(
                t.text.as_str(),
                "=" | "<>" | "!=" | "<=>" | ">=" | "<=" | "::" | ":=" | "||"
            )
    });
    let punct = fp.contains(['(', ')', 's', 'S', ',']) || cmp;
    let opens = matches!(fp.as_bytes()[0], b')' | b'&' | b'k' | b'o' | b'S' | b's');
    if keywords >= 1 && cmp && punct && opens && words * 2 <= body.len() {
        return Some(Signal::new(Level::Pl2, "SQL fragment"));
    }
    None
}

fn clause_keyword(w: &str) -> bool {
    matches!(
        w,
        "order" | "group" | "having" | "procedure" | "into" | "limit" | "where"
    )
}

/// After `<literal> and|or`: a comparison, a SQL function or a statement
/// makes it a boolean probe or a tautology.
fn logic_tail(fp: &str, comment: bool) -> Option<Signal> {
    let first = fp.chars().next()?;
    if !"nsSvfF(oiE".contains(first) {
        return None;
    }
    let clause: String = fp
        .chars()
        .take_while(|&c| c != '&' && c != ';')
        .take(8)
        .collect();
    if clause.contains('x') || clause.is_empty() && !comment {
        return None;
    }
    let is_sql = clause.contains('o') && clause.len() >= 2
        || clause.contains('F')
        || clause.contains('E')
        || clause.starts_with('v');
    if is_sql || (comment && "nsvFfi(".contains(first)) {
        return Some(Signal::new(Level::Pl1, "boolean condition after a literal"));
    }
    if first != 'i' {
        return Some(Signal::new(Level::Pl2, "logic operator after a literal"));
    }
    None
}

fn op_tail(fp: &str, comment: bool) -> Option<Signal> {
    if fp.contains('x') {
        return None;
    }
    if fp.contains('F') || fp.contains('E') || fp.contains('U') || comment && !fp.is_empty() {
        return Some(Signal::new(Level::Pl1, "expression after a closed string"));
    }
    if fp.len() >= 3 && fp.contains('&') && !fp.contains('x') {
        return Some(Signal::new(Level::Pl1, "expression after a closed string"));
    }
    if "nsSv".contains(fp.chars().next()?) {
        return Some(Signal::new(Level::Pl2, "operator after a closed string"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lvl(s: &str) -> Option<Level> {
        detect(&Norm::new(s), InputContext::QueryValue).map(|f| f.level)
    }

    #[test]
    fn catches_string_context() {
        for s in [
            "x' OR 'b'='b",
            "nobody' or 2>1 -- ",
            "joe') or ('x'='x",
            "q' UNION ALL SELECT username, pass FROM accounts#",
            "z'; DROP TABLE orders;--",
            "root'#",
            "k' AND substring(@@version,1,1)=5 --",
            "e\" or \"\"=\"",
            "a'||pg_sleep(7)--",
            "m' waitfor delay '0:0:9'--",
            "pat' RLIKE '^adm",
            "k' regexp 0x5e61",
            "acct' collate latin1_bin --",
            "v' isnull --",
        ] {
            assert_eq!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }

    #[test]
    fn catches_numeric_context() {
        for s in [
            "7 or 3=3",
            "12 AND SLEEP(4)",
            "-3 union select null,null,version()",
            "5; exec master..xp_cmdshell 'ping x'",
            "4 order by 9",
            "1/*!12345UNION*//*!SELECT*/ 1,2",
            "benchmark(9000000,md5(1))",
            "1 and extractvalue(1,concat(0x7e,user()))",
            "SELECT * FROM secrets WHERE 1=1",
            "1)) and 8=8 --",
            "select case when (1=1) then 1 else 0 end",
            "copy (select 1) to program 'id'",
            "unhex(",
            "sin (",
            "INFORMATION_SCHEMA",
            "xp_regread",
            "alter table t add c int",
            "set @v = 1",
            "x'and unknown (a)--",
            "7 except select.1,2",
            "x in (select * from t",
            "@a:=1",
            "OR 'a'::text = 'a'",
            "1 union select name || ':' || pass from users",
            "exec master..xp_dirtree '//x/y'",
            "n'or'n",
            "and kind = '",
            ") as total from",
            "select slEEp (-3 * -2)",
            "x group by y having count(id) >= 2",
            "'{}'::jsonb @> '{}'",
            "UNION/*x*/SELECT 1",
            "dr/**/op/*y*/accounts",
            "select/**/name/**/from/**/t",
            "SELECT CHR(65)",
            "select 0x41424344",
            "select (case when 1 then 2 end)",
            "select pg_sleep",
            "session_user::int",
            "b', 'x'='x'",
            "9 or 'q'='q",
            "DELETE FROM accounts;--",
            "update t set a=1 where 1",
            "'sqloledb'",
            "x\\' or 2",
            "q\\'and",
            "zed'; ",
            "k' drop t",
            "OR md5_hex('x') = 'y'",
            "x' or '{}' ?| 'a'",
            "select benchmark (10, md5(1))",
            "values ('a', 'b')",
            "CREATE PROCEDURE p (x INT) BEGIN END",
            "` as `total_x` from",
            "z'||true",
            "or 3#",
            "2.2250738585072011e-308",
            "7\u{b4} or \u{b4}1\u{b4}=\u{b4}1",
        ] {
            assert_eq!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }

    #[test]
    fn passes_english() {
        for s in [
            "O'Brien",
            "don't select the union option or else",
            "I'm 5' or so tall",
            "Please select one from the list",
            "rock 'n' roll; select your seats",
            "Tom & Jerry; the union of two sets",
            "It's a 'nice' day -- really",
            "1 or 2 items",
            "we sleep (a lot)",
            "\"quoted\" and more",
            "round(2.5) then",
            "C# or F#",
            "Union Select Committee meets",
            "(select one) of the options",
            "if you can, call me",
            "round(2.5) is 3",
            "the word 'or' is short",
            "D'or 2nd edition",
            "as far as I know from experience",
            "and so = it goes",
            "it's 'and' not 'or'",
            "src/**/*.rs",
            "a /* note */ b",
            "select color (red)",
            "Select one (1) item",
            "std::string and i32::MAX",
            "'a' = 'b'",
            "name='x'",
            "Delete from my list please",
            "update my profile set",
            "He said 'hi'; then left",
            "it\\'s and more",
            "Jack' drop-off",
            "create table for 6 people",
            "Values (honesty) matter",
            "or 3 more",
            "use `git status` as a check",
            "it's a regexp 'guide'",
            "Don't collate the pages -- thanks",
            "Grep's regexp syntax",
        ] {
            assert_ne!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }
}
