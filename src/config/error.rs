//! Configuration errors: each names the file, the line and the key path.

use std::fmt;
use std::path::PathBuf;

/// A configuration error with its location.
#[derive(Debug)]
pub struct ConfigError {
    /// File the error is in.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// Key path such as `routes[2].upstream`.
    pub key: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if self.key.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            write!(f, ": {}: {}", self.key, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

/// Finds the line of a key path (`routes[1].upstream`) in block-style YAML.
/// Best effort: returns `None` when the text does not have the expected shape.
pub fn locate(src: &str, key: &str) -> Option<usize> {
    let lines: Vec<&str> = src.lines().collect();
    let (mut from, mut to, mut min_indent) = (0usize, lines.len(), 0usize);
    let mut found = None;
    for seg in split_key(key) {
        let (name, index) = seg;
        // A key missing from the text (a value given in short form) keeps the
        // deepest line found so far.
        // A top-level key is at column 0 (`tls:` is not a listener's `tls:`).
        let top = (from == 0 && min_indent == 0)
            .then(|| {
                lines
                    .iter()
                    .position(|l| indent_of(l) == 0 && find_key(&[l], name, 0).is_some())
            })
            .flatten()
            .map(|l| (l, 0));
        let Some((line, indent)) = top.or_else(|| find_key(&lines[from..to], name, min_indent))
        else {
            break;
        };
        let line = line + from;
        found = Some(line);
        let end = block_end(&lines, line, indent);
        from = line + 1;
        to = end;
        min_indent = indent + 1;
        if let Some(i) = index {
            // Flow sequences (`[a, b]`) stay on the key's line.
            let Some((item, item_indent)) = nth_item(&lines[from..to], i) else {
                break;
            };
            let item = item + from;
            found = Some(item);
            to = block_end(&lines, item, item_indent).min(to);
            from = item;
            min_indent = item_indent;
        }
    }
    found.map(|l| l + 1)
}

fn split_key(key: &str) -> Vec<(&str, Option<usize>)> {
    key.split('.')
        .filter(|s| !s.is_empty())
        .map(|seg| match seg.find('[') {
            Some(p) => (&seg[..p], seg[p + 1..].trim_end_matches(']').parse().ok()),
            None => (seg, None),
        })
        .collect()
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn find_key(lines: &[&str], name: &str, min_indent: usize) -> Option<(usize, usize)> {
    lines.iter().enumerate().find_map(|(i, l)| {
        let t = l.trim_start().trim_start_matches("- ");
        let ind = l.len() - t.len();
        let hit = t.starts_with(name) && t[name.len()..].trim_start().starts_with(':');
        (hit && ind >= min_indent).then_some((i, ind))
    })
}

fn nth_item(lines: &[&str], n: usize) -> Option<(usize, usize)> {
    let first = lines.iter().position(|l| l.trim_start().starts_with('-'))?;
    let indent = indent_of(lines[first]);
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| indent_of(l) == indent && l.trim_start().starts_with('-'))
        .nth(n)
        .map(|(i, _)| (i, indent))
}

fn block_end(lines: &[&str], start: usize, indent: usize) -> usize {
    let is_item = lines[start].trim_start().starts_with('-');
    lines[start + 1..]
        .iter()
        .position(|l| {
            let t = l.trim();
            !t.is_empty()
                && !t.starts_with('#')
                && (indent_of(l) < indent
                    || (indent_of(l) == indent && (!is_item || t.starts_with('-'))))
        })
        .map_or(lines.len(), |p| p + start + 1)
}

#[cfg(test)]
mod tests {
    use super::locate;

    const SRC: &str = "server:\n  threads: 2\nroutes:\n  - name: a\n    upstream: x\n  - name: b\n    hosts: [c]\n    upstream: y\nupstreams:\n  x:\n    servers: []\n";

    #[test]
    fn finds_nested_keys() {
        assert_eq!(locate(SRC, "server.threads"), Some(2));
        assert_eq!(locate(SRC, "routes[0].upstream"), Some(5));
        assert_eq!(locate(SRC, "routes[1].upstream"), Some(8));
        assert_eq!(locate(SRC, "routes[1]"), Some(6));
        assert_eq!(locate(SRC, "upstreams.x.servers"), Some(11));
        assert_eq!(locate(SRC, "nothing"), None);
        assert_eq!(locate(SRC, "routes[0].upstream.deeper"), Some(5));
        assert_eq!(locate(SRC, "routes[1].hosts[0]"), Some(7));
    }
}
