//! Shell glob matching (`*`, `?`, `[...]`, `[!...]`), as `sh` expands a
//! path: shared by the file-inclusion detector (`/e?c/pa[s]swd`) and the
//! command-injection detector (`/???/c?t`).

/// Whether the shell glob `p` (`*`, `?`, `[...]`, `[!...]`) matches all of
/// `s`. Iterative, backtracking only to the last `*`: O(|p| * |s|), where a
/// recursive match is exponential in the stars (`/****...q` pinned a worker).
pub(crate) fn glob(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    // Where to resume after the last `*`: (pattern index, text index).
    let mut star = None;
    while si < s.len() {
        if p.get(pi) == Some(&b'*') {
            star = Some((pi + 1, si));
            pi += 1;
            continue;
        }
        match p.get(pi).map(|_| glob_one(&p[pi..], s[si])) {
            Some(Some(Some(len))) => {
                pi += len;
                si += 1;
                continue;
            }
            // An unterminated `[`: no way through it.
            Some(None) => return false,
            Some(Some(None)) | None => {}
        }
        let Some((sp, ss)) = star else {
            return false;
        };
        star = Some((sp, ss + 1));
        (pi, si) = (sp, ss + 1);
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// The one-byte token at the start of `p` (`?`, `[...]` or a literal)
/// against `c`: `Some(Some(len))` on a match (`len` pattern bytes used),
/// `Some(None)` on a mismatch, `None` for a `[` without its `]`.
fn glob_one(p: &[u8], c: u8) -> Option<Option<usize>> {
    match p[0] {
        b'?' => Some(Some(1)),
        b'[' => {
            let end = p.iter().position(|&c| c == b']')?;
            let class = &p[1..end];
            let (neg, class) = match class.first() {
                Some(b'!') | Some(b'^') => (true, &class[1..]),
                _ => (false, class),
            };
            let mut inside = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    inside |= class[i] <= c && c <= class[i + 2];
                    i += 3;
                } else {
                    inside |= class[i] == c;
                    i += 1;
                }
            }
            Some((inside != neg).then_some(end + 1))
        }
        a => Some((a == c).then_some(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The recursive matcher `glob` replaced (exponential in the stars),
    /// kept as the reference the linear one must agree with.
    fn glob_reference(p: &[u8], s: &[u8]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some(b'*') => {
                glob_reference(&p[1..], s) || (!s.is_empty() && glob_reference(p, &s[1..]))
            }
            Some(b'?') => !s.is_empty() && glob_reference(&p[1..], &s[1..]),
            // One class token, read as the linear matcher reads it; the
            // star handling is what this reference checks.
            Some(b'[') => s.first().is_some_and(|&c| match glob_one(p, c) {
                Some(Some(len)) => glob_reference(&p[len..], &s[1..]),
                _ => false,
            }),
            Some(&a) => s.first() == Some(&a) && glob_reference(&p[1..], &s[1..]),
        }
    }

    #[test]
    fn glob_agrees_with_the_recursive_matcher() {
        let alphabet = b"*?[]!-ab/";
        let texts: [&[u8]; 8] = [b"", b"a", b"b", b"ab", b"ba", b"/a/b", b"aab", b"-!]"];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 8) as usize;
            let p: Vec<u8> = (0..len)
                .map(|i| alphabet[((seed >> (8 + 5 * i)) % alphabet.len() as u64) as usize])
                .collect();
            for s in texts {
                assert_eq!(glob(&p, s), glob_reference(&p, s), "{:?} {:?}", p, s);
            }
        }
        for f in [&b"/etc/passwd"[..], b"/proc/self/environ"] {
            for p in [
                &b"/e?c/pa[s]swd"[..],
                b"/etc/[!q]asswd",
                b"/*/passwd",
                b"*",
                b"/etc/*d",
                b"/[a-f]tc/*",
            ] {
                assert_eq!(glob(p, f), glob_reference(p, f), "{p:?} {f:?}");
            }
        }
    }
}
