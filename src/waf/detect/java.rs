//! Java, OGNL, SpEL and EL injection: references to the runtime and reflection
//! (`java.lang.Runtime`, `ProcessBuilder`, `Class.forName`), OGNL member access,
//! SpEL type references `T(...)`, class-loader property paths, and Java
//! serialization markers.

use super::norm::Norm;
use super::{Finding, InputContext, Level};

const STRONG: &[&str] = &[
    "java.lang.runtime",
    "java.lang.processbuilder",
    "java.lang.system",
    "java.lang.class",
    "java.lang.thread",
    "java.lang.reflect",
    "getruntime()",
    "getruntime().exec",
    "processbuilder(",
    "class.forname(",
    ".forname(",
    "javax.script",
    "scriptenginemanager",
    "javax.naming",
    "java.net.url",
    "java.net.socket",
    "java.io.file",
    "org.apache.commons.collections",
    "org.apache.commons.beanutils",
    "org.apache.commons.configuration",
    "org.apache.xalan",
    "org.omg.corba",
    "org.mozilla.javascript",
    "org.codehaus.groovy.runtime",
    "com.mchange.v2.c3p0",
    "org.hibernate.engine",
    "org.jboss.interceptor",
    "com.sun.rowset",
    "org.apache.commons.fileupload.disk",
    "invokertransformer",
    "com.sun.org.apache",
    "templatesimpl",
    "java.beans.xmldecoder",
    "ognl.ognlcontext",
    "#_memberaccess",
    "@ognl.",
    "#context[",
    "xwork.methodaccessor",
    "com.opensymphony.xwork2",
    "class.module.classloader",
    "class.classloader",
    ".getclassloader(",
    "t(java.",
    "t (java.",
    "new java.",
    "@java.lang.",
    "facescontext.",
    "pagecontext.",
    "applicationscope.",
    ".getclass().",
    "ysoserial",
    "java.util.scanner",
    "#request.get(",
    "#application[",
    "#parameters.",
    "org.springframework.",
    ".newinstance(",
    "bsh.interpreter",
    "groovy.lang.",
    "jdk.jshell",
    ".getdeclaredmethod(",
    "java.rmi.",
    "sun.misc.",
    "#cmd=",
    "#cmds=",
    "rt.jar",
    "jdbc:h2:mem",
    "jdbc:mysql://",
    "getinstance(",
    "processbuilder",
    "java.runtime",
    "runtime.getruntime",
    "clonetransformer",
    "forclosure",
    "instantiatefactory",
    "instantiatetransformer",
    "prototypeclonefactory",
    "prototypeserializationfactory",
    "whileclosure",
    "chainedtransformer",
    "constanttransformer",
    "transformedmap",
    "lazymap",
    "annotationinvocationhandler",
    "java.lang.",
    "javax.management",
    "jdk.nashorn",
    "getclass().",
    ".getmethod(",
    // Server-side JavaScript (Node.js) code and node-serialize markers.
    "child_process",
    "process.mainmodule",
    "process[",
    "require(",
    "_$$nd_func$$_",
    "__js_function",
    "global.process",
    "process.binding(",
    "constructor.prototype",
    ".__proto__",
    "__proto__[",
    "__proto__.",
    "\".execute()",
    "'.execute()",
    ".execute().text",
    "process.env",
    "process.spawn(",
    "!!python/",
    "!!ruby/",
    "!!javax.",
    "!!java.",
    "!!com.sun.",
    "!!org.",
    "fs.readfilesync",
    ".execsync(",
    ".spawnsync(",
    "console.info(",
    "console.log(",
    "new function(",
    "new function (",
    "module.exports=",
    "module.exports =",
];

/// Detects Java-family injection in one value.
pub fn detect(n: &Norm, ctx: InputContext) -> Option<Finding> {
    let s = n.lower.as_str();
    static M: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    let strong = M.get_or_init(|| aho_corasick::AhoCorasick::new(STRONG).expect("static patterns"));
    // One pass for the whole list (same answer as `contains` on each).
    if strong.is_match(s) {
        return Some(Finding::new(
            Level::Pl1,
            "Java runtime or reflection reference",
            &n.text,
        ));
    }
    // The root package of the best-known deserialization gadget library, sent
    // alone as a probe of class-name filters.
    if s.trim() == "org.apache.commons" {
        return Some(Finding::new(
            Level::Pl1,
            "Java gadget library package",
            &n.text,
        ));
    }
    if s.trim().trim_matches('"') == "__proto__" || s.contains("\"__proto__\"") {
        return Some(Finding::new(Level::Pl1, "prototype pollution key", &n.text));
    }
    if s.contains("while") && endless_loop(s) {
        return Some(Finding::new(
            Level::Pl1,
            "endless loop (denial of service)",
            &n.text,
        ));
    }
    if qualified_class(s) {
        return Some(Finding::new(Level::Pl1, "JDK class name", &n.text));
    }
    if ctx == InputContext::Header
        && [".jsp", ".jspx", ".jspf", ".jsw", ".jsv"]
            .iter()
            .any(|e| s.trim_end_matches(['.', ' ']).ends_with(e))
    {
        return Some(Finding::new(
            Level::Pl1,
            "JSP file name in a header",
            &n.text,
        ));
    }
    // The serialization magic AC ED 00 05 in base64 at each of the three byte alignments.
    let magic = [
        "rO0AB",
        "KztAA",
        "Cs7QA",
        "aced0005",
        "\u{ac}\u{ed}\u{0}\u{5}",
    ];
    if magic.iter().any(|m| n.raw.contains(m)) {
        return Some(Finding::new(Level::Pl1, "Java serialized object", &n.raw));
    }
    if s.match_indices("%{").any(|(i, _)| {
        s[i + 2..]
            .trim_start()
            .trim_start_matches('(')
            .trim_start()
            .starts_with(['#', '@'])
    }) {
        return Some(Finding::new(Level::Pl1, "OGNL expression", &n.text));
    }
    if s.contains("${#") || s.contains("#{t(") || s.contains("${t(") {
        return Some(Finding::new(Level::Pl1, "expression language", &n.text));
    }
    None
}

/// `while(!"")`, `while(String)`, `while((true))`: a value that opens with a
/// loop whose condition is a constant truthy expression.
fn endless_loop(s: &str) -> bool {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = super::static_regex(
        &R,
        r#"^\s*while\s*\(+\s*(?:!+\s*(?:""|''|``|\[\s*\]|0|null|false)|true|1|string|object|array|number|\{\s*\}|\[\s*\])\s*\)+\s*(?:;|\{|$)"#,
    );
    re.is_match(s)
}

/// A fully qualified class in a JDK or common gadget package (`java.io.Reader`).
fn qualified_class(s: &str) -> bool {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = super::static_regex(
        &R,
        r"(?:^|[^a-z0-9_.])(?:java|javax|jdk|sun|com\.sun|org\.apache\.commons|org\.springframework|org\.codehaus|com\.fasterxml)\.[a-z_]+\.[a-z_]",
    );
    re.is_match(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lvl(s: &str) -> Option<Level> {
        detect(&Norm::new(s), InputContext::QueryValue).map(|f| f.level)
    }

    #[test]
    fn catches_java() {
        for s in [
            "${T(java.lang.Runtime).getRuntime().exec('id')}",
            "%{(#_memberAccess['allowStaticMethodAccess']=true)}",
            "class.module.classLoader.resources.context.parent.pipeline.first.pattern=x",
            "rO0ABXNyABdqYXZhLnV0aWwuUHJpb3JpdHlRdWV1ZQ",
            "#{''.getClass().forName('java.lang.Runtime')}",
            "new java.io.File(\"/tmp\")",
            "require('child_process').exec('id')",
            "while(!![]);",
            "while ((true))",
            "_$$ND_FUNC$$_function(){}",
            "java.io.ObjectInputStream",
            "javax.naming.InitialContext",
            "__proto__",
        ] {
            assert_eq!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }

    #[test]
    fn passes_benign() {
        for s in [
            "I love java and coffee",
            "the class loader talk",
            "runtime error in my app",
            "%{name}",
            "while (x < 3) { x++ }",
            "while true love waits",
            "org.apache.commons.lang3 docs",
        ] {
            assert_ne!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }
}
