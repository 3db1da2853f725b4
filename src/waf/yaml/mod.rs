//! The YAML front-end: Rampart's own rule format (`filters/*.yaml`, documented
//! in `filters/README.md`) loaded by path, directory or glob into the rule IR.
//! Kept apart from the IR so another front-end (SecLang) can be added beside it.

pub mod convert;
pub mod file;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::waf::engine::rule::Rule;

/// A rule-loading error; every variant names the file.
#[derive(Debug, Error)]
pub enum RuleError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A pattern matched no file.
    #[error("{pattern}: no rule file matches")]
    NoMatch {
        /// The path or glob.
        pattern: String,
    },
    /// YAML syntax or schema (unknown field, wrong type, missing id).
    #[error("{file}{}: {msg}", line_suffix(*line))]
    Yaml {
        /// The file.
        file: String,
        /// 1-based line, when known.
        line: Option<usize>,
        /// What serde said.
        msg: String,
    },
    /// A field of a rule holds a bad value.
    #[error("{file}{}: rule {id}: field `{field}`: {msg}", line_suffix(*line))]
    Field {
        /// The file.
        file: String,
        /// 1-based line of the rule, when found.
        line: Option<usize>,
        /// The rule id.
        id: u32,
        /// The field.
        field: &'static str,
        /// What is wrong.
        msg: String,
    },
    /// Two rules share an id.
    #[error("{file}: rule {id}: duplicate id (first defined in {first})")]
    DuplicateId {
        /// The file of the second definition.
        file: String,
        /// The id.
        id: u32,
        /// The file of the first definition.
        first: String,
    },
}

fn line_suffix(line: Option<usize>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}

/// The 1-based line where rule `id` starts (`id: N` or `- id: N`).
fn rule_line(text: &str, id: u32) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start().trim_start_matches("- ").trim_start();
            l.strip_prefix("id:")
                .and_then(|v| v.split('#').next())
                .is_some_and(|v| v.trim() == id.to_string())
        })
        .map(|p| p + 1)
}

/// Parses rule-file text; `file` names it in errors.
pub fn load_str(file: &str, text: &str) -> Result<Vec<Rule>, RuleError> {
    let parsed: file::RuleFile = serde_yaml::from_str(text).map_err(|e| RuleError::Yaml {
        file: file.to_string(),
        line: e.location().map(|l| l.line()),
        msg: e.to_string(),
    })?;
    let mut out = Vec::with_capacity(parsed.rules.len());
    let mut seen = HashMap::new();
    for def in &parsed.rules {
        if seen.insert(def.id, ()).is_some() {
            return Err(RuleError::DuplicateId {
                file: file.to_string(),
                id: def.id,
                first: file.to_string(),
            });
        }
        let rule = convert::rule(def, file).map_err(|(field, msg)| RuleError::Field {
            file: file.to_string(),
            line: rule_line(text, def.id),
            id: def.id,
            field,
            msg,
        })?;
        out.push(rule);
    }
    Ok(out)
}

/// Loads every file named by `patterns` (a file, a directory meaning its
/// `*.yaml` and `*.yml` files, or a glob such as `filters/*.yaml` with `*` and
/// `?` in the file name), in pattern order and sorted within a pattern.
/// Rule ids must be unique across all files.
pub fn load_files<S: AsRef<str>>(patterns: &[S]) -> Result<Vec<Rule>, RuleError> {
    let mut rules = Vec::new();
    let mut ids: HashMap<u32, String> = HashMap::new();
    for pattern in patterns {
        for path in expand(pattern.as_ref())? {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(&path).map_err(|source| RuleError::Io {
                file: name.clone(),
                source,
            })?;
            for rule in load_str(&name, &text)? {
                if let Some(first) = ids.insert(rule.id, name.clone()) {
                    return Err(RuleError::DuplicateId {
                        file: name,
                        id: rule.id,
                        first,
                    });
                }
                rules.push(rule);
            }
        }
    }
    Ok(rules)
}

/// Loads rule files (as [`load_files`]) and compiles them into an engine.
pub fn load_engine<S: AsRef<str>>(patterns: &[S]) -> Result<crate::waf::Engine, RuleError> {
    Ok(crate::waf::Engine::compile(load_files(patterns)?))
}

/// Expands one pattern into files.
pub fn expand(pattern: &str) -> Result<Vec<PathBuf>, RuleError> {
    let path = Path::new(pattern);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let (dir, glob) = if path.is_dir() {
        (path.to_path_buf(), None)
    } else if name.contains(['*', '?']) {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
        (dir.unwrap_or(Path::new(".")).to_path_buf(), Some(name))
    } else if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    } else {
        return Err(RuleError::NoMatch {
            pattern: pattern.to_string(),
        });
    };
    let entries = std::fs::read_dir(&dir).map_err(|source| RuleError::Io {
        file: dir.display().to_string(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            match glob {
                Some(g) => wildcard(g.as_bytes(), n.as_bytes()),
                None => n.ends_with(".yaml") || n.ends_with(".yml"),
            }
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(RuleError::NoMatch {
            pattern: pattern.to_string(),
        });
    }
    Ok(files)
}

/// `*` (any run) and `?` (one byte) wildcard match.
fn wildcard(pat: &[u8], name: &[u8]) -> bool {
    match (pat.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            wildcard(&pat[1..], name) || (!name.is_empty() && wildcard(pat, &name[1..]))
        }
        (Some(b'?'), Some(_)) => wildcard(&pat[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => wildcard(&pat[1..], &name[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod filters_tests;
#[cfg(test)]
mod tests;
