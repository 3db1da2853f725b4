//! A recording origin server (std threads, HTTP/1.1 keep-alive).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// One request the origin received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub uri: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    requests: Mutex<Vec<Recorded>>,
    hits: AtomicUsize,
    fail_status: AtomicU64,
    delay_ms: AtomicU64,
    health_status: AtomicU64,
    stopped: AtomicBool,
    conns: Mutex<Vec<TcpStream>>,
}

/// Builder for an origin.
pub struct OriginBuilder {
    name: String,
    port: u16,
}

/// Starts building an origin.
pub fn origin() -> OriginBuilder {
    OriginBuilder {
        name: "origin".into(),
        port: 0,
    }
}

impl OriginBuilder {
    pub fn name(mut self, n: &str) -> Self {
        self.name = n.into();
        self
    }
    pub fn port(mut self, p: u16) -> Self {
        self.port = p;
        self
    }
    pub fn spawn(self) -> Origin {
        let state = Arc::new(State::default());
        state.health_status.store(200, Ordering::SeqCst);
        let listener = TcpListener::bind(("127.0.0.1", self.port)).expect("bind origin");
        let addr = listener.local_addr().unwrap();
        let o = Origin {
            name: self.name,
            addr,
            state,
        };
        o.serve(listener);
        o
    }
}

/// A running origin.
pub struct Origin {
    pub name: String,
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl Origin {
    fn serve(&self, listener: TcpListener) {
        let state = self.state.clone();
        let name = self.name.clone();
        state.stopped.store(false, Ordering::SeqCst);
        thread::spawn(move || {
            for stream in listener.incoming() {
                if state.stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                if let Ok(c) = stream.try_clone() {
                    state.conns.lock().unwrap().push(c);
                }
                let (state, name) = (state.clone(), name.clone());
                thread::spawn(move || handle(stream, &state, &name));
            }
        });
    }

    /// Requests received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }
    /// Count of non-health-check requests.
    pub fn hits(&self) -> usize {
        self.state.hits.load(Ordering::SeqCst)
    }
    /// Answer every request with this status (0: normal).
    pub fn fail_with(&self, status: u16) {
        self.state
            .fail_status
            .store(status as u64, Ordering::SeqCst);
    }
    /// Delay every answer.
    pub fn delay(&self, d: Duration) {
        self.state
            .delay_ms
            .store(d.as_millis() as u64, Ordering::SeqCst);
    }
    /// Status of `/healthz`.
    pub fn set_health(&self, status: u16) {
        self.state
            .health_status
            .store(status as u64, Ordering::SeqCst);
    }
    /// Stops listening and drops every open connection.
    pub fn stop(&self) {
        self.state.stopped.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wake the accept loop
        for c in self.state.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
        thread::sleep(Duration::from_millis(20));
    }
    /// Listens again on the same port.
    pub fn restart(&self) {
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(self.addr) {
                Ok(l) => break l,
                Err(e) if tries < 100 => {
                    tries += 1;
                    let _ = e;
                    thread::sleep(Duration::from_millis(20));
                }
                Err(e) => panic!("rebind origin: {e}"),
            }
        };
        self.serve(listener);
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.stop();
    }
}

fn handle(stream: TcpStream, state: &State, name: &str) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    while let Some(req) = read_request(&mut reader) {
        if state.stopped.load(Ordering::SeqCst) {
            return;
        }
        let health = req.uri.starts_with("/healthz");
        let (status, body) = if health {
            (
                state.health_status.load(Ordering::SeqCst) as u16,
                format!("{name} health\n"),
            )
        } else {
            state.hits.fetch_add(1, Ordering::SeqCst);
            state.requests.lock().unwrap().push(req.clone());
            let d = state.delay_ms.load(Ordering::SeqCst);
            if d > 0 {
                thread::sleep(Duration::from_millis(d));
            }
            let f = state.fail_status.load(Ordering::SeqCst) as u16;
            (
                if f == 0 { 200 } else { f },
                format!("{name} {} {}\n", req.method, req.uri),
            )
        };
        let resp = format!(
            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nX-Origin: {name}\r\nX-Upstream-Header: present\r\nContent-Type: text/plain\r\n\r\n{body}",
            body.len()
        );
        if out.write_all(resp.as_bytes()).is_err() {
            return;
        }
    }
}

fn read_request(r: &mut BufReader<TcpStream>) -> Option<Recorded> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let uri = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let find = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    let mut body = Vec::new();
    if let Some(len) = find("content-length").and_then(|l| l.parse::<usize>().ok()) {
        body.resize(len, 0);
        r.read_exact(&mut body).ok()?;
    } else if find("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }
    Some(Recorded {
        method,
        uri,
        headers,
        body,
    })
}
