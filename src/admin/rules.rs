//! The admin API's operator-rule endpoints: `POST waf/rules`, `PUT` and
//! `DELETE waf/rules/{id}`. The operator rule file (`admin.rules_file`) is
//! validated together with every loaded rule (ids unique), written
//! atomically, applied by a reload and audited.

use super::changes::{io_error, message, replace_file, unprocessable};
use super::server::{Admin, Call, Reply};
use serde_json::{json, Value};

fn rule_id(v: &Value) -> Option<u64> {
    v.get("id").and_then(Value::as_u64)
}

/// Validates and writes the operator rule file, then reloads.
/// One change to the operator rules, for the audit record.
struct Change {
    action: &'static str,
    id: u64,
    before: Value,
    after: Value,
}

async fn save_rules(a: &Admin, c: &Call, rules: Vec<Value>, ch: Change) -> Reply {
    let Change {
        action,
        id,
        before,
        after,
    } = ch;
    let target = &id.to_string();
    let snap = a.shared.load();
    let path = snap.config.admin.rules_file.clone();
    let header = "# Operator rules managed by the Rampart admin API (PUT/POST/DELETE /admin/api/v1/waf/rules).\n# Edits by hand are kept, comments are not.\n";
    let text = match serde_yaml::to_string(&json!({ "rules": rules })) {
        Ok(t) => format!("{header}{t}"),
        Err(e) => return io_error(e),
    };
    if let Err(e) = crate::snapshot::compile_rules_with(&snap.config, Some(&text)) {
        return unprocessable(vec![message(e)]);
    }
    if let Some(dir) = path.parent() {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return io_error(format!("{}: {e}", dir.display()));
        }
    }
    if let Err(e) = replace_file(&path, &text) {
        return io_error(format!("cannot write {}: {e}", path.display()));
    }
    match a.reload().await {
        Ok(v) => {
            a.audit(c, action, target, "ok", before, after.clone());
            Reply::ok(json!({ "version": v, "file": path.display().to_string(), "rule": after }))
        }
        Err(e) => {
            a.audit(c, action, target, &e, before, Value::Null);
            unprocessable(vec![message(e)])
        }
    }
}

fn path_rule_id(c: &Call) -> Result<u64, Reply> {
    c.params[0]
        .parse::<u64>()
        .map_err(|_| Reply::error(400, "bad_request", "a rule is named by its numeric id"))
}

fn load_rules(a: &Admin) -> Result<Vec<Value>, Reply> {
    super::views::operator_rules(a).map_err(io_error)
}

fn rule_body(c: &Call) -> Result<Value, Reply> {
    let v: Value = c.json()?;
    if !v.is_object() || rule_id(&v).is_none() {
        return Err(Reply::error(
            400,
            "bad_request",
            "expected one rule: a mapping with a numeric `id` (filters/README.md)",
        ));
    }
    Ok(v)
}

/// `POST waf/rules`: adds one rule to the operator file.
pub async fn rule_add(a: &Admin, c: &Call) -> Reply {
    let _one_at_a_time = a.store.apply.lock().await;
    let rule = match rule_body(c) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let mut rules = match load_rules(a) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let id = rule_id(&rule).unwrap_or_default();
    if rules.iter().any(|r| rule_id(r) == Some(id)) {
        return Reply::error(
            409,
            "conflict",
            &format!("operator rule {id} exists; PUT /waf/rules/{id} replaces it"),
        );
    }
    rules.push(rule.clone());
    save_rules(
        a,
        c,
        rules,
        Change {
            action: "waf.rule-add",
            id,
            before: Value::Null,
            after: rule,
        },
    )
    .await
}

/// `PUT waf/rules/{name}` (the rule id): replaces an operator rule.
pub async fn rule_update(a: &Admin, c: &Call) -> Reply {
    let _one_at_a_time = a.store.apply.lock().await;
    let id = match path_rule_id(c) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let mut rule: Value = match c.json() {
        Ok(r) => r,
        Err(r) => return r,
    };
    match rule.as_object_mut() {
        Some(m) => {
            if m.get("id").is_some_and(|v| v.as_u64() != Some(id)) {
                return Reply::error(400, "bad_request", "the body's id differs from the path's");
            }
            m.insert("id".into(), json!(id));
        }
        None => return Reply::error(400, "bad_request", "expected one rule (a mapping)"),
    }
    let mut rules = match load_rules(a) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let Some(slot) = rules.iter_mut().find(|r| rule_id(r) == Some(id)) else {
        return Reply::error(
            404,
            "not_found",
            &format!("no operator rule {id} (only rules in the operator file can be changed)"),
        );
    };
    let before = std::mem::replace(slot, rule.clone());
    save_rules(
        a,
        c,
        rules,
        Change {
            action: "waf.rule-update",
            id,
            before,
            after: rule,
        },
    )
    .await
}

/// `DELETE waf/rules/{name}`.
pub async fn rule_delete(a: &Admin, c: &Call) -> Reply {
    let _one_at_a_time = a.store.apply.lock().await;
    let id = match path_rule_id(c) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let mut rules = match load_rules(a) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let Some(pos) = rules.iter().position(|r| rule_id(r) == Some(id)) else {
        return Reply::error(404, "not_found", &format!("no operator rule {id}"));
    };
    let before = rules.remove(pos);
    save_rules(
        a,
        c,
        rules,
        Change {
            action: "waf.rule-delete",
            id,
            before,
            after: Value::Null,
        },
    )
    .await
}
