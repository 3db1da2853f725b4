//! A tiny, tolerant XML scanner: element texts and attribute values with their
//! element path. DOCTYPE and ENTITY declarations are recorded (as the field
//! `!DOCTYPE` and as anomalies) and never expanded.

use super::body::{Body, BodyKind};
use super::{Anomaly, Field, RequestView, MAX_DEPTH, MAX_FIELDS};
use crate::waf::decode::{html_entity_decode, Strictness};

struct Scan<'v, 'a> {
    view: &'v RequestView<'a>,
    stack: Vec<String>,
    fields: Vec<Field>,
}

impl Scan<'_, '_> {
    fn push(&mut self, name: String, value: &str) {
        if self.fields.len() >= MAX_FIELDS {
            self.view.flag(Anomaly::LimitExceeded);
            return;
        }
        self.fields.push(Field {
            name,
            value: html_entity_decode(value, Strictness::Lenient).into_owned(),
        });
    }

    fn path(&self) -> String {
        self.stack.join(".")
    }

    fn text(&mut self, t: &str) {
        let t = t.trim();
        if !t.is_empty() {
            let name = self.path();
            self.push(name, t);
        }
    }

    /// Handles `<...>` starting at `s` (after `<`); returns bytes consumed or None if unterminated.
    fn markup(&mut self, s: &str) -> Option<usize> {
        if let Some(rest) = s.strip_prefix("!--") {
            return rest.find("-->").map(|e| e + 6);
        }
        if let Some(rest) = s.strip_prefix("![CDATA[") {
            let end = rest.find("]]>")?;
            self.text(&rest[..end]);
            return Some(end + 11);
        }
        if s.get(..8)
            .is_some_and(|p| p.eq_ignore_ascii_case("!DOCTYPE"))
        {
            return self.doctype(s);
        }
        if s.starts_with('?') {
            return s.find("?>").map(|e| e + 2);
        }
        let end = s.find('>')?;
        let tag = &s[..end];
        if let Some(name) = tag.strip_prefix('/') {
            if self.stack.pop().as_deref() != Some(name.trim()) {
                self.view.flag(Anomaly::MalformedXml);
            }
        } else {
            self.open(tag);
        }
        Some(end + 1)
    }

    fn doctype(&mut self, s: &str) -> Option<usize> {
        self.view.flag(Anomaly::XmlDoctype);
        let end = match (s.find('['), s.find('>')) {
            (Some(b), Some(g)) if b < g => {
                let close = s[b..].find("]")? + b;
                s[close..].find('>')? + close
            }
            (_, g) => g?,
        };
        let decl = &s[..end];
        if decl.to_ascii_uppercase().contains("<!ENTITY") {
            self.view.flag(Anomaly::XmlEntity);
        }
        // The whole declaration as written, brackets included, so the
        // detectors read it as the markup it is.
        self.fields.push(Field {
            name: "!DOCTYPE".to_string(),
            value: format!("<{decl}>"),
        });
        Some(end + 1)
    }

    fn open(&mut self, tag: &str) {
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name_end = tag.find(|c: char| c.is_whitespace()).unwrap_or(tag.len());
        let name = tag[..name_end].to_string();
        if self.stack.len() >= MAX_DEPTH {
            self.view.flag(Anomaly::LimitExceeded);
            return;
        }
        self.stack.push(name);
        self.attributes(&tag[name_end..]);
        if self_closing {
            self.stack.pop();
        }
    }

    fn attributes(&mut self, mut rest: &str) {
        while let Some(eq) = rest.find('=') {
            let key = rest[..eq].trim().to_string();
            let after = rest[eq + 1..].trim_start();
            let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'');
            let (value, next) = match quote {
                Some(q) => match after[1..].find(q) {
                    Some(e) => (&after[1..1 + e], &after[e + 2..]),
                    None => (&after[1..], ""),
                },
                None => {
                    let e = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..e], &after[e..])
                }
            };
            let name = format!("{}@{}", self.path(), key);
            self.push(name, value);
            rest = next;
        }
    }
}

/// Scans an XML body.
pub(super) fn parse(view: &RequestView<'_>, text: &str) -> Body {
    let mut scan = Scan {
        view,
        stack: Vec::new(),
        fields: Vec::new(),
    };
    let mut rest = text;
    while let Some(lt) = rest.find('<') {
        scan.text(&rest[..lt]);
        match scan.markup(&rest[lt + 1..]) {
            Some(used) => rest = &rest[lt + 1 + used..],
            None => {
                view.flag(Anomaly::MalformedXml);
                rest = "";
            }
        }
    }
    scan.text(rest);
    if !scan.stack.is_empty() {
        view.flag(Anomaly::MalformedXml);
    }
    Body {
        kind: BodyKind::Xml,
        fields: scan.fields,
        files: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::body_fields;
    use super::*;

    fn scan(body: &str) -> (Vec<(String, String)>, Vec<Anomaly>) {
        body_fields("text/xml; charset=utf-8", body.as_bytes())
    }

    #[test]
    fn texts_and_attributes() {
        let (f, a) = scan("<?xml version=\"1.0\"?><a x='1'><b>hi &amp; bye</b><!-- c --><c y=2/><![CDATA[raw<]]></a>");
        let got: Vec<(&str, &str)> = f.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("a@x", "1"),
                ("a.b", "hi & bye"),
                ("a.c@y", "2"),
                ("a", "raw<")
            ]
        );
        assert!(a.is_empty());
    }

    #[test]
    fn entity_declarations_recorded_not_expanded() {
        let doc = "<!DOCTYPE r [<!ENTITY e SYSTEM \"file:///x\">]><r>&e;</r>";
        let (f, a) = scan(doc);
        assert_eq!(f[0].0, "!DOCTYPE");
        assert_eq!(f[0].1, "<!DOCTYPE r [<!ENTITY e SYSTEM \"file:///x\">]>");
        assert_eq!(f[1], ("r".to_string(), "&e;".to_string()));
        assert_eq!(a, vec![Anomaly::XmlDoctype, Anomaly::XmlEntity]);
    }

    #[test]
    fn malformed_xml() {
        assert!(scan("<a><b></a>").1.contains(&Anomaly::MalformedXml));
        assert!(scan("<a").1.contains(&Anomaly::MalformedXml));
        assert!(scan("<a>").1.contains(&Anomaly::MalformedXml));
    }
}
