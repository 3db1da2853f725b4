//! What a SQL value opens with: a statement (`DROP TABLE x`), a system object
//! name, a `VALUES` list, a `SELECT` of a probe, or a call of a function no
//! prose starts a value with.

use super::lex::Tok;
use super::shapes::{is_proc, is_sys_table};
use crate::waf::detect::{Level, Signal};

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

/// A value that opens with a SQL function call, or with a subquery.
pub(super) fn leading_call(body: &[&Tok]) -> Option<Signal> {
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
