//! Redaction for audit records: which matched variables hold secrets.

use std::borrow::Cow;

use crate::waf::engine::policy::Match;

/// Printed instead of a secret value.
pub const REDACTED: &str = "[redacted]";

/// Name fragments that mark an argument, field or cookie as secret.
const SECRET_PARTS: [&str; 8] = [
    "password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "session",
];

/// Headers whose values are always secret.
const SECRET_HEADERS: [&str; 5] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
];

/// Whether the value of `variable` (as in `Match::variable`, e.g.
/// `REQUEST_HEADERS:authorization`, `ARGS:password`, `JSON:user.token`,
/// `REQUEST_COOKIES:sid`) must not be written to logs.
pub fn is_secret(variable: &str) -> bool {
    let (kind, name) = variable.split_once(':').unwrap_or((variable, ""));
    let name = name.to_ascii_lowercase();
    match kind {
        "REQUEST_HEADERS" => SECRET_HEADERS.contains(&name.as_str()),
        "REQUEST_COOKIES" => true,
        "REQUEST_HEADERS_NAMES" | "REQUEST_COOKIES_NAMES" | "ARGS_NAMES" | "ARGS_POST_NAMES" => {
            false
        }
        _ => SECRET_PARTS.iter().any(|p| name.contains(p)),
    }
}

/// The value, or [`REDACTED`] when `variable` holds a secret.
pub fn redact<'a>(variable: &str, value: &'a str) -> &'a str {
    if is_secret(variable) {
        REDACTED
    } else {
        value
    }
}

/// Variables whose value is a whole request part that may embed secret pairs.
const COMPOSITE: [&str; 5] = [
    "QUERY_STRING",
    "REQUEST_URI",
    "REQUEST_LINE",
    "REQUEST_BODY",
    "ARGS_POST",
];

/// The value to log for `variable`: [`REDACTED`] for a secret variable; for a
/// whole query string, URI or body, the values of secret `name=value` pairs
/// replaced; otherwise unchanged.
pub fn redact_value<'a>(variable: &str, value: &'a str) -> Cow<'a, str> {
    if is_secret(variable) {
        return Cow::Borrowed(REDACTED);
    }
    let kind = variable.split(':').next().unwrap_or("");
    if !COMPOSITE.contains(&kind) {
        return Cow::Borrowed(value);
    }
    scrub_pairs(value)
}

/// Replaces the value of every `name=value` pair (split on `&`, `;`, `?`, and
/// whitespace) whose name looks secret.
fn scrub_pairs(value: &str) -> Cow<'_, str> {
    let mut out = String::with_capacity(value.len());
    let mut changed = false;
    let mut rest = value;
    while !rest.is_empty() {
        let end = rest
            .find(['&', ';', '?', ' ', '\n'])
            .map_or(rest.len(), |e| e + 1);
        let (piece, tail) = rest.split_at(end);
        match piece.split_once('=') {
            Some((name, v))
                if SECRET_PARTS
                    .iter()
                    .any(|p| name.to_ascii_lowercase().contains(p)) =>
            {
                let sep = v.chars().last().filter(|c| "&;? \n".contains(*c));
                out.push_str(name);
                out.push('=');
                out.push_str(REDACTED);
                out.extend(sep);
                changed = true;
            }
            _ => out.push_str(piece),
        }
        rest = tail;
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(value)
    }
}

/// A copy of the match with its value, transformed value and evidence redacted.
pub fn redact_match(m: &Match) -> Match {
    let var = m.variable.as_str();
    Match {
        value: redact_value(var, &m.value).into_owned(),
        transformed: redact_value(var, &m.transformed).into_owned(),
        evidence: redact_value(var, &m.evidence).into_owned(),
        ..m.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composite_values_are_scrubbed() {
        let q = "user=bob&password=hunter2&x=1";
        assert_eq!(
            redact_value("QUERY_STRING", q),
            "user=bob&password=[redacted]&x=1"
        );
        assert_eq!(
            redact_value("REQUEST_LINE", "GET /?token=abc"),
            "GET /?token=[redacted]"
        );
        assert_eq!(redact_value("REQUEST_BODY", "a=1"), "a=1");
        assert_eq!(redact_value("ARGS:q", "password=x"), "password=x");
        assert_eq!(redact_value("REQUEST_COOKIES:sid", "abc"), REDACTED);
    }

    #[test]
    fn secrets() {
        for v in [
            "REQUEST_HEADERS:authorization",
            "REQUEST_HEADERS:Cookie",
            "REQUEST_HEADERS:set-cookie",
            "REQUEST_COOKIES:anything",
            "ARGS:password",
            "ARGS_POST:user_pwd",
            "JSON:auth.access_token",
            "JSON:Client_Secret",
            "MULTIPART:api_key",
        ] {
            assert!(is_secret(v), "{v}");
        }
        for v in [
            "ARGS:q",
            "REQUEST_HEADERS:user-agent",
            "REQUEST_PATH",
            "ARGS_NAMES:password",
        ] {
            assert!(!is_secret(v), "{v}");
        }
        assert_eq!(redact("ARGS:passwd", "hunter2"), REDACTED);
        assert_eq!(redact("ARGS:q", "x"), "x");
    }
}
