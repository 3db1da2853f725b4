//! A minimal async Redis client speaking RESP2 over `tokio::net::TcpStream`:
//! commands as arrays of bulk strings, the five reply types, and a small
//! connection pool. Every call is bounded by a timeout.

use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Largest bulk string or array accepted from the server.
const MAX_LEN: i64 = 64 * 1024 * 1024;

/// A reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `+OK`
    Simple(String),
    /// `-ERR ...`
    Error(String),
    /// `:42`
    Int(i64),
    /// `$n` bulk string (`None` for the null bulk string).
    Bulk(Option<Vec<u8>>),
    /// `*n` array (`None` for the null array).
    Array(Option<Vec<Reply>>),
}

/// Client errors.
#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    /// Network failure.
    #[error("redis i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The call did not finish in time.
    #[error("redis timeout")]
    Timeout,
    /// The server sent something that is not RESP2.
    #[error("redis protocol: {0}")]
    Protocol(&'static str),
    /// The server answered with an error reply.
    #[error("redis error: {0}")]
    Server(String),
}

/// Encodes a command.
pub fn encode(args: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// One connection.
#[derive(Debug)]
pub struct Conn {
    stream: BufReader<TcpStream>,
    buf: Vec<u8>,
}

impl Conn {
    /// Connects to `addr` (`host:port`).
    pub async fn connect(addr: &str) -> Result<Self, RedisError> {
        let s = TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        Ok(Self {
            stream: BufReader::new(s),
            buf: Vec::with_capacity(256),
        })
    }

    /// Sends one command and reads its reply. Error replies are `Err`.
    pub async fn call(&mut self, args: &[&[u8]]) -> Result<Reply, RedisError> {
        self.buf.clear();
        encode(args, &mut self.buf);
        self.stream.get_mut().write_all(&self.buf).await?;
        match read_reply(&mut self.stream).await? {
            Reply::Error(e) => Err(RedisError::Server(e)),
            r => Ok(r),
        }
    }
}

async fn read_line<R: AsyncBufReadExt + Unpin>(r: &mut R) -> Result<String, RedisError> {
    let mut line = String::new();
    let n = r.read_line(&mut line).await?;
    if n == 0 {
        return Err(RedisError::Io(std::io::ErrorKind::UnexpectedEof.into()));
    }
    if !line.ends_with("\r\n") {
        return Err(RedisError::Protocol("line without CRLF"));
    }
    line.truncate(line.len() - 2);
    Ok(line)
}

fn parse_len(s: &str) -> Result<i64, RedisError> {
    let n: i64 = s.parse().map_err(|_| RedisError::Protocol("bad length"))?;
    if n > MAX_LEN {
        return Err(RedisError::Protocol("length too large"));
    }
    Ok(n)
}

/// Reads one reply.
pub async fn read_reply<R: AsyncBufReadExt + Unpin>(r: &mut R) -> Result<Reply, RedisError> {
    let line = read_line(r).await?;
    let (kind, rest) = line.split_at(line.len().min(1));
    match kind {
        "+" => Ok(Reply::Simple(rest.to_string())),
        "-" => Ok(Reply::Error(rest.to_string())),
        ":" => rest
            .parse()
            .map(Reply::Int)
            .map_err(|_| RedisError::Protocol("bad integer")),
        "$" => {
            let n = parse_len(rest)?;
            if n < 0 {
                return Ok(Reply::Bulk(None));
            }
            let mut data = vec![0u8; n as usize + 2];
            r.read_exact(&mut data).await?;
            data.truncate(n as usize);
            Ok(Reply::Bulk(Some(data)))
        }
        "*" => {
            let n = parse_len(rest)?;
            if n < 0 {
                return Ok(Reply::Array(None));
            }
            let mut items = Vec::with_capacity(n.min(1024) as usize);
            for _ in 0..n {
                items.push(Box::pin(read_reply(r)).await?);
            }
            Ok(Reply::Array(Some(items)))
        }
        _ => Err(RedisError::Protocol("unknown reply type")),
    }
}

/// A small pool of connections to one server.
#[derive(Debug)]
pub struct Pool {
    addr: String,
    idle: tokio::sync::Mutex<Vec<Conn>>,
    max_idle: usize,
    timeout: Duration,
}

impl Pool {
    /// A pool for `addr` keeping up to `max_idle` connections; every call
    /// (including connecting) is bounded by `timeout`.
    pub fn new(addr: &str, max_idle: usize, timeout: Duration) -> Self {
        Self {
            addr: addr.to_string(),
            idle: tokio::sync::Mutex::new(Vec::new()),
            max_idle,
            timeout,
        }
    }

    /// Runs one command on a pooled connection. A connection that failed is
    /// dropped; a healthy one goes back to the pool.
    pub async fn call(&self, args: &[&[u8]]) -> Result<Reply, RedisError> {
        let work = async {
            let pooled = self.idle.lock().await.pop();
            let mut conn = match pooled {
                Some(c) => c,
                None => Conn::connect(&self.addr).await?,
            };
            let r = conn.call(args).await;
            if matches!(r, Ok(_) | Err(RedisError::Server(_))) {
                let mut idle = self.idle.lock().await;
                if idle.len() < self.max_idle {
                    idle.push(conn);
                }
            }
            r
        };
        tokio::time::timeout(self.timeout, work)
            .await
            .map_err(|_| RedisError::Timeout)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn parse(bytes: &[u8]) -> Result<Reply, RedisError> {
        let mut r = BufReader::new(bytes);
        read_reply(&mut r).await
    }

    #[tokio::test]
    async fn replies_parse() {
        assert_eq!(parse(b"+OK\r\n").await.unwrap(), Reply::Simple("OK".into()));
        assert_eq!(
            parse(b"-ERR x\r\n").await.unwrap(),
            Reply::Error("ERR x".into())
        );
        assert_eq!(parse(b":-42\r\n").await.unwrap(), Reply::Int(-42));
        assert_eq!(
            parse(b"$3\r\nabc\r\n").await.unwrap(),
            Reply::Bulk(Some(b"abc".to_vec()))
        );
        assert_eq!(parse(b"$-1\r\n").await.unwrap(), Reply::Bulk(None));
        let arr = parse(b"*2\r\n:1\r\n$1\r\nx\r\n").await.unwrap();
        let want = vec![Reply::Int(1), Reply::Bulk(Some(b"x".to_vec()))];
        assert_eq!(arr, Reply::Array(Some(want)));
        assert!(parse(b"?what\r\n").await.is_err());
        assert!(parse(b"$999999999999\r\n").await.is_err());
        assert!(parse(b":1\n").await.is_err());
        assert!(parse(b"").await.is_err());
    }

    #[test]
    fn commands_encode() {
        let mut out = Vec::new();
        encode(&[b"SET", b"k", b"v v"], &mut out);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv v\r\n");
    }
}
