//! Required-literal extraction from regex patterns, for the prefilter: one
//! literal per top-level alternative, each of which any match must contain.
//! Conservative: when unsure it returns `None` and the rule always runs.

/// Shortest literal worth prefiltering on.
const MIN_LEN: usize = 2;

/// Lowercased literals of which at least one occurs in every match of `pattern`.
pub fn required_literals(pattern: &str) -> Option<Vec<String>> {
    if has_verbose_flag(pattern) {
        return None;
    }
    let branches = split_top(pattern)?;
    let mut out = Vec::with_capacity(branches.len());
    for b in branches {
        let lit = longest_literal(b)?;
        if lit.chars().count() < MIN_LEN {
            return None;
        }
        out.push(lit);
    }
    out.sort();
    out.dedup();
    Some(out)
}

/// `(?x)` (whitespace-insensitive) patterns are not analysed.
fn has_verbose_flag(p: &str) -> bool {
    p.match_indices("(?").any(|(i, _)| {
        p[i + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphabetic() || *c == '-')
            .any(|c| c == 'x')
    })
}

/// Splits at `|` outside groups and classes; `None` when unbalanced.
fn split_top(p: &str) -> Option<Vec<&str>> {
    let b = p.as_bytes();
    let (mut depth, mut class, mut start, mut i) = (0i32, 0i32, 0, 0);
    let mut out = Vec::new();
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'[' => class += 1,
            b']' if class > 0 => class -= 1,
            b'(' if class == 0 => depth += 1,
            b')' if class == 0 => depth -= 1,
            b'|' if class == 0 && depth == 0 => {
                out.push(&p[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        if depth < 0 {
            return None;
        }
        i += 1;
    }
    if depth != 0 || class != 0 {
        return None;
    }
    out.push(&p[start..]);
    Some(out)
}

/// Index just past the class starting at `i` (`b[i] == '['`).
fn skip_class(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0;
    let class_start = i;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'[' => depth += 1,
            b']' if i == class_start + 1 || (i == class_start + 2 && b[i - 1] == b'^') => {}
            b']' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// Index just past the group starting at `i` (`b[i] == '('`).
fn skip_group(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'[' => {
                i = skip_class(b, i);
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// Index just past an escape starting at `i` (`b[i] == '\\'`), and the
/// literal char it stands for, if it is one.
fn escape(b: &[u8], i: usize) -> (usize, Option<char>) {
    let Some(&c) = b.get(i + 1) else {
        return (b.len(), None);
    };
    if !c.is_ascii_alphanumeric() {
        return (i + 2, c.is_ascii().then_some(c as char));
    }
    let fixed = match c {
        b'x' => 2,
        b'u' => 4,
        b'U' => 8,
        b'p' | b'P' => 1,
        _ => 0,
    };
    if fixed > 0 && b.get(i + 2) == Some(&b'{') {
        let end = b[i + 2..]
            .iter()
            .position(|x| *x == b'}')
            .map_or(b.len(), |p| i + 3 + p);
        return (end, None);
    }
    (i + 2 + fixed, None)
}

struct Runs {
    best: String,
    cur: String,
}

impl Runs {
    fn cut(&mut self) {
        if self.cur.chars().count() > self.best.chars().count() {
            self.best = std::mem::take(&mut self.cur);
        }
        self.cur.clear();
    }
}

/// The longest run of literal characters every match of `branch` contains.
fn longest_literal(branch: &str) -> Option<String> {
    let b = branch.as_bytes();
    let mut runs = Runs {
        best: String::new(),
        cur: String::new(),
    };
    let mut i = 0;
    while i < b.len() {
        i = step(b, i, &mut runs);
    }
    runs.cut();
    (!runs.best.is_empty()).then_some(runs.best)
}

/// Consumes one atom or quantifier at `i`; returns the next index.
fn step(b: &[u8], i: usize, runs: &mut Runs) -> usize {
    let c = b[i];
    let mut next = i + 1;
    match c {
        b'\\' => {
            let (after, lit) = escape(b, i);
            match lit {
                Some(l) => runs.cur.push(l.to_ascii_lowercase()),
                None => runs.cut(),
            }
            return after;
        }
        b'[' | b'(' => {
            runs.cut();
            return if c == b'[' {
                skip_class(b, i)
            } else {
                skip_group(b, i)
            };
        }
        b'?' | b'*' | b'{' => {
            runs.cur.pop();
            runs.cut();
            if c == b'{' {
                next = b[i..]
                    .iter()
                    .position(|x| *x == b'}')
                    .map_or(b.len(), |p| i + p + 1);
            }
        }
        b'+' | b'.' | b'^' | b'$' | b')' | b']' => runs.cut(),
        c if c.is_ascii() => runs.cur.push(c.to_ascii_lowercase() as char),
        _ => runs.cut(),
    }
    let quantifier = matches!(c, b'?' | b'*' | b'+' | b'{');
    if quantifier && matches!(b.get(next), Some(b'?' | b'+')) {
        next += 1;
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(p: &str) -> Option<Vec<String>> {
        required_literals(p)
    }

    fn v(list: &[&str]) -> Option<Vec<String>> {
        Some(list.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn simple_and_alternation() {
        assert_eq!(lits("(?i)union\\s+select"), v(&["select"]));
        assert_eq!(lits("etc/passwd|win\\.ini"), v(&["etc/passwd", "win.ini"]));
        assert_eq!(lits("<script[^>]*>"), v(&["<script"]));
    }

    #[test]
    fn quantifiers_shorten_runs() {
        assert_eq!(lits("abcd?e"), v(&["abc"]));
        assert_eq!(lits("abc{2}de"), v(&["ab"]));
        assert_eq!(lits("ab+cde"), v(&["cde"]));
        assert_eq!(lits("x*?yz"), v(&["yz"]));
    }

    #[test]
    fn no_literal_means_no_prefilter() {
        assert_eq!(lits("\\d+"), None);
        assert_eq!(lits("abc|\\w"), None);
        assert_eq!(lits("(?x) a b c"), None);
        assert_eq!(lits("a(b"), None);
        assert_eq!(lits("\\p{Greek}+"), None);
        assert_eq!(lits("\\x{41}bc"), v(&["bc"]));
    }

    #[test]
    fn groups_and_classes_are_skipped() {
        assert_eq!(lits("(?:foo|bar)bazz"), v(&["bazz"]));
        assert_eq!(lits("[]a-z]+longer"), v(&["longer"]));
        assert_eq!(lits("on\\w+\\s*="), v(&["on"]));
    }
}
