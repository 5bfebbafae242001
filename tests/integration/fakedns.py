#!/usr/bin/env python3
"""fakedns.py -- a scripted DNS server for the megdns integration tests, and wire helpers.

As a program it is an upstream that misbehaves on purpose (no NSD option does):

  fakedns.py --addr 127.0.0.30 --port 53 --log FILE --mode MODE [--delay S] [--ip A] [--ttl N]
             [--cname NAME=TARGET]... [--bare-cname NAME=TARGET]... [--wait S]
  (--addr may carry a scope: fe80::2%eth0)

  answer  answer every A query with --ip (other types: NODATA), over UDP and TCP
  drop    read queries and never answer (a black hole that still logs)
  delay   answer after --delay seconds
  spoof   over UDP first send forged replies -- wrong ID, wrong question, from another source
          port -- all with the A record 6.6.6.6, then the real answer after --delay seconds
  tc      over UDP answer with TC set and no records; over TCP answer in full
  emptycname  answer every query with a CNAME at the question name whose rdata is empty
          (rdlength 0: a record cut short, which ldns parses into a CNAME without target)
  inject  answer A queries with --ip plus poison for a resolver to scrub (names compressed):
          www.bank.test A 6.6.6.6 in the answer, bank.test NS ns.evil.test in the authority and
          ns.evil.test A 6.6.6.6 in the additional section -- and, as data that concerns the
          question, PARENT NS ns.PARENT with its glue ns.PARENT A 192.0.2.54. A name whose first
          label is "alias" gets "CNAME www.bank.test." with "www.bank.test A 6.6.6.6" instead of
          its A record; --cname NAME=TARGET (repeatable) gives NAME "CNAME TARGET" with
          "TARGET A 6.6.6.6" the same way; --bare-cname NAME=TARGET gives NAME only "CNAME
          TARGET", nothing else (an authoritative server whose chain leads elsewhere). Names
          under bank.test get a plain answer.

  noedns  answer FORMERR to queries with EDNS, and like answer to those without (a server
          from before RFC 6891)
  nxdomain  answer every query NXDOMAIN with AA set and no records (a zone that has nothing)
  deeper  answer every query for NAME with a referral to NAME itself: "NAME NS ns.NAME" and
          the glue "ns.NAME A --ip" (a server that sends a resolver one label deeper at each
          query, as far as the name goes: the cost of one name is its label count)
  proxy  relay every query over UDP to --upstream ADDR@PORT and its reply back, unchanged:
          a query log in front of an NSD, which keeps none

--lame clears AA in the answers of answer and tc mode (a server that is no authority: a
cache, a misconfigured delegation); --aa sets it in the replies of inject mode (a hostile
authoritative server).

--wait S (any mode) holds every reply S seconds, so that queries sent together are all in
flight at the resolver before the first reply comes back.

Every query is logged to --log as "q PROTO SRCPORT ID QNAME QTYPE" (one line, flushed; with
--log-peer " from SRCADDR" follows),
after a first line "ready". As a module it offers the wire helpers the tests use to send
hand-made packets (build_query, parse_reply, udp_exchange, tcp_exchange).
"""
import argparse
import random
import socket
import struct
import sys
import threading
import time

# --- wire helpers --------------------------------------------------------------------------


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def build_query(name, qtype=1, qclass=1, qid=None, flags=0x0100, opcode=0, qdcount=None,
                edns=True, bufsize=1232, do=False, edns_version=0, arcount=None, extra=b""):
    """A query packet; every field can be forced to a wrong value."""
    if qid is None:
        qid = random.randint(0, 0xFFFF)
    flags = (flags & ~0x7800) | ((opcode & 0xF) << 11)
    question = encode_name(name) + struct.pack("!HH", qtype, qclass)
    opt = b""
    if edns:
        ttl = (edns_version << 16) | (0x8000 if do else 0)
        opt = b"\0" + struct.pack("!HHIH", 41, bufsize, ttl, 0)
    if qdcount is None:
        qdcount = 1
    if arcount is None:
        arcount = 1 if edns else 0
    hdr = struct.pack("!HHHHHH", qid, flags, qdcount, 0, 0, arcount)
    return hdr + question + extra + opt


def read_name(pkt, pos):
    labels = []
    jumps = 0
    end = None
    while True:
        n = pkt[pos]
        if n & 0xC0 == 0xC0:
            if end is None:
                end = pos + 2
            pos = ((n & 0x3F) << 8) | pkt[pos + 1]
            jumps += 1
            if jumps > 64:
                raise ValueError("pointer loop")
            continue
        if n == 0:
            pos += 1
            break
        labels.append(pkt[pos + 1:pos + 1 + n].decode("latin-1"))
        pos += 1 + n
    return ".".join(labels) + ".", (end if end is not None else pos)


def parse_reply(pkt):
    """Header fields, question and records of a reply (rcode includes the EDNS extension)."""
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", pkt[:12])
    r = {"id": qid, "flags": flags, "qr": bool(flags & 0x8000), "opcode": (flags >> 11) & 0xF,
         "aa": bool(flags & 0x400), "tc": bool(flags & 0x200), "rcode": flags & 0xF,
         "qd": qd, "an": an, "ns": ns, "ar": ar, "questions": [], "answers": [], "ede": [],
         "edns": False}
    pos = 12
    for _ in range(qd):
        name, pos = read_name(pkt, pos)
        qtype, qclass = struct.unpack("!HH", pkt[pos:pos + 4])
        pos += 4
        r["questions"].append((name, qtype, qclass))
    for section in range(3):
        for _ in range((an, ns, ar)[section]):
            name, pos = read_name(pkt, pos)
            rtype, rclass, ttl, rdlen = struct.unpack("!HHIH", pkt[pos:pos + 10])
            rdata = pkt[pos + 10:pos + 10 + rdlen]
            pos += 10 + rdlen
            if rtype == 41:
                r["edns"] = True
                r["rcode"] |= (ttl >> 24) << 4
                o = 0
                while o + 4 <= len(rdata):
                    code, olen = struct.unpack("!HH", rdata[o:o + 4])
                    if code == 15:
                        r["ede"].append(struct.unpack("!H", rdata[o + 4:o + 6])[0])
                    o += 4 + olen
            elif section == 0:
                r["answers"].append((name, rtype, ttl, rdata))
    return r


def udp_exchange(addr, port, pkt, timeout=2.0, src=None):
    """Send pkt, return the first reply (bytes) or None on timeout."""
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if src:
        s.bind((src, 0))
    s.settimeout(timeout)
    try:
        s.sendto(pkt, (addr, port))
        data, _ = s.recvfrom(65535)
        return data
    except (socket.timeout, ConnectionRefusedError):
        return None
    finally:
        s.close()


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def tcp_exchange(addr, port, pkts, timeout=3.0, src=None):
    """Send several framed queries on one connection; return the replies in arrival order."""
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    if src:
        s.bind((src, 0))
    s.settimeout(timeout)
    s.connect((addr, port))
    s.sendall(b"".join(struct.pack("!H", len(p)) + p for p in pkts))
    out = []
    try:
        for _ in pkts:
            hdr = recv_exact(s, 2)
            if hdr is None:
                break
            body = recv_exact(s, struct.unpack("!H", hdr)[0])
            if body is None:
                break
            out.append(body)
    except socket.timeout:
        pass
    s.close()
    return out


class Writer:
    """A message under construction, with name compression (RFC 1035 4.1.4)."""

    def __init__(self, start):
        self.buf = bytearray(start)
        self.names = {}

    def name(self, name):
        labels = [x for x in name.rstrip(".").split(".") if x]
        for i in range(len(labels)):
            key = ".".join(labels[i:]).lower()
            if key in self.names:
                self.buf += struct.pack("!H", 0xC000 | self.names[key])
                return
            if len(self.buf) < 0x3FFF:
                self.names[key] = len(self.buf)
            self.buf += bytes([len(labels[i])]) + labels[i].encode()
        self.buf += b"\0"

    def rr(self, name, rtype, ttl, rdata_fn):
        self.name(name)
        self.buf += struct.pack("!HHI", rtype, 1, ttl)
        at = len(self.buf)
        self.buf += b"\0\0"
        rdata_fn(self)
        struct.pack_into("!H", self.buf, at, len(self.buf) - at - 2)


def inject_reply(q, qid, ip, ttl, cnames=None, bare=None, aa=False):
    """The poisoned reply of --mode inject (counts fixed up at the end)."""
    name = q["name"]
    target = (cnames or {}).get(name.lower())
    bare_target = (bare or {}).get(name.lower())
    labels = name.rstrip(".").split(".")
    parent = ".".join(labels[1:]) + "." if len(labels) > 1 else "."
    w = Writer(struct.pack("!HHHHHH", qid, 0x8180 | (0x0400 if aa else 0), 1, 0, 0, 0))
    w.name(name)
    w.buf += struct.pack("!HH", q["qtype"], q["qclass"])
    a = lambda addr: (lambda x: x.buf.extend(socket.inet_aton(addr)))
    ref = lambda n: (lambda x: x.name(n))
    counts = [0, 0, 0]
    if bare_target:
        w.rr(name, 5, ttl, ref(bare_target))
        counts[0] = 1
    elif name.lower().rstrip(".").endswith("bank.test"):
        w.rr(name, 1, ttl, a(ip))
        counts[0] = 1
    else:
        if labels[0].lower() == "alias":
            target = "www.bank.test."
        if target:
            w.rr(name, 5, ttl, ref(target))
        else:
            w.rr(name, 1, ttl, a(ip))
        w.rr(target or "www.bank.test.", 1, ttl, a("6.6.6.6"))
        w.rr(parent, 2, ttl, ref("ns." + parent))
        w.rr("bank.test.", 2, ttl, ref("ns.evil.test."))
        w.rr("ns." + parent, 1, ttl, a("192.0.2.54"))
        w.rr("ns.evil.test.", 1, ttl, a("6.6.6.6"))
        counts = [2, 2, 2]
    if q["edns"]:
        w.buf += b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)
        counts[2] += 1
    struct.pack_into("!HHH", w.buf, 6, *counts)
    return bytes(w.buf)


def deeper_reply(q, qid, ip, ttl):
    """The referral of --mode deeper: the question's name delegated to ns.NAME at ip."""
    name = q["name"]
    w = Writer(struct.pack("!HHHHHH", qid, 0x8000, 1, 0, 1, 1))
    w.buf += q["qsec"]
    w.rr(name, 2, ttl, lambda x: x.name("ns." + name))
    w.rr("ns." + name, 1, ttl, lambda x: x.buf.extend(socket.inet_aton(ip)))
    if q["edns"]:
        w.buf += b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)
        struct.pack_into("!H", w.buf, 10, 2)
    return bytes(w.buf)


# --- the server ---------------------------------------------------------------------------

class Fake:
    def __init__(self, args):
        self.args = args
        self.log = open(args.log, "a", buffering=1)
        self.lock = threading.Lock()
        self.cnames, self.bare = {}, {}
        for opt, table in ((args.cname, self.cnames), (args.bare_cname, self.bare)):
            for c in opt:
                name, target = c.split("=", 1)
                table[name.lower().rstrip(".") + "."] = target.rstrip(".") + "."

    def note(self, proto, sport, qid, qname, qtype, peer=None):
        with self.lock:
            extra = " from %s" % peer if self.args.log_peer and peer else ""
            self.log.write("q %s %d %d %s %d%s\n" % (proto, sport, qid, qname, qtype, extra))

    def answer(self, q, qid=None, ip=None, qname_override=None, tc=False):
        """A reply to the parsed query q (dict with id, name, qtype, qclass, raw question)."""
        qid = q["id"] if qid is None else qid
        if self.args.mode == "inject" and q["qtype"] == 1:
            return inject_reply(q, qid, ip or self.args.ip, self.args.ttl, self.cnames,
                                self.bare, self.args.aa)
        flags = 0x8000 | (0 if self.args.lame else 0x0400) | 0x0100 | (0x0200 if tc else 0)
        if self.args.mode == "nxdomain":
            flags = 0x8400 | 3
        if self.args.mode == "deeper":
            return deeper_reply(q, qid, ip or self.args.ip, self.args.ttl)
        if self.args.mode == "noedns" and q["edns"]:
            return struct.pack("!HHHHHH", qid, 0x8001, 1, 0, 0, 0) + q["qsec"]
        qsec = q["qsec"] if qname_override is None else \
            encode_name(qname_override) + struct.pack("!HH", q["qtype"], q["qclass"])
        records = b""
        an = 0
        if self.args.mode == "emptycname":
            records = b"\xc0\x0c" + struct.pack("!HHIH", 5, 1, self.args.ttl, 0)
            an = 1
        elif not tc and q["qtype"] == 1 and self.args.mode != "nxdomain":
            rdata = socket.inet_aton(ip or self.args.ip)
            records = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, self.args.ttl, 4) + rdata
            an = 1
        opt = b""
        ar = 0
        if q["edns"]:
            opt = b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)
            ar = 1
        return struct.pack("!HHHHHH", qid, flags, 1, an, 0, ar) + qsec + records + opt

    @staticmethod
    def parse(pkt):
        qid, flags, qd = struct.unpack("!HHH", pkt[:6])
        name, pos = read_name(pkt, 12)
        qtype, qclass = struct.unpack("!HH", pkt[pos:pos + 4])
        return {"id": qid, "name": name, "qtype": qtype, "qclass": qclass,
                "qsec": pkt[12:pos + 4], "edns": struct.unpack("!H", pkt[10:12])[0] > 0}

    def udp_one(self, sock, pkt, peer):
        try:
            q = self.parse(pkt)
        except Exception:
            return
        self.note("udp", peer[1], q["id"], q["name"], q["qtype"], peer[0])
        mode = self.args.mode
        if mode == "drop":
            return
        if mode == "proxy":
            up = self.args.upstream.rsplit("@", 1)
            fam = socket.AF_INET6 if ":" in up[0] else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.settimeout(2.0)
            try:
                s.sendto(pkt, (up[0], int(up[1]) if len(up) > 1 else 53))
                sock.sendto(s.recv(65535), peer)
            except OSError:
                pass
            finally:
                s.close()
            return
        time.sleep(self.args.wait)
        if mode == "delay":
            time.sleep(self.args.delay)
        if mode == "spoof":
            sock.sendto(self.answer(q, qid=(q["id"] + 1) & 0xFFFF, ip="6.6.6.6"), peer)
            sock.sendto(self.answer(q, ip="6.6.6.6", qname_override="evil." + q["name"]), peer)
            other = socket.socket(sock.family, socket.SOCK_DGRAM)
            other.bind((sock.getsockname()[0], 0) + tuple(sock.getsockname()[2:]))
            other.sendto(self.answer(q, ip="6.6.6.6"), peer)
            other.close()
            time.sleep(self.args.delay)
        sock.sendto(self.answer(q, tc=(mode == "tc")), peer)

    def serve_udp(self, sock):
        while True:
            pkt, peer = sock.recvfrom(65535)
            threading.Thread(target=self.udp_one, args=(sock, pkt, peer), daemon=True).start()

    def tcp_conn(self, conn, peer):
        try:
            while True:
                hdr = recv_exact(conn, 2)
                if hdr is None:
                    return
                pkt = recv_exact(conn, struct.unpack("!H", hdr)[0])
                if pkt is None:
                    return
                q = self.parse(pkt)
                self.note("tcp", peer[1], q["id"], q["name"], q["qtype"], peer[0])
                if self.args.mode == "drop":
                    continue
                if self.args.mode == "proxy":
                    conn.sendall(self.relay_tcp(hdr + pkt))
                    continue
                time.sleep(self.args.wait)
                if self.args.mode in ("delay", "spoof"):
                    time.sleep(self.args.delay)
                reply = self.answer(q)
                conn.sendall(struct.pack("!H", len(reply)) + reply)
        except Exception:
            return
        finally:
            conn.close()

    def relay_tcp(self, framed):
        up = self.args.upstream.rsplit("@", 1)
        fam = socket.AF_INET6 if ":" in up[0] else socket.AF_INET
        with socket.create_connection((up[0], int(up[1]) if len(up) > 1 else 53), 2.0) as s:
            s.sendall(framed)
            hdr = recv_exact(s, 2)
            return hdr + recv_exact(s, struct.unpack("!H", hdr)[0])

    def serve_tcp(self, sock):
        while True:
            conn, peer = sock.accept()
            threading.Thread(target=self.tcp_conn, args=(conn, peer), daemon=True).start()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", default="127.0.0.30")
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--log", required=True)
    ap.add_argument("--mode", default="answer",
                    choices=["answer", "drop", "delay", "spoof", "tc", "emptycname", "inject",
                             "nxdomain", "proxy", "noedns", "deeper"])
    ap.add_argument("--upstream", default="127.0.0.10@53")
    ap.add_argument("--lame", action="store_true")
    ap.add_argument("--aa", action="store_true")
    ap.add_argument("--log-peer", action="store_true")
    ap.add_argument("--delay", type=float, default=0.2)
    ap.add_argument("--wait", type=float, default=0.0)
    ap.add_argument("--ip", default="192.0.2.53")
    ap.add_argument("--ttl", type=int, default=300)
    ap.add_argument("--cname", action="append", default=[], metavar="NAME=TARGET")
    ap.add_argument("--bare-cname", action="append", default=[], metavar="NAME=TARGET")
    args = ap.parse_args()
    fake = Fake(args)
    # getaddrinfo handles a scope ("fe80::2%eth0") as well as plain addresses.
    fam, _, _, _, sa = socket.getaddrinfo(args.addr, args.port, 0, socket.SOCK_DGRAM)[0]
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.bind(sa)
    t = socket.socket(fam, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(sa)
    t.listen(64)
    threading.Thread(target=fake.serve_udp, args=(u,), daemon=True).start()
    threading.Thread(target=fake.serve_tcp, args=(t,), daemon=True).start()
    fake.log.write("ready\n")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
