//! SQL injection shapes that are injections wherever they appear in a value:
//! UNION SELECT, stacked statements, time probes, functions typical of
//! injections, system catalogs and variables, subqueries.

use super::lex::Tok;
use crate::waf::detect::{Level, Signal};

/// Functions whose call alone is an injection at level 1.
const STRONG: &[&str] = &[
    "sleep",
    "benchmark",
    "pg_sleep",
    "extractvalue",
    "updatexml",
    "load_file",
    "xp_cmdshell",
    "sys_eval",
    "sys_exec",
    "pg_read_file",
    "pg_ls_dir",
    "lo_import",
    "load_extension",
    "name_const",
    "gtid_subset",
    "receive_message",
    "get_host_address",
    "get_host_name",
    "dblink",
    "openrowset",
    "opendatasource",
    "xp_dirtree",
    "xp_regread",
    "sp_oacreate",
    "randomblob",
    "sqlite_version",
    "pg_read_binary_file",
    "sp_executesql",
    "dbms_xmlgen",
    "drithsx",
    "request",
    "get_lock",
    "make_set",
    "json_keys",
];

const SYS_TABLES: &[&str] = &[
    "information_schema",
    "sysobjects",
    "syscolumns",
    "sys.tables",
    "sys.objects",
    "mysql.user",
    "pg_shadow",
    "pg_user",
    "pg_tables",
    "all_tables",
    "user_tables",
    "sqlite_master",
    "sqlite_schema",
    "msysobjects",
    "master.dbo",
    "pg_catalog",
    "all_users",
    "dba_users",
    "v$version",
];

/// `UNION [ALL|DISTINCT] [(] SELECT`.
pub(super) fn union_select(rest: &[&Tok]) -> bool {
    let mut i = 0;
    while rest.get(i).is_some_and(|t| {
        t.kind == '('
            || (t.kind == 'k' && matches!(t.text.as_str(), "all" | "distinct"))
            || t.text == "distinctrow"
    }) {
        i += 1;
    }
    rest.get(i)
        .is_some_and(|t| t.kind == 'E' && t.text == "select")
}

/// Shapes that are injections wherever they appear.
pub(super) fn anywhere(body: &[&Tok], fp: &str) -> Option<Signal> {
    let mut best = None;
    for (i, t) in body.iter().enumerate() {
        let next = body.get(i + 1);
        let r = match t.kind {
            'U' if union_select(&body[i + 1..]) => union_tail(&body[i + 1..]),
            ';' => next.and_then(|e| stacked(e, &body[i + 2..])),
            'F' if next.is_some_and(|p| p.kind == '(') => strong_call(&t.text, &body[i + 2..]),
            'E' if matches!(t.text.as_str(), "exec" | "execute")
                && next.is_some_and(|p| is_proc(&p.text)) =>
            {
                Some(Signal::new(Level::Pl1, "stored procedure call"))
            }
            'E' if t.text == "waitfor"
                && next.is_some_and(|d| d.text == "delay" || d.text == "time") =>
            {
                Some(Signal::new(Level::Pl1, "WAITFOR time probe"))
            }
            'k' if t.text == "into"
                && next.is_some_and(|d| d.text == "outfile" || d.text == "dumpfile") =>
            {
                Some(Signal::new(Level::Pl1, "INTO OUTFILE"))
            }
            'v' if is_sys_var(&t.text) => Some(Signal::new(Level::Pl1, "system variable")),
            'E' if t.text == "select" && i == 0 => full_select(body, fp),
            '(' if next.is_some_and(|s| s.text == "select") => subquery(&body[i + 2..]),
            'o' if t.text == ":=" && i > 0 && body[i - 1].kind == 'v' => {
                Some(Signal::new(Level::Pl1, "SQL variable assignment"))
            }
            'k' if t.text == "case" && next.is_some_and(|w| w.text == "when") => {
                Some(Signal::new(Level::Pl1, "CASE WHEN expression"))
            }
            'k' if t.text == "procedure" && next.is_some_and(|w| w.text == "analyse") => {
                Some(Signal::new(Level::Pl1, "PROCEDURE ANALYSE"))
            }
            'k' if t.text == "having" && body[i + 1..].iter().take(6).any(|w| w.kind == 'o') => {
                Some(Signal::new(Level::Pl1, "HAVING condition"))
            }
            'k' if t.text == "as" && alias_from(body, i) => {
                Some(Signal::new(Level::Pl1, "column alias before FROM"))
            }
            'E' if t.text == "execute" && next.is_some_and(|w| w.text == "immediate") => {
                Some(Signal::new(Level::Pl1, "EXECUTE IMMEDIATE"))
            }
            'o' if t.text == "::"
                && i > 0
                && matches!(body[i - 1].kind, 's' | ')')
                && next.is_some_and(|w| w.kind == 'i' || w.kind == 'k') =>
            {
                Some(Signal::new(Level::Pl1, "cast of a literal"))
            }
            'i' if t.text == "to" && next.is_some_and(|w| w.text == "program") => {
                Some(Signal::new(Level::Pl1, "COPY TO PROGRAM"))
            }
            'k' if t.text == "from" => next
                .filter(|x| is_sys_table(&x.text))
                .map(|_| Signal::new(Level::Pl1, "system catalog read")),
            _ => None,
        };
        if r.is_some_and(|r| r.level == Level::Pl1) {
            return r;
        }
        best = best.or(r);
    }
    best
}

fn subquery(rest: &[&Tok]) -> Option<Signal> {
    let a = rest.first()?;
    let b = rest.get(1);
    let sql = matches!(a.kind, 'n' | 'v' | 'F' | '(')
        || a.text == "*"
        || a.kind == 'k' && matches!(a.text.as_str(), "case" | "distinct" | "top")
        || a.kind == 'i' && b.is_some_and(|b| b.text == "from" || b.kind == ',');
    sql.then_some(Signal::new(Level::Pl1, "subquery"))
}

/// `AS alias FROM` where the alias is quoted or the expression closes a parenthesis.
fn alias_from(body: &[&Tok], i: usize) -> bool {
    let alias = body.get(i + 1);
    let from = body.get(i + 2).is_some_and(|t| t.text == "from");
    let quoted = alias.is_some_and(|a| {
        matches!(a.kind, 's' | 'S')
            || a.kind == 'i' && i > 0 && body[i - 1].kind == 'i' && body[i - 1].text.is_empty()
    });
    let closes = i > 0 && matches!(body[i - 1].kind, ')' | 'n' | 's');
    from && (quoted || closes || alias.is_some_and(|a| a.kind == 'i' && a.text.contains('_')))
}

pub(super) fn is_proc(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name);
    last.starts_with("xp_") || last.starts_with("sp_") || name.starts_with("master.")
}

fn is_sys_var(v: &str) -> bool {
    const VARS: &[&str] = &[
        "version",
        "datadir",
        "hostname",
        "basedir",
        "servername",
        "tmpdir",
        "version_compile_os",
        "spid",
        "language",
        "servicename",
        "microsoftversion",
        "identity",
        "global",
        "session",
        "secure_file_priv",
        "plugin_dir",
        "port",
        "innodb_version",
    ];
    v.strip_prefix("@@").is_some_and(|name| {
        VARS.iter()
            .any(|k| name == *k || name.starts_with(&format!("{k}.")))
    })
}

pub(super) fn is_sys_table(name: &str) -> bool {
    SYS_TABLES.iter().any(|s| name.starts_with(s))
}

fn union_tail(rest: &[&Tok]) -> Option<Signal> {
    let sel = rest.iter().position(|t| t.kind == 'E')?;
    let after: Vec<char> = rest[sel + 1..].iter().take(3).map(|t| t.kind).collect();
    let first = rest.get(sel + 1);
    let from_follows = rest[sel + 1..].iter().take(10).any(|t| t.text == "from");
    let sql_like = from_follows
        || match after.first() {
            Some('n' | 'v' | 'F' | 'f' | '(' | 's') => true,
            Some('o') => first.is_some_and(|t| t.text == "*"),
            Some('i') => matches!(after.get(1), Some(',') | Some('k')),
            Some('k') => rest.get(sel + 1).is_some_and(|t| {
                matches!(
                    t.text.as_str(),
                    "all" | "distinct" | "top" | "case" | "null"
                )
            }),
            None => false,
            _ => false,
        };
    Some(if sql_like {
        Signal::new(Level::Pl1, "UNION SELECT")
    } else {
        Signal::new(Level::Pl2, "union select words")
    })
}

fn stacked(e: &Tok, rest: &[&Tok]) -> Option<Signal> {
    if e.kind != 'E' {
        return None;
    }
    let n1 = rest.first().map(|t| t.text.as_str()).unwrap_or("");
    let k1 = rest.first().map(|t| t.kind).unwrap_or(' ');
    let ok = match e.text.as_str() {
        "drop" | "create" | "alter" | "truncate" => matches!(
            n1,
            "table"
                | "database"
                | "procedure"
                | "user"
                | "function"
                | "schema"
                | "view"
                | "trigger"
                | "index"
        ),
        "delete" => n1 == "from",
        "insert" => n1 == "into",
        "update" => rest.get(1).is_none_or(|t| t.text == "set") && k1 == 'i',
        "exec" | "execute" => matches!(k1, 'i' | 'v' | 'F' | 'f' | '('),
        "declare" => k1 == 'v',
        "set" => k1 == 'v',
        "shutdown" => rest.is_empty(),
        "waitfor" => matches!(n1, "delay" | "time"),
        "select" => {
            matches!(k1, 'n' | 'v' | 'F' | 'f' | 's' | '(')
                || n1 == "*"
                || rest.iter().any(|t| t.text == "from")
        }
        _ => false,
    };
    ok.then_some(Signal::new(Level::Pl1, "stacked query"))
}

fn strong_call(name: &str, args: &[&Tok]) -> Option<Signal> {
    let last = name.rsplit('.').next().unwrap_or(name);
    let first = name.split('.').next().unwrap_or(name);
    let strong = STRONG.contains(&last) || first.starts_with("utl_") || first.starts_with("dbms_");
    let Some(arg) = args.first() else {
        return strong.then_some(Signal::new(Level::Pl1, "function typical of SQL injection"));
    };
    let sqlish_arg = matches!(arg.kind, 'n' | 'v' | 'F' | 'E' | 's' | '(' | ')' | 'o');
    if strong && sqlish_arg {
        let numeric = matches!(arg.kind, 'n' | '(')
            || arg.kind == 'o' && args.get(1).is_some_and(|a| a.kind == 'n');
        if matches!(last, "sleep" | "pg_sleep" | "benchmark") && !numeric {
            return Some(Signal::new(Level::Pl2, "time function"));
        }
        if last == "request" && first != "utl_http" {
            return None;
        }
        return Some(Signal::new(Level::Pl1, "function typical of SQL injection"));
    }
    None
}

fn full_select(body: &[&Tok], fp: &str) -> Option<Signal> {
    let from = body.iter().position(|t| t.text == "from")?;
    let cols: String = fp[1..from].to_string();
    let star = body.get(1).is_some_and(|t| t.text == "*");
    let where_cmp = body.iter().any(|t| t.text == "where") && fp[from..].contains('o');
    if star || cols.contains(',') || cols.contains('F') || where_cmp {
        return Some(Signal::new(Level::Pl1, "SELECT ... FROM query"));
    }
    Some(Signal::new(Level::Pl2, "select from words"))
}
