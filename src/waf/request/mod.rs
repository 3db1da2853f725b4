//! `RequestView`: the request as the rules see it, built from borrowed parts and
//! decoded lazily (each part on first use, cached). Malformed input never panics:
//! it becomes an [`Anomaly`] fact that rules can target.

mod body;
mod json;
mod xml;

use std::cell::{Cell, OnceCell};
use std::net::IpAddr;

use crate::waf::decode;
use crate::waf::transform::normalize_path;

pub use body::{Body, BodyKind, FilePart};

/// Most fields a body or query string yields before the rest is dropped.
pub const MAX_FIELDS: usize = 4096;
/// Most multipart parts parsed.
pub const MAX_PARTS: usize = 256;
/// Most nesting depth followed in JSON and XML.
pub const MAX_DEPTH: usize = 64;

/// A malformed or suspicious shape seen while decoding: a fact, not an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Anomaly {
    /// `%` not followed by hex digits, in the path, query or form body.
    InvalidEncoding,
    /// Overlong or invalid UTF-8 after percent-decoding.
    InvalidUtf8,
    /// The JSON body does not parse.
    MalformedJson,
    /// Multipart without a boundary, without parts, or unterminated.
    MalformedMultipart,
    /// The XML body is unbalanced or unterminated.
    MalformedXml,
    /// The XML body has a DOCTYPE.
    XmlDoctype,
    /// The XML body declares entities (never expanded).
    XmlEntity,
    /// More fields, parts or nesting than the parser follows.
    LimitExceeded,
    /// A NUL byte in the path or a query argument.
    NulByte,
}

impl Anomaly {
    /// Every anomaly.
    pub const ALL: [Anomaly; 9] = [
        Anomaly::InvalidEncoding,
        Anomaly::InvalidUtf8,
        Anomaly::MalformedJson,
        Anomaly::MalformedMultipart,
        Anomaly::MalformedXml,
        Anomaly::XmlDoctype,
        Anomaly::XmlEntity,
        Anomaly::LimitExceeded,
        Anomaly::NulByte,
    ];

    /// The name rules use (`anomalies` target values).
    pub fn name(self) -> &'static str {
        match self {
            Anomaly::InvalidEncoding => "invalid_encoding",
            Anomaly::InvalidUtf8 => "invalid_utf8",
            Anomaly::MalformedJson => "malformed_json",
            Anomaly::MalformedMultipart => "malformed_multipart",
            Anomaly::MalformedXml => "malformed_xml",
            Anomaly::XmlDoctype => "xml_doctype",
            Anomaly::XmlEntity => "xml_entity",
            Anomaly::LimitExceeded => "limit_exceeded",
            Anomaly::NulByte => "nul_byte",
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// A decoded name/value pair (query argument, cookie, body field).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// Decoded name (`a[b]`, or a JSON key path such as `user.name`).
    pub name: String,
    /// Decoded value.
    pub value: String,
}

/// The request as the rules see it. Not `Sync`: one per request.
pub struct RequestView<'a> {
    method: &'a str,
    uri: &'a str,
    headers: &'a [(String, String)],
    body: Option<&'a [u8]>,
    client_ip: IpAddr,
    anomalies: Cell<u32>,
    path: OnceCell<String>,
    path_norm: OnceCell<String>,
    query: OnceCell<Vec<Field>>,
    cookies: OnceCell<Vec<Field>>,
    parsed_body: OnceCell<Body>,
    body_raw: OnceCell<String>,
    strings: OnceCell<(String, String)>,
}

impl<'a> RequestView<'a> {
    /// A view over borrowed request parts. `uri` is the raw request target
    /// (path and query as received); header names should be lowercase.
    pub fn new(
        method: &'a str,
        uri: &'a str,
        headers: &'a [(String, String)],
        body: Option<&'a [u8]>,
        client_ip: IpAddr,
    ) -> Self {
        RequestView {
            method,
            uri,
            headers,
            body,
            client_ip,
            anomalies: Cell::new(0),
            path: OnceCell::new(),
            path_norm: OnceCell::new(),
            query: OnceCell::new(),
            cookies: OnceCell::new(),
            parsed_body: OnceCell::new(),
            body_raw: OnceCell::new(),
            strings: OnceCell::new(),
        }
    }

    pub(crate) fn flag(&self, a: Anomaly) {
        self.anomalies.set(self.anomalies.get() | a.bit());
    }

    fn flag_decode(&self, f: decode::DecodeFlags) {
        if f.invalid_encoding {
            self.flag(Anomaly::InvalidEncoding);
        }
        if f.bad_utf8 {
            self.flag(Anomaly::InvalidUtf8);
        }
    }

    /// The method as received.
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The raw request target.
    pub fn uri(&self) -> &'a str {
        self.uri
    }

    /// The client address.
    pub fn client_ip(&self) -> IpAddr {
        self.client_ip
    }

    /// The path exactly as received (absolute-form authority removed).
    pub fn path_raw(&self) -> &'a str {
        let target = self.uri.split(['?', '#']).next().unwrap_or("");
        // Absolute-form (`http://host/path`) only: a `://` later in an
        // origin-form path is part of the path and must stay visible.
        match target.find("://").filter(|_| !target.starts_with('/')) {
            Some(p) => {
                let after = &target[p + 3..];
                after.find('/').map_or("/", |s| &after[s..])
            }
            None => target,
        }
    }

    /// The path percent-decoded (`%uHHHH` too; overlong UTF-8 folded).
    pub fn path(&self) -> &str {
        self.path.get_or_init(|| {
            let (v, f) = decode::percent_decode(self.path_raw(), false);
            self.flag_decode(f);
            if v.contains('\0') {
                self.flag(Anomaly::NulByte);
            }
            v.into_owned()
        })
    }

    /// The decoded path with backslashes, `//`, `.` and `..` normalised.
    pub fn path_normalized(&self) -> &str {
        self.path_norm
            .get_or_init(|| normalize_path(self.path()).into_owned())
    }

    /// The raw query string (after `?`, before `#`), empty when absent.
    pub fn query_string(&self) -> &'a str {
        match self.uri.split_once('?') {
            Some((_, q)) => q.split('#').next().unwrap_or(""),
            None => "",
        }
    }

    /// Query arguments, decoded, in order, repeated keys kept.
    pub fn query_args(&self) -> &[Field] {
        self.query
            .get_or_init(|| body::parse_urlencoded(self, self.query_string()))
    }

    /// All headers (names lowercase).
    pub fn headers(&self) -> &'a [(String, String)] {
        self.headers
    }

    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The Host header, or the authority of an absolute-form target.
    pub fn host(&self) -> &'a str {
        if let Some(h) = self.header("host") {
            return h;
        }
        self.uri
            .split_once("://")
            .map_or("", |(_, rest)| rest.split(['/', '?']).next().unwrap_or(""))
    }

    /// Cookies from every `Cookie` header, values percent-decoded.
    pub fn cookies(&self) -> &[Field] {
        self.cookies.get_or_init(|| {
            let headers = self.headers.iter();
            let raw = headers.filter(|(n, _)| n.eq_ignore_ascii_case("cookie"));
            let pairs = raw.flat_map(|(_, v)| v.split(';'));
            pairs
                .filter_map(|p| {
                    let p = p.trim();
                    let (n, v) = p.split_once('=').unwrap_or((p, ""));
                    (!p.is_empty()).then(|| Field {
                        name: n.trim().to_string(),
                        value: decode::percent_decode(v.trim(), false).0.into_owned(),
                    })
                })
                .take(MAX_FIELDS)
                .collect()
        })
    }

    /// The raw body bytes, if any.
    pub fn body_bytes(&self) -> Option<&'a [u8]> {
        self.body
    }

    /// The body as text (invalid UTF-8 replaced), empty without a body.
    pub fn body_raw(&self) -> &str {
        self.body_raw
            .get_or_init(|| String::from_utf8_lossy(self.body.unwrap_or_default()).into_owned())
    }

    /// The body parsed by its Content-Type.
    pub fn body(&self) -> &Body {
        self.parsed_body.get_or_init(|| body::parse(self))
    }

    /// `remote_addr` as text and the request line (`GET /x?y HTTP/1.1` without version).
    pub(crate) fn strings(&self) -> &(String, String) {
        self.strings.get_or_init(|| {
            (
                self.client_ip.to_string(),
                format!("{} {}", self.method, self.uri),
            )
        })
    }

    /// Every anomaly found; forces the path, query, cookies and body to decode.
    pub fn anomalies(&self) -> Vec<Anomaly> {
        self.path();
        self.query_args();
        self.cookies();
        self.body();
        let bits = self.anomalies.get();
        Anomaly::ALL
            .into_iter()
            .filter(|a| bits & a.bit() != 0)
            .collect()
    }

    /// Whether this anomaly was found (forces decoding like [`Self::anomalies`]).
    pub fn has_anomaly(&self, a: Anomaly) -> bool {
        self.anomalies().contains(&a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn hdrs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    /// The (name, value) body fields and the anomalies of a POST with this
    /// content type and body.
    pub(crate) fn body_fields(
        content_type: &str,
        body: &[u8],
    ) -> (Vec<(String, String)>, Vec<Anomaly>) {
        let h = hdrs(&[("content-type", content_type)]);
        let v = RequestView::new("POST", "/", &h, Some(body), IpAddr::from([1, 1, 1, 1]));
        let f = v
            .body()
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.value.clone()))
            .collect();
        (f, v.anomalies())
    }

    fn ip() -> IpAddr {
        IpAddr::from([10, 0, 0, 1])
    }

    #[test]
    fn path_raw_decoded_normalised() {
        let h = hdrs(&[]);
        let v = RequestView::new("GET", "/a/%2e%2e/b//c%5cd?x=1#f", &h, None, ip());
        assert_eq!(v.path_raw(), "/a/%2e%2e/b//c%5cd");
        assert_eq!(v.path(), "/a/../b//c\\d");
        assert_eq!(v.path_normalized(), "/b/c/d");
        assert_eq!(v.query_string(), "x=1");
        let abs = RequestView::new("GET", "http://h.example/p?q", &h, None, ip());
        assert_eq!(abs.path_raw(), "/p");
        assert_eq!(abs.host(), "h.example");
    }

    #[test]
    fn query_args_repeated_and_brackets() {
        let h = hdrs(&[]);
        let v = RequestView::new(
            "GET",
            "/?a=1&a=2&u[name]=x+y&flag&%zz=%u0041",
            &h,
            None,
            ip(),
        );
        let args: Vec<(&str, &str)> = v
            .query_args()
            .iter()
            .map(|f| (f.name.as_str(), f.value.as_str()))
            .collect();
        assert_eq!(
            args,
            vec![
                ("a", "1"),
                ("a", "2"),
                ("u[name]", "x y"),
                ("flag", ""),
                ("%zz", "A")
            ]
        );
        assert_eq!(v.anomalies(), vec![Anomaly::InvalidEncoding]);
    }

    #[test]
    fn overlong_utf8_and_nul_flagged() {
        let h = hdrs(&[]);
        let v = RequestView::new("GET", "/%c0%ae%c0%ae/x%00", &h, None, ip());
        assert_eq!(v.path(), "/../x\0");
        assert!(v.has_anomaly(Anomaly::InvalidUtf8));
        assert!(v.has_anomaly(Anomaly::NulByte));
    }

    #[test]
    fn cookies_and_headers() {
        let h = hdrs(&[
            ("cookie", "a=1; b=%3Cx%3E"),
            ("cookie", "c"),
            ("host", "ex"),
        ]);
        let v = RequestView::new("GET", "/", &h, None, ip());
        let names: Vec<&str> = v.cookies().iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["a", "b", "c"]);
        assert_eq!(v.cookies()[1].value, "<x>");
        assert_eq!(v.header("HOST"), Some("ex"));
        assert_eq!(v.strings().1, "GET /");
    }
}
