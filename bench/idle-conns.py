#!/usr/bin/env python3
"""Memory per idle client connection: starts Rampart (default config, logs
off) in front of its echo service, opens N connections that each make one
request and then stay idle (kept alive), and reports the process's RSS
before and after, per connection.
Usage: bench/idle-conns.py [N=3000] [BINARY=target/release/rampart]"""
import os, re, resource, socket, subprocess, sys, tempfile, time

n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
binary = sys.argv[2] if len(sys.argv) > 2 else "target/release/rampart"
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(root)
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, n + 1024)), hard))
d = tempfile.mkdtemp()
port = 20000 + os.getpid() % 20000
cfg = open("conf/rampart.yaml").read()
for a, b in [("0.0.0.0:8080", f"127.0.0.1:{port}"), ("127.0.0.1:8081", f"127.0.0.1:{port+1}"),
             ("127.0.0.1:9090", f"127.0.0.1:{port+2}"), ("/tmp/rampart.pid", f"{d}/pid"),
             ("/tmp/rampart_upgrade.sock", f"{d}/sock"), ("access_log: stdout", "access_log: off"),
             ("audit_log: stdout ", "audit_log: off "), ("log_level: info", "log_level: warn"),
             ("../filters", f"{root}/filters")]:
    cfg = cfg.replace(a, b)
open(f"{d}/r.yaml", "w").write(cfg)
p = subprocess.Popen([binary, "run", "-c", f"{d}/r.yaml"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def rss_kib():
    return int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{p.pid}/status").read()).group(1))

def one(s):
    s.sendall(b"GET /idle HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
    while len(rest) < length:
        rest += s.recv(65536)

for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", port)).close()
        break
    except OSError:
        time.sleep(0.1)
time.sleep(1)
warm = socket.create_connection(("127.0.0.1", port)); one(warm)
before = rss_kib()
conns = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port)); one(s); conns.append(s)
time.sleep(1)
after = rss_kib()
print(f"{n} idle connections: RSS {before} KiB -> {after} KiB, {(after - before) * 1024 / n / 1024:.1f} KiB per connection")
for s in conns:
    s.close()
p.terminate(); p.wait()
