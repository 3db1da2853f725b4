//! Shared bans: `SET {prefix}:ban:IP 1 PX ttl` for direct lookups, and a
//! sorted set `{prefix}:bans` (score: expiry in ms) that every instance
//! polls (about every 500 ms) into its local [`AutoBan`].

use super::*;

impl Fleet {
    fn ban_key(&self, ip: IpAddr) -> String {
        let ip = crate::access::ip::prefix::canonical_ip(ip);
        format!("{}:ban:{ip}", self.cfg.key_prefix)
    }

    /// Publishes a ban of `ip` for `d` to the fleet.
    pub async fn share_ban(&self, ip: IpAddr, d: Duration) -> Result<(), RedisError> {
        let now_ms = self.clock.now_millis();
        let ttl = d.as_millis().max(1) as u64;
        let member = crate::access::ip::prefix::canonical_ip(ip).to_string();
        let (key, set) = (self.ban_key(ip), format!("{}:bans", self.cfg.key_prefix));
        let (ttl_s, until_s, now_s) = (
            ttl.to_string(),
            (now_ms + ttl).to_string(),
            now_ms.to_string(),
        );
        let args: [&[u8]; 9] = [
            b"EVAL",
            BAN_SCRIPT.as_bytes(),
            b"2",
            key.as_bytes(),
            set.as_bytes(),
            member.as_bytes(),
            ttl_s.as_bytes(),
            until_s.as_bytes(),
            now_s.as_bytes(),
        ];
        self.pool.call(&args).await.map(|_| ())
    }

    /// Removes `ip`'s fleet ban (admin unban). Instances that already pulled
    /// it keep it until it expires or is lifted there with `AutoBan::unban`.
    pub async fn lift_ban(&self, ip: IpAddr) -> Result<(), RedisError> {
        let member = crate::access::ip::prefix::canonical_ip(ip).to_string();
        let set = format!("{}:bans", self.cfg.key_prefix);
        self.pool
            .call(&[b"DEL", self.ban_key(ip).as_bytes()])
            .await?;
        self.pool
            .call(&[b"ZREM", set.as_bytes(), member.as_bytes()])
            .await?;
        Ok(())
    }

    /// The fleet ban left on `ip`, if any (one round trip).
    pub async fn ban_remaining(&self, ip: IpAddr) -> Result<Option<Duration>, RedisError> {
        let key = self.ban_key(ip);
        match self.pool.call(&[b"PTTL", key.as_bytes()]).await? {
            Reply::Int(ms) if ms > 0 => Ok(Some(Duration::from_millis(ms as u64))),
            Reply::Int(_) => Ok(None),
            _ => Err(RedisError::Protocol("PTTL did not return an integer")),
        }
    }

    /// Every live fleet ban: (IP, time left).
    pub async fn fetch_bans(&self) -> Result<Vec<(IpAddr, Duration)>, RedisError> {
        let now_ms = self.clock.now_millis();
        let set = format!("{}:bans", self.cfg.key_prefix);
        let min = format!("({now_ms}");
        let args: [&[u8]; 5] = [
            b"ZRANGEBYSCORE",
            set.as_bytes(),
            min.as_bytes(),
            b"+inf",
            b"WITHSCORES",
        ];
        let Reply::Array(Some(items)) = self.pool.call(&args).await? else {
            return Err(RedisError::Protocol(
                "ZRANGEBYSCORE did not return an array",
            ));
        };
        let text = |r: &Reply| match r {
            Reply::Bulk(Some(b)) => std::str::from_utf8(b).ok().map(str::to_string),
            _ => None,
        };
        let mut out = Vec::new();
        for pair in items.chunks(2) {
            let (Some(ip), Some(score)) = (text(&pair[0]), pair.get(1).and_then(text)) else {
                continue;
            };
            let (Ok(ip), Ok(until)) = (ip.parse::<IpAddr>(), score.parse::<f64>()) else {
                continue;
            };
            out.push((
                ip,
                Duration::from_millis((until as u64).saturating_sub(now_ms)),
            ));
        }
        Ok(out)
    }

    /// Applies every fleet ban to the local auto-ban; returns how many.
    pub async fn sync_bans(&self, local: &AutoBan) -> Result<usize, RedisError> {
        let bans = self.fetch_bans().await?;
        for (ip, left) in &bans {
            local.ban(*ip, *left);
        }
        Ok(bans.len())
    }
}
