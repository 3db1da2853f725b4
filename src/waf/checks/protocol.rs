//! Protocol checks on the request head: header count and size limits and the
//! framing shapes used for request smuggling.

use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use http::HeaderMap;

/// The status to refuse the request with, or `None` when the head is sound.
/// `raw_head` is the request head as received (the parsed map may already be
/// normalised, e.g. Content-Length dropped when Transfer-Encoding is present).
pub fn check_headers(
    h: &HeaderMap,
    raw_head: Option<&[u8]>,
    max_headers: usize,
    max_bytes: usize,
) -> Option<u16> {
    if h.contains_key(TRANSFER_ENCODING) && raw_head.is_some_and(has_content_length_line) {
        return Some(400);
    }
    if h.len() > max_headers {
        return Some(431);
    }
    let bytes: usize = h.iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
    if bytes > max_bytes {
        return Some(431);
    }
    framing(h)
}

fn has_content_length_line(raw: &[u8]) -> bool {
    raw.split(|&c| c == b'\n').skip(1).any(|line| {
        let name = line.split(|&c| c == b':').next().unwrap_or_default();
        name.trim_ascii().eq_ignore_ascii_case(b"content-length")
    })
}

/// Rejects ambiguous body framing (RFC 9112 §6): Content-Length together with
/// Transfer-Encoding, conflicting or malformed Content-Length values, and a
/// Transfer-Encoding whose final coding is not `chunked`.
fn framing(h: &HeaderMap) -> Option<u16> {
    let te: Vec<&[u8]> = h
        .get_all(TRANSFER_ENCODING)
        .iter()
        .map(|v| v.as_bytes())
        .collect();
    let cl: Vec<&[u8]> = h
        .get_all(CONTENT_LENGTH)
        .iter()
        .map(|v| v.as_bytes())
        .collect();
    if !te.is_empty() && !cl.is_empty() {
        return Some(400);
    }
    if !te.is_empty() {
        let joined = te.join(&b","[..]);
        let last = joined.rsplit(|&c| c == b',').next().unwrap_or_default();
        if !last.trim_ascii().eq_ignore_ascii_case(b"chunked") {
            return Some(400);
        }
    }
    let mut seen: Option<&[u8]> = None;
    for v in cl.iter().flat_map(|v| v.split(|&c| c == b',')) {
        let v = v.trim_ascii();
        if v.is_empty() || !v.iter().all(u8::is_ascii_digit) || v.len() > 18 {
            return Some(400);
        }
        if seen.is_some_and(|s| s != v) {
            return Some(400);
        }
        seen = Some(v);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    fn chk(pairs: &[(&str, &str)]) -> Option<u16> {
        check_headers(&map(pairs), None, 100, 1 << 20)
    }

    #[test]
    fn smuggling_shapes_are_refused() {
        assert_eq!(
            chk(&[("content-length", "5"), ("transfer-encoding", "chunked")]),
            Some(400)
        );
        assert_eq!(
            chk(&[("content-length", "5"), ("content-length", "6")]),
            Some(400)
        );
        assert_eq!(chk(&[("content-length", "5, 5")]), None);
        assert_eq!(chk(&[("content-length", "-1")]), Some(400));
        assert_eq!(
            chk(&[("transfer-encoding", "chunked, identity")]),
            Some(400)
        );
        assert_eq!(chk(&[("transfer-encoding", "gzip, chunked")]), None);
        assert_eq!(chk(&[("transfer-encoding", "Chunked")]), None);
    }

    #[test]
    fn content_length_dropped_by_the_parser_is_still_seen() {
        let h = map(&[("transfer-encoding", "chunked")]);
        let raw = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 4\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(check_headers(&h, Some(raw), 100, 1 << 20), Some(400));
        let raw = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(check_headers(&h, Some(raw), 100, 1 << 20), None);
    }

    #[test]
    fn limits_are_enforced() {
        let many: Vec<(String, String)> = (0..5)
            .map(|i| (format!("x-h{i}"), "v".to_string()))
            .collect();
        let pairs: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(check_headers(&map(&pairs), None, 4, 1 << 20), Some(431));
        assert_eq!(check_headers(&map(&pairs), None, 5, 1 << 20), None);
        assert_eq!(
            check_headers(&map(&[("x-big", &"a".repeat(100))]), None, 10, 50),
            Some(431)
        );
    }
}
