// Rampart proof-of-work challenge: find a nonce so that
// SHA-256(seed + nonce) starts with `bits` zero bits, store it in a cookie
// and reload. Self-contained (no crypto.subtle, so it works on plain http).
var K = [0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,
0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,
0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,
0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,
0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,
0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,
0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,
0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2];
function ror(x, n) { return (x >>> n) | (x << (32 - n)); }
// SHA-256 of an ASCII string, as 8 signed 32-bit words.
function sha256(s) {
  var H = [0x6a09e667,0xbb67ae85,0x3c6ef372,0xa54ff53a,0x510e527f,0x9b05688c,0x1f83d9ab,0x5be0cd19];
  var l = s.length, nb = (l + 72) >> 6, w = new Array(nb * 16).fill(0), W = new Array(64), i, j;
  for (i = 0; i < l; i++) w[i >> 2] |= s.charCodeAt(i) << (24 - (i % 4) * 8);
  w[l >> 2] |= 0x80 << (24 - (l % 4) * 8);
  w[nb * 16 - 1] = l * 8;
  for (j = 0; j < nb; j++) {
    for (i = 0; i < 16; i++) W[i] = w[j * 16 + i] | 0;
    for (i = 16; i < 64; i++) {
      var s0 = ror(W[i-15], 7) ^ ror(W[i-15], 18) ^ (W[i-15] >>> 3);
      var s1 = ror(W[i-2], 17) ^ ror(W[i-2], 19) ^ (W[i-2] >>> 10);
      W[i] = (W[i-16] + s0 + W[i-7] + s1) | 0;
    }
    var a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
    for (i = 0; i < 64; i++) {
      var t1 = (h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
      var t2 = ((ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    H[0] = (H[0] + a) | 0; H[1] = (H[1] + b) | 0; H[2] = (H[2] + c) | 0; H[3] = (H[3] + d) | 0;
    H[4] = (H[4] + e) | 0; H[5] = (H[5] + f) | 0; H[6] = (H[6] + g) | 0; H[7] = (H[7] + h) | 0;
  }
  return H;
}
function zeroBits(H) {
  for (var i = 0, n = 0; i < 8; i++) {
    var x = H[i] >>> 0;
    if (x !== 0) return n + Math.clz32(x);
    n += 32;
  }
  return n;
}
// Tries nonces from `start`, `count` of them; returns the nonce or -1.
function search(seed, bits, start, count) {
  for (var n = start; n < start + count; n++) {
    if (zeroBits(sha256(seed + n)) >= bits) return n;
  }
  return -1;
}
function run(el) {
  var seed = el.getAttribute("data-seed"), bits = +el.getAttribute("data-bits");
  var cookie = el.getAttribute("data-cookie"), next = 0;
  (function step() {
    var found = search(seed, bits, next, 20000);
    if (found < 0) { next += 20000; setTimeout(step, 0); return; }
    document.cookie = cookie + "=" + seed + "." + found + "; path=/; max-age=300; SameSite=Lax";
    location.reload();
  })();
}
if (typeof document !== "undefined") run(document.getElementById("rampart-challenge"));
