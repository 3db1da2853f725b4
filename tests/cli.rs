//! The operator's command-line tools through the real binary: shell
//! completions and the manual page generated from the same definitions as
//! the parser, and `admin hash-password`.

use std::io::Write;
use std::process::{Command, Stdio};

fn rampart(args: &[&str], stdin: &[u8]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn completions_name_every_subcommand() {
    for shell in ["bash", "zsh", "fish"] {
        let out = rampart(&["completions", shell], b"");
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        for sub in [
            "run",
            "check",
            "reload",
            "cert",
            "waf",
            "admin",
            "completions",
        ] {
            assert!(text.contains(sub), "{shell} completion lacks `{sub}`");
        }
    }
    // bash accepts the script as it is.
    let out = rampart(&["completions", "bash"], b"");
    let check = Command::new("bash")
        .args(["-n", "-c"])
        .arg(String::from_utf8(out.stdout).unwrap())
        .status()
        .unwrap();
    assert!(check.success());
    assert!(!rampart(&["completions", "tcsh"], b"").status.success());
}

#[test]
fn the_manual_page_is_roff_with_the_commands() {
    let out = rampart(&["man"], b"");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(".TH rampart 1"), "{text}");
    for sub in ["run", "check", "cert", "waf", "admin"] {
        assert!(text.contains(sub), "man page lacks `{sub}`");
    }
}

#[test]
fn hash_password_prints_a_verifiable_argon2id_hash_and_never_the_password() {
    let out = rampart(&["admin", "hash-password"], b"correct horse battery\n");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let phc = stdout.trim();
    assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
    assert!(!stdout.contains("correct horse") && !stderr.contains("correct horse"));
    assert!(rampart::admin::password::verify(
        "correct horse battery",
        phc
    ));
    assert!(!rampart::admin::password::verify("correct horse", phc));
    let empty = rampart(&["admin", "hash-password"], b"\n");
    assert!(!empty.status.success());
    assert!(String::from_utf8_lossy(&empty.stderr).contains("empty"));
}

#[test]
fn check_summarises_the_acme_section() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("rampart.yaml");
    std::fs::write(
        &cfg,
        "listeners:\n  - address: 127.0.0.1:8443\n    tls: true\n  - address: 127.0.0.1:8080\nacme:\n  directory: letsencrypt-staging\n  wait: true\n  certificates:\n    - names: [a.example, b.example]\n    - names: [\"*.w.example\"]\n      challenge: dns-01\n  dns: { hook: hook.sh }\nupstreams:\n  a: { servers: [\"127.0.0.1:9\"] }\nroutes:\n  - name: r\n    upstream: a\n",
    )
    .unwrap();
    let out = rampart(&["check", "-c", cfg.to_str().unwrap()], b"");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("acme: https://acme-staging-v02.api.letsencrypt.org/directory"),
        "{text}"
    );
    assert!(text.contains("traffic held until issued"), "{text}");
    assert!(text.contains("  a.example, b.example (http-01)"), "{text}");
    assert!(text.contains("  *.w.example (dns-01)"), "{text}");
}
