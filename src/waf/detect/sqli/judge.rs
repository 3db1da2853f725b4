//! Judging a SQL token stream: what follows a closed literal (logic
//! operators, comparisons, stacked queries, clauses, comments), conditions
//! opening the value, and short fragments made of SQL syntax only.

use super::leading::leading_call;
use super::lex::Tok;
use super::shapes::{anywhere, union_select};
use crate::waf::detect::{Level, Signal};

/// The level and reason for a token stream, if it looks injected.
pub(super) fn judge(toks: &[Tok], in_string: bool) -> Option<Signal> {
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
