//! DNS-01: the operator's hook presents and removes the TXT record (lego's
//! `exec` convention: `HOOK present|cleanup FQDN VALUE`), and the
//! propagation wait asks a DNS server (`acme.dns.resolver`, ideally the
//! zone's authoritative server) for the record until it carries the value.
//!
//! The lookup is one TXT question over UDP, written here (about 80 lines,
//! every read bounds-checked and fuzzed by its tests) rather than pulling a
//! full resolver crate into the edge binary for one query type.

use crate::config::acme::AcmeDns;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

/// Runs the hook; its non-zero exit (with its stderr) is an error.
pub async fn hook(cmd: &Path, action: &str, fqdn: &str, value: &str) -> Result<(), String> {
    let out = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new(cmd)
            .arg(action)
            .arg(fqdn)
            .arg(value)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .map_err(|_| format!("dns hook {} {action}: no exit in 120 s", cmd.display()))?
    .map_err(|e| format!("dns hook {}: {e}", cmd.display()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "dns hook {} {action} {fqdn} exited with {}: {}",
            cmd.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Polls until `fqdn` has a TXT record `value`, or the propagation timeout.
pub async fn wait_for_txt(d: &AcmeDns, fqdn: &str, value: &str) -> Result<(), String> {
    let server = match &d.resolver {
        Some(r) => r.parse::<SocketAddr>().map_err(|e| format!("{r}: {e}"))?,
        None => {
            system_resolver().ok_or("no nameserver in /etc/resolv.conf; set acme.dns.resolver")?
        }
    };
    let deadline = Instant::now() + d.propagation_timeout;
    let mut delay = Duration::from_millis(200);
    loop {
        match query_txt(server, fqdn).await {
            Ok(values) if values.iter().any(|v| v == value) => return Ok(()),
            Ok(_) => {}
            Err(e) => log::debug!("acme: TXT {fqdn} at {server}: {e}"),
        }
        if Instant::now() + delay > deadline {
            return Err(format!(
                "TXT record {fqdn} not visible at {server} within {}s",
                d.propagation_timeout.as_secs()
            ));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

fn system_resolver() -> Option<SocketAddr> {
    let conf = std::fs::read_to_string("/etc/resolv.conf").ok()?;
    conf.lines().find_map(|l| {
        let ip = l.trim().strip_prefix("nameserver")?.trim();
        let ip: std::net::IpAddr = ip.parse().ok()?;
        Some(SocketAddr::new(ip, 53))
    })
}

/// The TXT strings of `fqdn` at `server` (each record's strings joined).
pub async fn query_txt(server: SocketAddr, fqdn: &str) -> Result<Vec<String>, String> {
    let id: u16 = rand::random();
    let packet = build_query(id, fqdn)?;
    let bind: SocketAddr = if server.is_ipv4() {
        "0.0.0.0:0".parse().unwrap_or(server)
    } else {
        "[::]:0".parse().unwrap_or(server)
    };
    let sock = tokio::net::UdpSocket::bind(bind)
        .await
        .map_err(|e| e.to_string())?;
    sock.send_to(&packet, server)
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(3), sock.recv(&mut buf))
        .await
        .map_err(|_| "no answer in 3 s".to_string())?
        .map_err(|e| e.to_string())?;
    parse_txt_answer(&buf[..n], id)
}

fn build_query(id: u16, fqdn: &str) -> Result<Vec<u8>, String> {
    let mut p = Vec::with_capacity(fqdn.len() + 18);
    p.extend_from_slice(&id.to_be_bytes());
    // Recursion desired; one question.
    p.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in fqdn.trim_end_matches('.').split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!("`{fqdn}` is not a DNS name"));
        }
        p.push(label.len() as u8);
        p.extend_from_slice(label.as_bytes());
    }
    p.push(0);
    p.extend_from_slice(&[0, 16, 0, 1]); // TXT, IN
    Ok(p)
}

/// Skips a (possibly compressed) name at `i`; returns the index after it.
fn skip_name(m: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let len = *m.get(i)? as usize;
        match len {
            0 => return Some(i + 1),
            l if l & 0xC0 == 0xC0 => {
                m.get(i + 1)?;
                return Some(i + 2);
            }
            l => i += 1 + l,
        }
    }
}

fn parse_txt_answer(m: &[u8], id: u16) -> Result<Vec<String>, String> {
    let be16 = |i: usize| -> Option<u16> { Some(u16::from_be_bytes([*m.get(i)?, *m.get(i + 1)?])) };
    if be16(0) != Some(id) {
        return Err("answer for another query".into());
    }
    let flags = be16(2).ok_or("short answer")?;
    if flags & 0x000F != 0 {
        return Err(format!("rcode {}", flags & 0x000F));
    }
    let qd = be16(4).ok_or("short answer")?;
    let an = be16(6).ok_or("short answer")?;
    let mut i = 12;
    for _ in 0..qd {
        i = skip_name(m, i).ok_or("bad question")? + 4;
    }
    let mut out = Vec::new();
    for _ in 0..an {
        i = skip_name(m, i).ok_or("bad answer name")?;
        let rtype = be16(i).ok_or("bad answer")?;
        let rdlen = be16(i + 8).ok_or("bad answer")? as usize;
        let start = i + 10;
        let data = m.get(start..start + rdlen).ok_or("bad answer length")?;
        i = start + rdlen;
        if rtype != 16 {
            continue;
        }
        let mut s = String::new();
        let mut j = 0;
        while j < data.len() {
            let l = data[j] as usize;
            let part = data.get(j + 1..j + 1 + l).ok_or("bad TXT string")?;
            s.push_str(&String::from_utf8_lossy(part));
            j += 1 + l;
        }
        out.push(s);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answer as a server writes it: the question, then one TXT record
    /// whose name points back at the question (compression).
    fn answer(id: u16, txt: &[&str]) -> Vec<u8> {
        let mut m = build_query(id, "_acme-challenge.a.test.").unwrap();
        m[2] = 0x81;
        m[3] = 0x80;
        m[7] = 1; // one answer
        m.extend_from_slice(&[0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 60]);
        let mut rdata = Vec::new();
        for t in txt {
            rdata.push(t.len() as u8);
            rdata.extend_from_slice(t.as_bytes());
        }
        m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        m.extend_from_slice(&rdata);
        m
    }

    #[test]
    fn reads_txt_answers() {
        let m = answer(7, &["abc", "def"]);
        assert_eq!(parse_txt_answer(&m, 7).unwrap(), ["abcdef"]);
        assert!(parse_txt_answer(&m, 8).is_err());
    }

    #[test]
    fn truncated_or_hostile_answers_are_errors_not_panics() {
        let m = answer(9, &["value"]);
        for cut in 0..m.len() {
            let _ = parse_txt_answer(&m[..cut], 9);
        }
        let mut seed: u32 = 0x1234_5678;
        for _ in 0..5000 {
            let mut x = m.clone();
            for _ in 0..4 {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                let at = (seed as usize) % x.len();
                x[at] = (seed >> 8) as u8;
            }
            let _ = parse_txt_answer(&x, u16::from_be_bytes([x[0], x[1]]));
        }
    }

    #[test]
    fn query_shape() {
        let q = build_query(0x0102, "_acme-challenge.a.test.").unwrap();
        assert_eq!(&q[..2], &[1, 2]);
        assert_eq!(q[12], 15);
        assert_eq!(&q[q.len() - 4..], &[0, 16, 0, 1]);
        assert!(build_query(1, "a..b").is_err());
    }
}
