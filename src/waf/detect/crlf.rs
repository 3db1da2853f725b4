//! CRLF / header injection: a CR or LF (after decoding, including the
//! "U+560A" trick) followed by something a client or server would read as a
//! header line or a new response.

use super::norm::Norm;
use super::{Finding, InputContext, Level};

const HEADERS: &[&str] = &[
    "set-cookie",
    "location",
    "content-type",
    "content-length",
    "content-disposition",
    "refresh",
    "x-xss-protection",
    "cache-control",
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "host",
    "cookie",
    "transfer-encoding",
    "connection",
    "link",
    "x-forwarded-for",
    "x-forwarded-host",
    "content-security-policy",
    "strict-transport-security",
    "x-frame-options",
    "last-modified",
    "server",
    "authorization",
    "referer",
    "user-agent",
    "expires",
    "pragma",
    "vary",
    "etag",
    "x-original-url",
    "x-rewrite-url",
    "content-encoding",
    "upgrade",
    "date",
    "accept",
];

/// Detects CRLF injection in one value.
pub fn detect(n: &Norm, ctx: InputContext) -> Option<Finding> {
    // Without a line break (or a character mapped to one) only the embedded
    // request line check below applies, and a request line has a word
    // starting with `http/`, which no joining with spaces can create.
    if !n.lower.contains(['\r', '\n', '\u{560a}', '\u{560d}']) && !n.lower.contains("http/") {
        return None;
    }
    let s: String = n
        .lower
        .chars()
        .map(|c| match c {
            '\u{560a}' | '\u{560d}' => '\n',
            _ => c,
        })
        .collect();
    if !s.contains(['\r', '\n']) {
        let embedded = s
            .split(|c: char| !c.is_ascii_alphanumeric() && !" /:.-_?=&".contains(c))
            .any(|p| {
                p.split(' ')
                    .collect::<Vec<_>>()
                    .windows(3)
                    .any(|w| request_line(&w.join(" ")))
            });
        return embedded.then(|| Finding::new(Level::Pl1, "HTTP request line in a value", &s));
    }
    let body = matches!(
        ctx,
        InputContext::BodyValue | InputContext::Json | InputContext::Xml | InputContext::Raw
    );
    if ctx.is_name() || ctx == InputContext::Path {
        return Some(Finding::new(
            Level::Pl1,
            "line break in a parameter name",
            &s,
        ));
    }
    for line in s.split(['\r', '\n']).skip(1) {
        let line = line.trim_start();
        if request_line(line) {
            return Some(Finding::new(Level::Pl1, "smuggled request line", &s));
        }
        if matches!(ctx, InputContext::QueryValue) && param_line(line) {
            return Some(Finding::new(Level::Pl1, "injected parameter", &s));
        }
        if line.starts_with("http/1.") || line.starts_with("<html") || line.starts_with("<script") {
            return Some(Finding::new(
                if body { Level::Pl2 } else { Level::Pl1 },
                "injected response",
                &s,
            ));
        }
        if mail_command(line) {
            return Some(Finding::new(
                Level::Pl1,
                "injected mail protocol command",
                &s,
            ));
        }
        let Some(colon) = line.find(':') else {
            continue;
        };
        let name = line[..colon].trim_end();
        if STRONG_HEADERS.contains(&name) {
            return Some(Finding::new(Level::Pl1, "injected header line", &s));
        }
        let header_like = name.len() >= 2
            && name.len() <= 40
            && name.contains('-')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if HEADERS.contains(&name) || header_like || name.starts_with("x-") && !name.contains(' ') {
            return Some(Finding::new(
                if body { Level::Pl2 } else { Level::Pl1 },
                "injected header line",
                &s,
            ));
        }
    }
    (ctx.is_header() || ctx == InputContext::Path)
        .then(|| Finding::new(Level::Pl2, "line break in a header or path", &s))
}

/// Headers no form text would put at the start of a line.
const STRONG_HEADERS: &[&str] = &[
    "set-cookie",
    "content-length",
    "transfer-encoding",
    "x-xss-protection",
    "access-control-allow-origin",
    "content-security-policy",
    "content-type",
];

/// `METHOD target HTTP/x.y`.
pub fn request_line(line: &str) -> bool {
    const METHODS: &[&str] = &[
        "get ", "post ", "head ", "put ", "delete ", "options ", "connect ", "trace ", "patch ",
    ];
    METHODS.iter().any(|m| line.starts_with(m))
        && line
            .split_whitespace()
            .nth(2)
            .is_some_and(|v| v.starts_with("http/"))
}

fn param_line(line: &str) -> bool {
    let name = line.split('=').next().unwrap_or("");
    line.contains('=')
        && !name.is_empty()
        && name.len() < 40
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-[]".contains(c))
}

/// An SMTP, POP3 or IMAP command line (IMAP lines start with a tag).
fn mail_command(line: &str) -> bool {
    const SMTP: &[&str] = &[
        "helo ",
        "ehlo ",
        "mail from:",
        "rcpt to:",
        "data",
        "quit",
        "rset",
        "vrfy ",
        "expn ",
        "starttls",
        "auth login",
        "list ",
        "retr ",
        "dele ",
        "stat",
        "top ",
        "user ",
        "pass ",
    ];
    const IMAP: &[&str] = &[
        "capability",
        "login",
        "select",
        "fetch",
        "store",
        "list",
        "logout",
        "append",
        "examine",
        "search",
        "copy",
        "noop",
        "create",
        "delete",
        "rename",
        "uid",
        "status",
    ];
    let l = line.trim_end();
    if SMTP
        .iter()
        .any(|c| l == c.trim_end() || l.starts_with(c) && c.ends_with([' ', ':']))
    {
        return true;
    }
    let mut words = l.split_whitespace();
    let tag = words.next().unwrap_or("");
    let cmd = words.next().unwrap_or("");
    tag.len() <= 6
        && tag.chars().all(|c| c.is_ascii_alphanumeric())
        && tag.chars().any(|c| c.is_ascii_digit())
        && IMAP.contains(&cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lvl(s: &str, ctx: InputContext) -> Option<Level> {
        detect(&Norm::new(s), ctx).map(|f| f.level)
    }

    #[test]
    fn catches_crlf() {
        assert_eq!(
            lvl("en%0d%0aSet-Cookie:%20a=b", InputContext::QueryValue),
            Some(Level::Pl1)
        );
        assert_eq!(
            lvl("x\r\nLocation: http://example.net", InputContext::Header),
            Some(Level::Pl1)
        );
        assert_eq!(
            lvl("%E5%98%8A%E5%98%8DX-Injected: 1", InputContext::QueryValue),
            Some(Level::Pl1)
        );
        assert_eq!(
            lvl("a%0d%0a%0d%0aHTTP/1.1 200 OK", InputContext::Path),
            Some(Level::Pl1)
        );
        assert_eq!(
            lvl(
                "me@example.org%0d%0aRCPT TO: other@example.org",
                InputContext::BodyValue
            ),
            Some(Level::Pl1)
        );
        assert_eq!(
            lvl("x%0d%0aA7 FETCH 1:* (BODY[])", InputContext::QueryValue),
            Some(Level::Pl1)
        );
        assert_eq!(
            lvl("q%0aGET /admin HTTP/1.1", InputContext::BodyValue),
            Some(Level::Pl1)
        );
        assert_eq!(
            lvl("v%0d%0aContent-Length: 0", InputContext::BodyValue),
            Some(Level::Pl1)
        );
        assert_eq!(lvl("a%0d%0a=b", InputContext::QueryName), Some(Level::Pl1));
    }

    #[test]
    fn passes_benign() {
        assert_eq!(lvl("line one\nline two", InputContext::QueryValue), None);
        assert_ne!(
            lvl("Dear Bob,\nLocation: see map", InputContext::BodyValue),
            Some(Level::Pl1)
        );
        assert_eq!(lvl("time: 10:00", InputContext::QueryValue), None);
    }

    #[test]
    fn early_exit_keeps_breaks_and_request_lines() {
        for s in [
            "ok\u{560a}\u{560d}Refresh: 0;url=//example.net/",
            "q\rContent-Length: 0",
            "lang=fr%0ALocation:%20//example.org/",
            "zz POST /internal/reset HTTP/1.0 x",
        ] {
            assert_eq!(lvl(s, InputContext::QueryValue), Some(Level::Pl1), "{s}");
        }
        assert_eq!(lvl("see http/2 and get it", InputContext::QueryValue), None);
    }
}
