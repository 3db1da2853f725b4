//! XML external entities and entity abuse: DOCTYPE declarations that define
//! entities, external identifiers (SYSTEM / PUBLIC), parameter entities, and
//! XInclude.

use super::norm::Norm;
use super::{Finding, InputContext, Level, Signal};
use regex::Regex;
use std::sync::OnceLock;

/// `!ENTITY % x SYSTEM "..."` without its `<` (a filter stripped it, or
/// the fragment is spliced into a DTD elsewhere): the keyword `!ENTITY` is
/// only ever markup, and with `%`, `SYSTEM` or `PUBLIC` after a name it
/// declares an external or parameter entity.
fn entity_fragment(s: &str) -> Option<Finding> {
    let at = s.find("!entity")?;
    let words: Vec<&str> = s[at + 7..].split_whitespace().take(3).collect();
    let external = match words.as_slice() {
        ["%", _, ..] => true,
        [_, kw, ..] => matches!(*kw, "system" | "public"),
        _ => false,
    };
    external.then(|| Finding::new(Level::Pl1, "external entity declaration", &s[at..]))
}

/// `<xs:include schemaLocation="http://...">` and its kin (import,
/// redefine, override): a schema that makes a validating parser fetch
/// another document, whatever the namespace prefix.
fn schema_include(s: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    super::static_regex(&R, r#"<[a-z0-9_.-]+:(?:include|import|redefine|override)\s[^>]*(?:schemalocation|namespace)\s*=\s*["']?(?:[a-z][a-z0-9+.-]*:|//)"#)
    .is_match(s)
}

/// Detects XXE in one value.
pub fn detect(n: &Norm, _ctx: InputContext) -> Option<Finding> {
    let s = &n.lower;
    // Every check below needs a `<` (all markup literals start with one) or
    // the XInclude namespace; none of these contain whitespace, so they can
    // only occur in the squeezed text if they occur in `s`.
    if !s.contains('<') && !s.contains("w3.org/2001/xinclude") {
        return entity_fragment(s);
    }
    let squeezed: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let r = if squeezed.contains("<!entity") {
        let external = squeezed.contains(" system ")
            || squeezed.contains(" public ")
            || squeezed.contains("<!entity %");
        Some(Signal::new(
            Level::Pl1,
            if external {
                "external entity declaration"
            } else {
                "entity declaration"
            },
        ))
    } else if squeezed.contains("<!doctype")
        && (squeezed.contains(" system \"") || squeezed.contains(" system '"))
    {
        Some(Signal::new(Level::Pl1, "DOCTYPE with an external DTD"))
    } else if squeezed.contains("<xi:include") || squeezed.contains("w3.org/2001/xinclude") {
        Some(Signal::new(Level::Pl1, "XInclude"))
    } else if schema_include(&squeezed) {
        Some(Signal::new(
            Level::Pl1,
            "XML Schema include of another document",
        ))
    } else if squeezed.contains("schemalocation=") {
        Some(Signal::new(Level::Pl2, "schema location hint"))
    } else if squeezed.contains("<!doctype") && squeezed.contains('[') {
        Some(Signal::new(Level::Pl2, "DOCTYPE with an internal subset"))
    } else if squeezed.contains("<!attlist") || squeezed.contains("<!element") {
        Some(Signal::new(Level::Pl2, "DTD declaration"))
    } else {
        None
    };
    r.map(|sig| sig.finding(&squeezed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lvl(s: &str) -> Option<Level> {
        detect(&Norm::new(s), InputContext::Xml).map(|f| f.level)
    }

    #[test]
    fn catches_xxe() {
        for s in [
            "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/hostname\">]><r>&x;</r>",
            "<!DOCTYPE r [<!ENTITY % p SYSTEM \"http://example.net/e.dtd\"> %p;]>",
            "<r xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include href=\"/etc/group\"/></r>",
            "<!DOCTYPE r SYSTEM \"http://example.net/x.dtd\"><r/>",
            "<!DOCTYPE a [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;\">]>",
            "x!ENTITY % q SYSTEM",
            "!ENTITY e PUBLIC \"-//x//\" \"http://example.net/e\"",
            "<s:schema xmlns:s=\"http://www.w3.org/2001/XMLSchema\"><s:import namespace=\"urn:x\" schemaLocation=\"http://example.net/x.xsd\"/></s:schema>",
            "<!DOCTYPE d SYSTEM \"//example.net/d\" ><d/>",
        ] {
            assert_eq!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }

    #[test]
    fn passes_benign() {
        for s in [
            "<?xml version=\"1.0\"?><order><id>5</id></order>",
            "<!DOCTYPE html><html></html>",
            "the entity system",
            "Hello!Entity system ready",
            "<order><include>gift box</include><import>no</import></order>",
            "!entity",
        ] {
            assert_ne!(lvl(s), Some(Level::Pl1), "{s}");
        }
    }

    #[test]
    fn early_exit_keeps_markup() {
        for s in [
            "<!DOCTYPE r [<!ENTITY  x   SYSTEM \"file:///etc/hostname\">]><r>&x;</r>",
            "<r xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include href=\"/x\"/></r>",
            "&lt;!ENTITY % p SYSTEM 'http://example.com/e.dtd'&gt;",
        ] {
            assert_eq!(lvl(s), Some(Level::Pl1), "{s}");
        }
        assert_eq!(lvl("plain text, no markup"), None);
    }
}
