//! Body parsing by Content-Type: urlencoded forms, multipart, and dispatch to
//! the JSON and XML parsers. Bounded, and never panics on malformed input.

use super::{json, xml, Anomaly, Field, RequestView, MAX_FIELDS, MAX_PARTS};
use crate::waf::decode;

/// How the body was parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// No body (or an empty one).
    None,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `multipart/form-data`.
    Multipart,
    /// `application/json` or `+json`.
    Json,
    /// `application/xml`, `text/xml` or `+xml`.
    Xml,
    /// Anything else, or a body that failed to parse: only raw text.
    Text,
}

/// A multipart file part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilePart {
    /// The form field name.
    pub field: String,
    /// The file name as sent.
    pub filename: String,
    /// The part's Content-Type, empty when absent.
    pub content_type: String,
}

/// The parsed body.
#[derive(Clone, Debug)]
pub struct Body {
    /// How it was parsed.
    pub kind: BodyKind,
    /// Form fields, multipart non-file fields, JSON values (key paths) or XML
    /// texts and attributes (element paths).
    pub fields: Vec<Field>,
    /// Multipart files.
    pub files: Vec<FilePart>,
}

impl Body {
    fn new(kind: BodyKind) -> Body {
        Body {
            kind,
            fields: Vec::new(),
            files: Vec::new(),
        }
    }
}

/// Parses the view's body by its Content-Type.
pub(super) fn parse(view: &RequestView<'_>) -> Body {
    let bytes = match view.body_bytes() {
        Some(b) if !b.is_empty() => b,
        _ => return Body::new(BodyKind::None),
    };
    let ct = view
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    let mime = ct.split(';').next().unwrap_or("").trim();
    if mime == "application/x-www-form-urlencoded" {
        let mut b = Body::new(BodyKind::Form);
        b.fields = parse_urlencoded(view, &String::from_utf8_lossy(bytes));
        b
    } else if mime == "multipart/form-data" {
        let raw_ct = view.header("content-type").unwrap_or("");
        parse_multipart(view, raw_ct, bytes)
    } else if mime == "application/json" || mime.ends_with("+json") {
        json::parse(view, bytes)
    } else if mime == "application/xml" || mime == "text/xml" || mime.ends_with("+xml") {
        xml::parse(view, &String::from_utf8_lossy(bytes))
    } else {
        Body::new(BodyKind::Text)
    }
}

/// Splits `a=1&b=2` into decoded fields (`+` is a space), flagging bad encodings.
pub(super) fn parse_urlencoded(view: &RequestView<'_>, s: &str) -> Vec<Field> {
    let mut out = Vec::new();
    for pair in s.split('&').filter(|p| !p.is_empty()) {
        if out.len() >= MAX_FIELDS {
            view.flag(Anomaly::LimitExceeded);
            break;
        }
        let (n, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (name, f1) = decode::percent_decode(n, true);
        let (value, f2) = decode::percent_decode(v, true);
        for f in [f1, f2] {
            view.flag_decode(f);
        }
        if name.contains('\0') || value.contains('\0') {
            view.flag(Anomaly::NulByte);
        }
        out.push(Field {
            name: name.into_owned(),
            value: value.into_owned(),
        });
    }
    out
}

/// A `key=value` parameter from a header value (`boundary=x`, `name="y"`).
/// Semicolons inside a quoted value belong to the value (`filename="a;.php"`),
/// as the application's own parser will read it.
pub(super) fn header_param<'h>(header: &'h str, key: &str) -> Option<&'h str> {
    param_spans(header).into_iter().skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(key)
            .then(|| v.trim().trim_matches('"'))
    })
}

/// Splits a header value on `;` outside double quotes.
fn param_spans(header: &str) -> Vec<&str> {
    let (mut out, mut start, mut quoted, mut escaped) = (Vec::new(), 0, false, false);
    for (i, c) in header.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                out.push(&header[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&header[start..]);
    out
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn parse_multipart(view: &RequestView<'_>, ct: &str, bytes: &[u8]) -> Body {
    let mut body = Body::new(BodyKind::Multipart);
    let boundary = match header_param(ct, "boundary") {
        Some(b) if !b.is_empty() && b.len() <= 200 => format!("--{b}"),
        _ => {
            view.flag(Anomaly::MalformedMultipart);
            body.kind = BodyKind::Text;
            return body;
        }
    };
    let delim = boundary.as_bytes();
    let Some(mut pos) = find(bytes, delim, 0) else {
        view.flag(Anomaly::MalformedMultipart);
        body.kind = BodyKind::Text;
        return body;
    };
    let mut closed = false;
    loop {
        pos += delim.len();
        if bytes[pos..].starts_with(b"--") {
            closed = true;
            break;
        }
        if body.fields.len() + body.files.len() >= MAX_PARTS {
            view.flag(Anomaly::LimitExceeded);
            closed = true;
            break;
        }
        let Some(next) = find(bytes, delim, pos) else {
            break;
        };
        part(view, &bytes[pos..next], &mut body);
        pos = next;
    }
    if !closed {
        view.flag(Anomaly::MalformedMultipart);
    }
    body
}

fn strip_crlf(b: &[u8]) -> &[u8] {
    let b = b
        .strip_prefix(b"\r\n")
        .or(b.strip_prefix(b"\n"))
        .unwrap_or(b);
    b.strip_suffix(b"\r\n")
        .or(b.strip_suffix(b"\n"))
        .unwrap_or(b)
}

/// A part's Content-Disposition (if any) and Content-Type (empty if none).
fn part_headers(head: &str) -> (Option<String>, String) {
    let mut disposition = None;
    let mut content_type = String::new();
    for line in head.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        if k.trim().eq_ignore_ascii_case("content-disposition") {
            disposition = Some(v.trim().to_string());
        } else if k.trim().eq_ignore_ascii_case("content-type") {
            content_type = v.trim().to_string();
        }
    }
    (disposition, content_type)
}

/// One part between two delimiters.
fn part(view: &RequestView<'_>, raw: &[u8], body: &mut Body) {
    let raw = raw
        .strip_prefix(b"\r\n")
        .or(raw.strip_prefix(b"\n"))
        .unwrap_or(raw);
    let (head, content) = match find(raw, b"\r\n\r\n", 0) {
        Some(p) => (&raw[..p], &raw[p + 4..]),
        None => match find(raw, b"\n\n", 0) {
            Some(p) => (&raw[..p], &raw[p + 2..]),
            None => {
                view.flag(Anomaly::MalformedMultipart);
                return;
            }
        },
    };
    let (disposition, content_type) = part_headers(&String::from_utf8_lossy(head));
    let Some(disp) = disposition else {
        view.flag(Anomaly::MalformedMultipart);
        return;
    };
    let name = header_param(&disp, "name").unwrap_or("").to_string();
    match header_param(&disp, "filename") {
        Some(filename) => body.files.push(FilePart {
            field: name,
            filename: filename.to_string(),
            content_type,
        }),
        None => {
            let (value, bad) = decode::utf8_fold(strip_crlf(content));
            if bad {
                view.flag(Anomaly::InvalidUtf8);
            }
            body.fields.push(Field {
                name,
                value: value.into_owned(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::hdrs;
    use super::*;
    use std::net::IpAddr;

    fn view_body<'a>(h: &'a [(String, String)], b: &'a [u8]) -> RequestView<'a> {
        RequestView::new("POST", "/", h, Some(b), IpAddr::from([127, 0, 0, 1]))
    }

    #[test]
    fn form_body() {
        let h = hdrs(&[(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )]);
        let v = view_body(&h, b"user=bob&note=a+b%21");
        assert_eq!(v.body().kind, BodyKind::Form);
        assert_eq!(v.body().fields[1].value, "a b!");
    }

    const MP: &[u8] = b"--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"up\"; filename=\"a.php\"\r\nContent-Type: image/png\r\n\r\nDATA\r\n--XyZ--\r\n";

    #[test]
    fn multipart_fields_and_files() {
        let h = hdrs(&[("content-type", "multipart/form-data; boundary=\"XyZ\"")]);
        let v = view_body(&h, MP);
        let b = v.body();
        assert_eq!(b.kind, BodyKind::Multipart);
        assert_eq!(
            b.fields,
            vec![Field {
                name: "title".into(),
                value: "hello".into()
            }]
        );
        assert_eq!(b.files[0].filename, "a.php");
        assert_eq!(
            header_param("form-data; name=\"f\"; filename=\"a.txt;.php\"", "filename"),
            Some("a.txt;.php")
        );
        assert_eq!(b.files[0].content_type, "image/png");
        assert!(v.anomalies().is_empty());
    }

    #[test]
    fn multipart_malformed() {
        let h = hdrs(&[("content-type", "multipart/form-data")]);
        assert!(view_body(&h, MP).has_anomaly(Anomaly::MalformedMultipart));
        let h = hdrs(&[("content-type", "multipart/form-data; boundary=other")]);
        assert!(view_body(&h, MP).has_anomaly(Anomaly::MalformedMultipart));
        let h = hdrs(&[("content-type", "multipart/form-data; boundary=XyZ")]);
        let cut = &MP[..MP.len() - 10];
        assert!(view_body(&h, cut).has_anomaly(Anomaly::MalformedMultipart));
    }

    #[test]
    fn other_types_are_text() {
        let h = hdrs(&[("content-type", "text/plain")]);
        let v = view_body(&h, b"just text");
        assert_eq!(v.body().kind, BodyKind::Text);
        assert_eq!(v.body_raw(), "just text");
    }
}
