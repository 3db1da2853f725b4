//! Known scanners and attack tools, by the signatures they put in the
//! User-Agent and other headers. A phrase list is the right tool here: these
//! are names, not syntax.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

use super::norm::Norm;
use super::{Finding, InputContext, Level};

const TOOLS: &[&str] = &[
    "sqlmap",
    "nikto",
    "nmap",
    "masscan",
    "wpscan",
    "acunetix",
    "nessus",
    "dirbuster",
    "gobuster",
    "nuclei",
    "zgrab",
    "w3af",
    "netsparker",
    "havij",
    "zmeu",
    "openvas",
    "arachni",
    "skipfish",
    "wfuzz",
    "ffuf",
    "feroxbuster",
    "dirb/",
    "jaeles",
    "whatweb",
    "commix",
    "fimap",
    "xsser",
    "joomscan",
    "paros",
    "webinspect",
    "appscan",
    "morfeus",
    "metasploit",
    "grabber",
    "bsqlbf",
    "mysqloit",
    "pangolin",
    "sqlninja",
    "absinthe",
    "nsauditor",
    "webshag",
    "jbrofuzz",
    "wapiti",
    "vega/",
    "dirsearch",
    "struts-pwn",
    "log4j-scan",
    "interactsh",
    "burpcollaborator",
    "oastify",
    "zap/",
    "owasp zap",
    "sf-scanner",
    "qualys",
    "detectify",
    "crimscanner",
    "brutus",
    "hydra",
    "medusa",
    "cgichk",
    "webvulnscan",
    "blackwidow",
    "teleport pro",
    "x-scan",
    "datacha0s",
    "httprint",
    "nasl",
    "muieblackcat",
    "scan4",
    "fuzz faster",
    "autoscan",
    "pmafind",
    "nstealth",
    "sysscan",
    "python-nmap",
    "mozilla/4.0 (compatible; msie 6.0; windows nt 5.1; sv1; .net clr 1.1.4322) 9e9",
    "jorgee",
    "zmap",
    "censys",
    "shodan",
    "scaninfo@",
    "fhscan",
    "t0phackteam",
    "bilbo",
];

fn matcher() -> &'static AhoCorasick {
    static M: OnceLock<AhoCorasick> = OnceLock::new();
    M.get_or_init(|| AhoCorasick::new(TOOLS).expect("static patterns"))
}

/// Detects a scanner signature in a header value.
pub fn detect(n: &Norm, ctx: InputContext) -> Option<Finding> {
    if !matches!(
        ctx,
        InputContext::UserAgent | InputContext::Header | InputContext::Raw
    ) {
        return None;
    }
    let m = matcher().find(&n.lower)?;
    let level = if ctx == InputContext::Raw {
        Level::Pl2
    } else {
        Level::Pl1
    };
    Some(Finding::new(
        level,
        "scanner signature",
        &n.lower[m.start()..],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lvl(s: &str, ctx: InputContext) -> Option<Level> {
        detect(&Norm::new(s), ctx).map(|f| f.level)
    }

    #[test]
    fn catches_tools() {
        assert_eq!(
            lvl(
                "sqlmap/1.7#stable (https://sqlmap.org)",
                InputContext::UserAgent
            ),
            Some(Level::Pl1)
        );
        assert_eq!(
            lvl("Mozilla/5.00 (Nikto/2.5.0)", InputContext::UserAgent),
            Some(Level::Pl1)
        );
        assert_eq!(
            lvl("Mozilla/5.0 zgrab/0.x", InputContext::UserAgent),
            Some(Level::Pl1)
        );
    }

    #[test]
    fn passes_browsers() {
        let ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari/537.36";
        assert_eq!(lvl(ua, InputContext::UserAgent), None);
        assert_eq!(lvl("sqlmap tutorial", InputContext::QueryValue), None);
    }
}
