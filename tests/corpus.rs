//! Detection accuracy on the external corpora, through the real proxy in its
//! default configuration (every host to an origin that answers 200, WAF in
//! block mode with the shipped rules). Reads `../shared/corpus` (or
//! `RAMPART_CORPUS`) and sends a bounded sample per set with
//! `../shared/tools/wafbench.py` (or `RAMPART_WAFBENCH`). Where the corpus is
//! absent (a user's machine) the test says so and skips; CI always has it.

mod support;
use std::path::PathBuf;
use std::process::Command;
use support::*;

fn shared(var: &str, rel: &str) -> Option<PathBuf> {
    let p = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared")).join(rel)
    });
    p.exists().then_some(p)
}

fn python() -> &'static str {
    if std::path::Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

/// The default config, with its listeners moved to ephemeral ports.
fn default_config_body(origin: &Origin) -> String {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/conf/rampart.yaml")).unwrap();
    let waf_and_routes = &text[text.find("\nupstreams:").unwrap()..];
    waf_and_routes
        .replace("127.0.0.1:8081", &origin.addr.to_string())
        .replace("\"../filters/*.yaml\"", "\"{FILTERS}/*.yaml\"")
        .replace("audit_log: stdout", "audit_log: off")
}

/// The bar for CRS PL1-2 true positives (the bounded sample below
/// scores 86.4%, the full set 85.2%).
const CRS_RATCHET: f64 = 85.0;

#[test]
fn detection_accuracy_stays_above_the_bar() {
    let (Some(corpus), Some(tools)) = (
        shared("RAMPART_CORPUS", "corpus"),
        shared("RAMPART_WAFBENCH_DIR", "tools"),
    ) else {
        // A user's machine may lack the corpora; CI must not.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but the corpus or wafbench.py was not found \
             (../shared/corpus and ../shared/tools, or RAMPART_CORPUS and RAMPART_WAFBENCH_DIR)"
        );
        eprintln!(
            "SKIPPED: corpus not found (../shared/corpus or RAMPART_CORPUS); accuracy not measured"
        );
        return;
    };
    let origin = origin().spawn();
    let e = edge(&default_config_body(&origin)).spawn();
    let out = e.dir.join("wafbench.json");
    let limit = std::env::var("RAMPART_CORPUS_LIMIT").unwrap_or_else(|_| "400".into());
    let status = Command::new(python())
        .arg(tools.join("wafbench.py"))
        .args(["--target", &format!("http://{}", e.addr), "--corpus"])
        .arg(&corpus)
        .args(["--threads", "4", "--limit", &limit, "--json"])
        .arg(&out)
        .status()
        .expect("run wafbench.py");
    assert!(
        status.code().is_some_and(|c| c <= 1),
        "wafbench failed: {status:?}"
    );
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let rate = |set: &str| -> f64 {
        summary["sets"][set]["rate"]
            .as_f64()
            .unwrap_or_else(|| panic!("no rate for {set}: {summary}"))
    };
    let sum = |prefix: &str| -> (f64, f64) {
        let sets = summary["sets"].as_object().unwrap();
        let (mut good, mut all) = (0.0, 0.0);
        for (_, s) in sets
            .iter()
            .filter(|(n, s)| n.starts_with(prefix) && s["label"] == "attack")
        {
            let answered = s["sent"].as_f64().unwrap() - s["errors"].as_f64().unwrap();
            good += s["rate"].as_f64().unwrap_or(0.0) * answered / 100.0;
            all += answered;
        }
        (good, all)
    };
    eprintln!(
        "wafbench summary: {}",
        serde_json::to_string_pretty(&summary["sets"]).unwrap()
    );
    // The floor from the detection issue (nginx + ModSecurity + CRS 4 PL1 for comparison).
    let gtw_fp = rate("gotestwaf-fp");
    let blaze_white = rate("blaze-white");
    let (g, n) = sum("gotestwaf-");
    let gtw_tpr = 100.0 * g / n;
    let (c, m) = sum("crs-");
    let crs_tpr = 100.0 * c / m;
    let blaze_black = rate("blaze-black");
    assert!(gtw_fp >= 98.0, "gotestwaf false-pos TNR {gtw_fp:.1}% < 98%");
    assert!(
        blaze_white >= 99.0,
        "BlazeHTTP white TNR {blaze_white:.1}% < 99%"
    );
    // The bar for CRS PL1-2 (85%): a change cannot silently lose
    // detection.
    eprintln!("CRS PL1-2 TPR {crs_tpr:.1}% (bar: 85%), gotestwaf TPR {gtw_tpr:.1}%, Blaze TPR {blaze_black:.1}%");
    assert!(
        crs_tpr >= CRS_RATCHET,
        "CRS PL1-2 TPR {crs_tpr:.1}% < {CRS_RATCHET}%"
    );
    // Ratchets at the level reached (the goal is TPR above 95% everywhere).
    assert!(gtw_tpr >= 95.0, "gotestwaf TPR {gtw_tpr:.1}% < 95%");
    assert!(
        blaze_black >= 90.0,
        "BlazeHTTP black TPR {blaze_black:.1}% < 90%"
    );
    // (The bars above already put balanced accuracy far above CRS 4 PL1's
    // 69.3% on gotestwaf and 78.1% on BlazeHTTP, so no separate assert.)
    // Every request got an answer: a rate over a set the proxy mostly failed
    // to answer would mean nothing.
    for (name, s) in summary["sets"].as_object().unwrap() {
        let sent = s["sent"].as_f64().unwrap();
        let errors = s["errors"].as_f64().unwrap();
        assert!(sent > 0.0, "set {name} sent nothing");
        assert!(
            errors <= sent * 0.01,
            "set {name}: {errors} of {sent} requests got no answer"
        );
    }
}
