//! SQL injection: tokenizes the value as SQL three ways (as a bare or numeric
//! value, and as the continuation of a `'` or `"` string literal) and looks for
//! the syntax an injection adds: tautologies and boolean probes after a
//! closed literal, UNION SELECT, stacked statements, comment truncation, time
//! probes and functions typical of injections.

mod judge;
mod leading;
pub mod lex;
pub mod shapes;
mod text;

use super::norm::Norm;
use super::{strip_block_comments, Finding, InputContext, Level};
use judge::judge;
use lex::tokenize;
use text::text_shape;

/// Detects SQL injection in one value.
pub fn detect(n: &Norm, ctx: InputContext) -> Option<Finding> {
    if let Some(sig) = text_shape(&n.lower) {
        return Some(sig.finding(&n.lower));
    }
    let mut best: Option<Finding> = None;
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
