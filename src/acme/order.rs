//! One ACME order (RFC 8555 §7.4) with instant-acme: create the order,
//! prove each pending authorization (HTTP-01 through the challenge store,
//! DNS-01 through the operator's hook), wait for the CA, finalize with a new
//! key and download the chain. Challenge answers are withdrawn however the
//! order ends.

use super::challenges::ChallengeStore;
use super::dns;
use crate::config::acme::{AcmeCert, AcmeDns, Challenge};
use instant_acme::{
    Account, AuthorizationStatus, ChallengeType, Identifier, NewOrder, OrderStatus, RetryPolicy,
};
use std::time::Duration;

/// A certificate as the CA issued it.
pub struct Issued {
    /// PEM chain, leaf first.
    pub chain_pem: String,
    /// PEM private key (generated for this order).
    pub key_pem: String,
}

/// How long the CA may take to validate, and then to issue.
const POLL: RetryPolicy = RetryPolicy::new()
    .initial_delay(Duration::from_millis(250))
    .backoff(1.5)
    .timeout(Duration::from_secs(120));

/// Orders `cert` on `account`.
pub async fn obtain(
    account: &Account,
    cert: &AcmeCert,
    challenges: &ChallengeStore,
    dns_settings: Option<&AcmeDns>,
) -> Result<Issued, String> {
    let ids: Vec<Identifier> = cert
        .names
        .iter()
        .map(|n| Identifier::Dns(n.clone()))
        .collect();
    let mut order = account
        .new_order(&NewOrder::new(&ids))
        .await
        .map_err(|e| format!("new order: {e}"))?;
    let mut tokens = Vec::new();
    let mut records: Vec<(String, String)> = Vec::new();
    let result = prove_and_finalize(
        &mut order,
        cert,
        challenges,
        dns_settings,
        &mut tokens,
        &mut records,
    )
    .await;
    for t in &tokens {
        challenges.remove(t);
    }
    if let Some(d) = dns_settings {
        for (fqdn, value) in &records {
            if let Err(e) = dns::hook(&d.hook, "cleanup", fqdn, value).await {
                log::warn!("acme: dns cleanup of {fqdn} failed: {e}");
            }
        }
    }
    result
}

async fn prove_and_finalize(
    order: &mut instant_acme::Order,
    cert: &AcmeCert,
    challenges: &ChallengeStore,
    dns_settings: Option<&AcmeDns>,
    tokens: &mut Vec<String>,
    records: &mut Vec<(String, String)>,
) -> Result<Issued, String> {
    let mut authorizations = order.authorizations();
    while let Some(a) = authorizations.next().await {
        let mut authz = a.map_err(|e| format!("authorization: {e}"))?;
        match authz.status {
            AuthorizationStatus::Pending => {}
            AuthorizationStatus::Valid => continue,
            other => return Err(format!("authorization is {other:?}")),
        }
        let kind = match cert.challenge {
            Challenge::Http01 => ChallengeType::Http01,
            Challenge::Dns01 => ChallengeType::Dns01,
        };
        let mut ch = authz
            .challenge(kind.clone())
            .ok_or_else(|| format!("the CA offers no {kind:?} challenge"))?;
        let key_auth = ch.key_authorization();
        match cert.challenge {
            Challenge::Http01 => {
                challenges.add(&ch.token, key_auth.as_str());
                tokens.push(ch.token.clone());
            }
            Challenge::Dns01 => {
                let d = dns_settings.ok_or("dns-01 without acme.dns")?;
                let Identifier::Dns(domain) = ch.identifier().identifier else {
                    return Err("dns-01 for a non-DNS identifier".into());
                };
                let fqdn = format!("_acme-challenge.{domain}.");
                let value = key_auth.dns_value();
                dns::hook(&d.hook, "present", &fqdn, &value).await?;
                records.push((fqdn.clone(), value.clone()));
                dns::wait_for_txt(d, &fqdn, &value).await?;
            }
        }
        ch.set_ready()
            .await
            .map_err(|e| format!("challenge ready: {e}"))?;
    }
    let status = order.poll_ready(&POLL).await.map_err(|e| match e {
        instant_acme::Error::Api(p) => format!("validation failed: {p}"),
        e => format!("waiting for validation: {e}"),
    })?;
    if status != OrderStatus::Ready {
        return Err(format!("order is {status:?} after validation"));
    }
    let key_pem = order
        .finalize()
        .await
        .map_err(|e| format!("finalize: {e}"))?;
    let chain_pem = order
        .poll_certificate(&POLL)
        .await
        .map_err(|e| format!("certificate: {e}"))?;
    Ok(Issued { chain_pem, key_pem })
}
