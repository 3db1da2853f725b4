//! JSON bodies: every string and number value with its key path (`user.name`,
//! `items[0]`), nested to a bounded depth. Broken JSON is an anomaly.

use std::fmt::{self, Write as _};

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::body::{Body, BodyKind};
use super::{Anomaly, Field, RequestView, MAX_DEPTH, MAX_FIELDS};

/// Parses a JSON body; on failure flags [`Anomaly::MalformedJson`] and keeps only raw text.
/// Streams through the document (no value tree), keeping document order.
pub(super) fn parse(view: &RequestView<'_>, bytes: &[u8]) -> Body {
    let mut body = Body {
        kind: BodyKind::Json,
        fields: Vec::new(),
        files: Vec::new(),
    };
    let mut path = String::new();
    let mut overflow = false;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let walk = Walk {
        path: &mut path,
        out: &mut body.fields,
        depth: 0,
        overflow: &mut overflow,
    };
    if walk.deserialize(&mut de).and_then(|_| de.end()).is_err() {
        view.flag(Anomaly::MalformedJson);
        body.kind = BodyKind::Text;
        body.fields.clear();
    }
    if overflow {
        view.flag(Anomaly::LimitExceeded);
    }
    body
}

/// Walks one JSON value at `path`, appending its leaves.
struct Walk<'p> {
    path: &'p mut String,
    out: &'p mut Vec<Field>,
    depth: usize,
    overflow: &'p mut bool,
}

impl Walk<'_> {
    fn child(&mut self) -> Walk<'_> {
        Walk {
            path: self.path,
            out: self.out,
            depth: self.depth + 1,
            overflow: self.overflow,
        }
    }

    fn leaf(self, value: String) {
        if self.out.len() >= MAX_FIELDS {
            *self.overflow = true;
            return;
        }
        self.out.push(Field {
            name: self.path.clone(),
            value,
        });
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.depth > MAX_DEPTH {
            *self.overflow = true;
            return d.deserialize_ignored_any(IgnoredAny).map(|_| ());
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.leaf(v.to_string());
        Ok(())
    }

    fn visit_string<E>(self, v: String) -> Result<(), E> {
        self.leaf(v);
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.leaf(v.to_string());
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.leaf(v.to_string());
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.leaf(v.to_string());
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        for i in 0usize.. {
            let len = self.path.len();
            let _ = write!(self.path, "[{i}]");
            let more = seq.next_element_seed(self.child())?;
            self.path.truncate(len);
            if more.is_none() {
                break;
            }
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        loop {
            let len = self.path.len();
            if map.next_key_seed(Key(self.path))?.is_none() {
                return Ok(());
            }
            map.next_value_seed(self.child())?;
            self.path.truncate(len);
        }
    }
}

/// Appends `.key` (or `key` at the root) to the path without allocating.
struct Key<'p>(&'p mut String);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        // A key that holds path punctuation (`java.io.File`) is written as
        // `["java.io.File"]` so that it stays one key in the path.
        if v.contains(['.', '[', ']', '@', '"']) {
            self.0.push_str("[\"");
            self.0.push_str(&v.replace('"', "'"));
            self.0.push_str("\"]");
            return Ok(());
        }
        if !self.0.is_empty() {
            self.0.push('.');
        }
        self.0.push_str(v);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::body_fields;
    use super::*;

    fn fields(body: &[u8]) -> (Vec<(String, String)>, Vec<Anomaly>) {
        body_fields("application/json", body)
    }

    #[test]
    fn nested_paths() {
        let (f, a) = fields(br#"{"user":{"name":"ann","age":7},"items":[{"id":"x"},2],"ok":true}"#);
        // Document order.
        let want = [
            ("user.name", "ann"),
            ("user.age", "7"),
            ("items[0].id", "x"),
            ("items[1]", "2"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(f, want);
        assert!(a.is_empty());
        let (f, _) = fields(br#"["a"]"#);
        assert_eq!(f[0].0, "[0]");
    }

    #[test]
    fn trailing_garbage_and_escapes() {
        let (f, a) = fields(br#"{"a":"x"} tail"#);
        assert!(f.is_empty());
        assert_eq!(a, vec![Anomaly::MalformedJson]);
        let (f, _) = fields(br#"{"a\u002eb":"\u003c","n":-1.5e3}"#);
        // A key with a dot stays one key: `["a.b"]`.
        assert_eq!(f[0], ("[\"a.b\"]".to_string(), "<".to_string()));
        assert_eq!(f[1].1, "-1500");
    }

    #[test]
    fn broken_json_is_a_fact() {
        let (f, a) = fields(br#"{"a": "#);
        assert!(f.is_empty());
        assert_eq!(a, vec![Anomaly::MalformedJson]);
    }

    #[test]
    fn deep_json_is_bounded() {
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let (_, a) = fields(deep.as_bytes());
        assert!(a.contains(&Anomaly::LimitExceeded) || a.contains(&Anomaly::MalformedJson));
    }
}
