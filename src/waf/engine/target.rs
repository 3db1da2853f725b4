//! Resolving a rule target against a `RequestView`: the (source, name, value,
//! context) items a test inspects.

use crate::waf::detect::InputContext;
use crate::waf::engine::rule::{Target, Var};
use crate::waf::request::{Field, RequestView};

/// One value to inspect.
#[derive(Clone, Copy, Debug)]
pub struct Item<'v> {
    /// The concrete variable the value came from (`ArgsGet`, `Json`, ...).
    pub source: Var,
    /// Its name (argument, header, key path), empty for single-valued variables.
    pub name: &'v str,
    /// The value.
    pub value: &'v str,
    /// Context handed to detectors.
    pub ctx: InputContext,
}

impl Item<'_> {
    /// The variable name for matches and audit records: `ARGS:q`, `REQUEST_PATH`.
    pub fn var_name(&self) -> String {
        if self.name.is_empty() {
            self.source.display().to_string()
        } else {
            format!("{}:{}", self.source.display(), self.name)
        }
    }
}

fn push_fields<'v>(out: &mut Vec<Item<'v>>, src: Var, fields: &'v [Field], ctx: InputContext) {
    out.extend(fields.iter().map(|f| Item {
        source: src,
        name: &f.name,
        value: &f.value,
        ctx,
    }));
}

fn push_names<'v>(out: &mut Vec<Item<'v>>, src: Var, fields: &'v [Field], ctx: InputContext) {
    out.extend(fields.iter().map(|f| Item {
        source: src,
        name: &f.name,
        value: &f.name,
        ctx,
    }));
}

fn single<'v>(out: &mut Vec<Item<'v>>, src: Var, value: &'v str, ctx: InputContext) {
    out.push(Item {
        source: src,
        name: "",
        value,
        ctx,
    });
}

fn body_source(view: &RequestView<'_>) -> (Var, InputContext) {
    use crate::waf::request::BodyKind;
    match view.body().kind {
        BodyKind::Json => (Var::Json, InputContext::Json),
        BodyKind::Xml => (Var::Xml, InputContext::Xml),
        BodyKind::Multipart => (Var::Multipart, InputContext::BodyValue),
        _ => (Var::Form, InputContext::BodyValue),
    }
}

fn header_ctx(name: &str) -> InputContext {
    if name.eq_ignore_ascii_case("user-agent") {
        InputContext::UserAgent
    } else if name.eq_ignore_ascii_case("referer") {
        InputContext::Referer
    } else {
        InputContext::Header
    }
}

fn body_items<'v>(view: &'v RequestView<'_>, var: Var, out: &mut Vec<Item<'v>>) {
    let (src, ctx) = body_source(view);
    let fields = &view.body().fields;
    match var {
        Var::ArgsPost => push_fields(out, src, fields, ctx),
        Var::ArgsPostNames if matches!(src, Var::Json | Var::Xml) => push_keys(out, fields),
        Var::ArgsPostNames => push_names(out, var, fields, InputContext::BodyName),
        v if v == src => push_fields(out, src, fields, ctx),
        _ => {}
    }
}

/// The last key of a JSON or XML path: `items[3].tags[0]` gives `tags`,
/// `order.item@id` gives `id`.
pub fn last_key(path: &str) -> &str {
    if let Some(inner) = path.strip_suffix("\"]") {
        if let Some(p) = inner.rfind("[\"") {
            return &inner[p + 2..];
        }
    }
    let key = path.rsplit(['.', '@']).next().unwrap_or(path);
    match key.find('[') {
        Some(p) => &key[..p],
        None => key,
    }
}

/// Each distinct key once (JSON and XML names are paths that repeat per array
/// element); named by the first path that has it. The keys of enclosing
/// objects count too: `{"a":{"__proto__":{"b":1}}}` has the key `__proto__`.
fn push_keys<'v>(out: &mut Vec<Item<'v>>, fields: &'v [Field]) {
    let mut seen = std::collections::HashSet::new();
    for f in fields {
        // The path itself, then (for plain `a.b.c` paths; keys quoted as
        // `["x.y"]` stay whole) each enclosing path.
        let quoted = f.name.contains("[\"");
        let mut path = f.name.as_str();
        loop {
            let key = last_key(path);
            if !key.is_empty() && seen.insert(key) {
                out.push(Item {
                    source: Var::ArgsPostNames,
                    name: &f.name,
                    value: key,
                    ctx: InputContext::BodyName,
                });
            }
            match path.rfind(['.', '@']).filter(|_| !quoted) {
                Some(p) => path = &path[..p],
                None => break,
            }
        }
    }
}

/// The one value of a single-valued variable (`None` when absent).
fn scalar<'v>(view: &'v RequestView<'_>, var: Var) -> Option<(&'v str, InputContext)> {
    use crate::waf::request::BodyKind;
    use InputContext as C;
    Some(match var {
        Var::Path => (view.path_normalized(), C::Path),
        Var::PathDecoded => (view.path(), C::Path),
        Var::PathRaw => (view.path_raw(), C::Path),
        Var::QueryString => (view.query_string(), C::QueryValue),
        Var::Uri => (view.uri(), C::Raw),
        Var::Method => (view.method(), C::Raw),
        Var::Host => (view.host(), C::Header),
        Var::BodyRaw if view.body_bytes().is_some() => (view.body_raw(), C::Raw),
        Var::BodyText if view.body().kind == BodyKind::Text => (view.body_raw(), C::Raw),
        Var::RequestLine => (view.strings().1.as_str(), C::Raw),
        Var::RemoteAddr => (view.strings().0.as_str(), C::Raw),
        _ => return None,
    })
}

fn header_items<'v>(view: &'v RequestView<'_>, var: Var, out: &mut Vec<Item<'v>>) {
    out.extend(view.headers().iter().map(|(n, v)| Item {
        source: var,
        name: n,
        value: if var == Var::Headers { v } else { n },
        ctx: if var == Var::Headers {
            header_ctx(n)
        } else {
            InputContext::Header
        },
    }))
}

/// Appends every value of `var` in `view` to `out`.
pub fn items<'v>(view: &'v RequestView<'_>, var: Var, out: &mut Vec<Item<'v>>) {
    use InputContext as C;
    match var {
        Var::Args => {
            items(view, Var::ArgsGet, out);
            items(view, Var::ArgsPost, out);
        }
        Var::ArgsNames => {
            items(view, Var::ArgsGetNames, out);
            items(view, Var::ArgsPostNames, out);
        }
        Var::ArgsGet => push_fields(out, Var::ArgsGet, view.query_args(), C::QueryValue),
        Var::ArgsGetNames => push_names(out, var, view.query_args(), C::QueryName),
        Var::ArgsPost | Var::ArgsPostNames | Var::Form | Var::Multipart | Var::Json | Var::Xml => {
            body_items(view, var, out)
        }
        Var::Files | Var::FilesContentType => out.extend(view.body().files.iter().map(|f| Item {
            source: var,
            name: &f.field,
            value: if var == Var::Files {
                &f.filename
            } else {
                &f.content_type
            },
            ctx: C::BodyValue,
        })),
        Var::FilesNames => out.extend(view.body().files.iter().map(|f| Item {
            source: var,
            name: &f.field,
            value: &f.field,
            ctx: C::BodyName,
        })),
        Var::Headers | Var::HeaderNames => header_items(view, var, out),
        Var::Cookies => push_fields(out, var, view.cookies(), C::Cookie),
        Var::CookieNames => push_names(out, var, view.cookies(), C::Cookie),
        Var::Anomalies => out.extend(view.anomalies().into_iter().map(|a| Item {
            source: var,
            name: "",
            value: a.name(),
            ctx: C::Raw,
        })),
        _ => {
            if let Some((value, ctx)) = scalar(view, var) {
                single(out, var, value, ctx)
            }
        }
    }
}

/// The items of `target` (its selector applied), minus those any of `exclude` covers.
pub fn resolve<'v>(
    view: &'v RequestView<'_>,
    target: &Target,
    exclude: &[Target],
    out: &mut Vec<Item<'v>>,
) {
    let start = out.len();
    items(view, target.var, out);
    let mut i = start;
    while i < out.len() {
        let it = out[i];
        let selected = target.selector.as_ref().is_none_or(|s| s.matches(it.name));
        let excluded = exclude.iter().any(|x| x.covers(it.source, it.name));
        if selected && !excluded {
            i += 1;
        } else {
            out.remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::waf::engine::rule::Selector;
    use std::net::IpAddr;

    fn names(view: &RequestView<'_>, var: Var) -> Vec<String> {
        let mut out = Vec::new();
        items(view, var, &mut out);
        out.iter()
            .map(|i| format!("{}={}", i.var_name(), i.value))
            .collect()
    }

    #[test]
    fn args_cover_query_and_json() {
        let h = vec![("content-type".to_string(), "application/json".to_string())];
        let body = br#"{"user":{"name":"x"}}"#;
        let v = RequestView::new("POST", "/p?q=1", &h, Some(body), IpAddr::from([1, 2, 3, 4]));
        assert_eq!(names(&v, Var::Args), vec!["ARGS:q=1", "JSON:user.name=x"]);
        assert_eq!(
            names(&v, Var::ArgsNames),
            vec![
                "ARGS_NAMES:q=q",
                "ARGS_POST_NAMES:user.name=name",
                "ARGS_POST_NAMES:user.name=user"
            ]
        );
        assert_eq!(names(&v, Var::Form), Vec::<String>::new());
        assert_eq!(names(&v, Var::RemoteAddr), vec!["REMOTE_ADDR=1.2.3.4"]);
        assert_eq!(
            names(&v, Var::Headers),
            vec!["REQUEST_HEADERS:content-type=application/json"]
        );
    }

    #[test]
    fn json_names_are_distinct_keys() {
        assert_eq!(last_key("items[3].tags[0]"), "tags");
        assert_eq!(last_key("order.item@id"), "id");
        assert_eq!(last_key("[0]"), "");
        assert_eq!(last_key("a[\"java.io.File\"]"), "java.io.File");
        let h = vec![("content-type".to_string(), "application/json".to_string())];
        let body = br#"{"items":[{"id":1,"$where":"x"},{"id":2}]}"#;
        let v = RequestView::new("POST", "/", &h, Some(body), IpAddr::from([1, 2, 3, 4]));
        let got = names(&v, Var::ArgsPostNames);
        assert_eq!(
            got,
            vec![
                "ARGS_POST_NAMES:items[0].id=id",
                "ARGS_POST_NAMES:items[0].id=items",
                "ARGS_POST_NAMES:items[0].$where=$where"
            ]
        );
    }

    #[test]
    fn selector_and_exclusion() {
        let h = Vec::new();
        let v = RequestView::new(
            "GET",
            "/?a=1&password=2&b=3",
            &h,
            None,
            IpAddr::from([1, 2, 3, 4]),
        );
        let all = Target {
            var: Var::Args,
            selector: None,
        };
        let pw = Target {
            var: Var::Args,
            selector: Some(Selector::Name("password".into())),
        };
        let mut out = Vec::new();
        resolve(&v, &all, std::slice::from_ref(&pw), &mut out);
        assert_eq!(
            out.iter().map(|i| i.name).collect::<Vec<_>>(),
            vec!["a", "b"]
        );
        out.clear();
        resolve(&v, &pw, &[], &mut out);
        assert_eq!(out.len(), 1);
    }
}
