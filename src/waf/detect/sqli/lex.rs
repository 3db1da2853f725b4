//! A small SQL tokenizer covering the dialects an injection targets (MySQL,
//! Postgres, MSSQL, Oracle, SQLite): strings with each quote style, comments
//! (`--`, `#`, `/* */`, MySQL `/*! */`), numbers, operators, keywords,
//! functions and identifiers. Each token has a one-letter kind so that the
//! detector can reason on a fingerprint string.

/// One token: its kind letter and its (lowercase) text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tok {
    /// Kind letter: `s` string, `S` unclosed string, `n` number or literal,
    /// `v` variable, `k` keyword, `U` union, `E` statement, `&` logic,
    /// `o` operator, `f` function, `F` injection-typical function, `i`
    /// identifier, `(` `)` `,` `;`, `c` comment, `x` other.
    pub kind: char,
    /// The token text (strings without their quotes).
    pub text: String,
}

const LOGIC: &[&str] = &["and", "or", "xor"];
const OPS: &[&str] = &[
    "not", "div", "mod", "like", "rlike", "regexp", "is", "in", "between", "sounds", "glob",
    "ilike", "similar",
];
const UNION: &[&str] = &["union", "intersect", "except", "minus"];
const STMT: &[&str] = &[
    "select", "insert", "update", "delete", "drop", "create", "alter", "truncate", "exec",
    "execute", "declare", "waitfor", "shutdown", "grant", "set", "revoke", "merge", "call", "load",
    "handler", "rename", "show", "backup",
];
const KEYWORDS: &[&str] = &[
    "from",
    "where",
    "group",
    "order",
    "by",
    "having",
    "limit",
    "offset",
    "into",
    "outfile",
    "dumpfile",
    "values",
    "table",
    "tables",
    "database",
    "databases",
    "procedure",
    "case",
    "when",
    "then",
    "else",
    "end",
    "as",
    "join",
    "distinct",
    "all",
    "top",
    "asc",
    "desc",
    "collate",
    "delay",
    "time",
    "if",
    "exists",
    "column",
    "schema",
    "analyse",
    "rownum",
    "dual",
    "char",
    "varchar",
    "nvarchar",
    "int",
    "sysdate",
    "current_user",
    "user",
];
const LITERALS: &[&str] = &["null", "true", "false", "unknown"];

/// Functions whose call is, by itself, typical of an injection.
pub const DANGER_FUNCS: &[&str] = &[
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
    "lo_export",
    "load_extension",
    "name_const",
    "gtid_subset",
    "randomblob",
    "xmltype",
    "dblink",
    "openrowset",
    "opendatasource",
    "sp_oacreate",
    "sp_executesql",
    "xp_dirtree",
    "xp_regread",
    "sp_makewebtask",
    "pg_read_binary_file",
    "copy_to",
    "make_set",
    "receive_message",
    "get_host_address",
    "get_host_name",
    "geometrycollection",
    "multipoint",
    "exp",
    "linestring",
    "polygon",
    "multipolygon",
    "multilinestring",
    "json_keys",
    "sqlite_version",
    "dbms_xmlgen",
    "current_setting",
    "version",
    "database",
    "user_name",
    "db_name",
    "schema_name",
    "system_user",
    "session_user",
    "current_user",
    "suser_name",
    "is_srvrolemember",
    "@@version",
    "get_lock",
    "drithsx",
    "utl_http",
    "utl_inaddr",
    "dbms_pipe",
    "dbms_lock",
    "group_concat",
    "concat_ws",
    "string_agg",
    "ascii",
    "substring",
    "substr",
    "mid",
    "char",
    "chr",
    "unhex",
    "hex",
    "ord",
    "ifnull",
    "iif",
    "if",
    "elt",
    "rand",
    "count",
    "concat",
    "cast",
    "convert",
    "length",
    "len",
    "floor",
    "md5",
    "sha1",
    "waitfor",
    "row",
];

/// Tokenizes `s` (expected lowercase). With `quote`, the value is taken to
/// start inside a string closed by that quote (injection into a string literal).
pub fn tokenize(s: &str, quote: Option<char>) -> Vec<Tok> {
    let chars: Vec<char> = s.chars().collect();
    let mut lx = Lexer {
        c: &chars,
        i: 0,
        out: Vec::new(),
    };
    if let Some(q) = quote {
        lx.string(q);
    }
    while lx.i < chars.len() && lx.out.len() < 64 {
        lx.step();
    }
    lx.out
}

struct Lexer<'a> {
    c: &'a [char],
    i: usize,
    out: Vec<Tok>,
}

impl Lexer<'_> {
    fn peek(&self, k: usize) -> char {
        self.c.get(self.i + k).copied().unwrap_or('\0')
    }

    fn push(&mut self, kind: char, text: String) {
        self.out.push(Tok { kind, text });
    }

    fn step(&mut self) {
        let ch = self.peek(0);
        match ch {
            c if c.is_whitespace() || c.is_control() => self.i += 1,
            '\'' | '"' => {
                self.i += 1;
                self.string(ch)
            }
            '`' => {
                self.i += 1;
                self.string('`');
                if let Some(t) = self.out.last_mut() {
                    t.kind = 'i';
                }
            }
            '-' if self.peek(1) == '-' => self.line_comment(),
            '#' => self.line_comment(),
            '/' if self.peek(1) == '*' => self.block_comment(),
            '*' if self.peek(1) == '/' => self.i += 2,
            '(' | ')' | ',' | ';' => {
                self.i += 1;
                self.push(ch, ch.to_string())
            }
            '@' => self.variable(),
            c if c.is_ascii_digit() || (c == '.' && self.peek(1).is_ascii_digit()) => self.number(),
            c if c.is_alphanumeric() || c == '_' || c == '$' => self.word(),
            _ => self.operator(),
        }
    }

    fn string(&mut self, q: char) {
        let mut text = String::new();
        while self.i < self.c.len() {
            let ch = self.c[self.i];
            if ch == '\\' && q != '`' && self.i + 1 < self.c.len() {
                text.push(self.c[self.i + 1]);
                self.i += 2;
                continue;
            }
            self.i += 1;
            if ch == q {
                if self.peek(0) == q {
                    text.push(q);
                    self.i += 1;
                    continue;
                }
                return self.push('s', text);
            }
            text.push(ch);
        }
        self.push('S', text)
    }

    fn line_comment(&mut self) {
        let start = self.i;
        while self.i < self.c.len() && self.c[self.i] != '\n' {
            self.i += 1;
        }
        self.push('c', self.c[start..self.i.min(start + 2)].iter().collect())
    }

    fn block_comment(&mut self) {
        if self.peek(2) == '!' {
            // MySQL executable comment: its content is code.
            self.i += 3;
            while self.peek(0).is_ascii_digit() {
                self.i += 1;
            }
            return;
        }
        let start = self.i;
        self.i += 2;
        while self.i < self.c.len() && !(self.c[self.i] == '*' && self.peek(1) == '/') {
            self.i += 1;
        }
        self.i = (self.i + 2).min(self.c.len());
        let _ = start;
        self.push('c', "/*".to_string())
    }

    fn variable(&mut self) {
        let start = self.i;
        self.i += 1;
        if self.peek(0) == '@' {
            self.i += 1;
        }
        while self.peek(0).is_alphanumeric() || matches!(self.peek(0), '_' | '.' | '$') {
            self.i += 1;
        }
        self.push('v', self.c[start..self.i].iter().collect())
    }

    fn number(&mut self) {
        let start = self.i;
        if self.peek(0) == '0'
            && matches!(self.peek(1), 'x' | 'b')
            && self.peek(2).is_ascii_hexdigit()
        {
            self.i += 2;
            while self.peek(0).is_ascii_hexdigit() {
                self.i += 1;
            }
        } else {
            while self.peek(0).is_ascii_digit() || self.peek(0) == '.' {
                self.i += 1;
            }
            if self.peek(0) == 'e'
                && (self.peek(1).is_ascii_digit() || matches!(self.peek(1), '+' | '-'))
            {
                self.i += 2;
                while self.peek(0).is_ascii_digit() {
                    self.i += 1;
                }
            }
        }
        self.push('n', self.c[start..self.i].iter().collect())
    }

    fn word(&mut self) {
        let start = self.i;
        loop {
            let c = self.peek(0);
            let dot_word =
                c == '.' && (self.peek(1).is_alphabetic() || matches!(self.peek(1), '_' | '.'));
            if !(c.is_alphanumeric() || matches!(c, '_' | '$') || dot_word) {
                break;
            }
            self.i += 1;
        }
        let text: String = self.c[start..self.i].iter().collect();
        let kind = if self.next_is_paren() {
            func_kind(&text)
        } else {
            word_kind(&text)
        };
        self.push(kind, text)
    }

    fn next_is_paren(&self) -> bool {
        let mut j = self.i;
        while j < self.c.len() {
            match self.c[j] {
                c if c.is_whitespace() => j += 1,
                '/' if self.c.get(j + 1) == Some(&'*') => {
                    j += 2;
                    while j < self.c.len() && !(self.c[j] == '*' && self.c.get(j + 1) == Some(&'/'))
                    {
                        j += 1;
                    }
                    j += 2;
                }
                '(' => return true,
                _ => return false,
            }
        }
        false
    }

    fn operator(&mut self) {
        const MULTI: &[&str] = &[
            "<=>", "<>", "!=", "<=", ">=", "||", "&&", "::", ":=", "!<", "!>", "<<", ">>", "?|",
            "?&", "@>", "<@",
        ];
        for m in MULTI {
            let n = m.chars().count();
            if self.c.len() >= self.i + n
                && self.c[self.i..self.i + n].iter().copied().eq(m.chars())
            {
                self.i += n;
                let kind = if matches!(*m, "||" | "&&") { '&' } else { 'o' };
                return self.push(kind, m.to_string());
            }
        }
        let ch = self.peek(0);
        self.i += 1;
        let kind = if "=<>+-*/%^|&~!".contains(ch) {
            'o'
        } else {
            'x'
        };
        self.push(kind, ch.to_string())
    }
}

fn word_kind(w: &str) -> char {
    static M: std::sync::OnceLock<crate::waf::detect::WordMap> = std::sync::OnceLock::new();
    let m = M.get_or_init(|| {
        crate::waf::detect::word_map(&[
            (LOGIC, '&'),
            (OPS, 'o'),
            (UNION, 'U'),
            (STMT, 'E'),
            (LITERALS, 'n'),
            (KEYWORDS, 'k'),
        ])
    });
    m.get(w).copied().unwrap_or('i')
}

fn is_danger_func(w: &str) -> bool {
    static M: std::sync::OnceLock<crate::waf::detect::WordMap> = std::sync::OnceLock::new();
    M.get_or_init(|| crate::waf::detect::word_map(&[(DANGER_FUNCS, 'F')]))
        .contains_key(w)
}

#[cfg(test)]
fn word_kind_linear(w: &str) -> char {
    if LOGIC.contains(&w) {
        '&'
    } else if OPS.contains(&w) {
        'o'
    } else if UNION.contains(&w) {
        'U'
    } else if STMT.contains(&w) {
        'E'
    } else if LITERALS.contains(&w) {
        'n'
    } else if KEYWORDS.contains(&w) {
        'k'
    } else {
        'i'
    }
}

fn func_kind(w: &str) -> char {
    let last = w.rsplit('.').next().unwrap_or(w);
    let first = w.split('.').next().unwrap_or(w);
    if is_danger_func(last) || is_danger_func(first) {
        'F'
    } else if matches!(word_kind(w), '&' | 'o' | 'U' | 'E') {
        word_kind(w)
    } else {
        'f'
    }
}

/// The kind letters of `toks` as a string.
pub fn fingerprint(toks: &[Tok]) -> String {
    toks.iter().map(|t| t.kind).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(s: &str, q: Option<char>) -> String {
        fingerprint(&tokenize(s, q))
    }

    #[test]
    fn tokenizes_string_break() {
        assert_eq!(fp("1' or '1'='1", Some('\'')), "s&soS");
        assert_eq!(fp("admin'-- x", Some('\'')), "sc");
        assert_eq!(fp("x' union/**/select 1,2#", Some('\'')), "sUcEn,nc");
    }

    #[test]
    fn tokenizes_functions_and_variables() {
        assert_eq!(fp("1 and sleep(5)", None), "n&F(n)");
        assert_eq!(fp("@@version", None), "v");
        assert_eq!(fp("/*!50000union*/ select", None), "UE");
        assert_eq!(fp("0x41 || 'a'", None), "n&s");
    }

    #[test]
    fn word_tables_match_the_lists() {
        let mut words: Vec<&str> =
            [LOGIC, OPS, UNION, STMT, LITERALS, KEYWORDS, DANGER_FUNCS].concat();
        words.extend([
            "",
            "x",
            "selec",
            "selects",
            "ORDER",
            "char(",
            "pg_sleepy",
            "i",
        ]);
        for w in words {
            assert_eq!(word_kind(w), word_kind_linear(w), "{w}");
            assert_eq!(is_danger_func(w), DANGER_FUNCS.contains(&w), "{w}");
        }
        assert_eq!(
            fp("a or b and sleep(1) union select null from t", None),
            "i&i&F(n)UEnki"
        );
    }
}
