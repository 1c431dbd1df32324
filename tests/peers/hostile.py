#!/usr/bin/python3
"""A hostile SMTP server for behaviour no real server shows (tests only).

Listens on 127.0.0.1:PORT, serves each connection with MODE, forever:
  escape     a banner full of terminal escape sequences, C1 bytes, bidi
             controls and invalid UTF-8, then a normal dialog
  garbage    a banner that is not a reply at all
  mixed      a multi-line banner whose lines carry different codes
  longline   an endless line with no newline (never ends by itself)
  flood      a reply with an endless number of continuation lines
  silent     accepts the connection and never says anything
  starttls-inject
             a normal banner and EHLO reply offering STARTTLS; to STARTTLS
             it answers "220 2.0.0 Ready to start TLS" with two forged
             lines "250-FORGED injected" and "250 FORGED" in the same
             segment (the CVE-2011-0411 class), then takes a real TLS
             handshake with --cert (the chain) and --key, and goes on with
             a normal dialog under TLS if the client does
  starttls   the same without the forged lines (a clean STARTTLS server);
             --keylog FILE writes the server's NSS key log, to check a
             client's
Writes the bytes it received from each client to --log if given.
"""

import argparse
import socket
import socketserver
import ssl
import sys


BANNERS = {
    "escape": (b"220-\x1b[2J\x1b]0;pwned\x07 hello \x9b31m\r\n"
               b"220-bidi \xe2\x80\xae reversed \xc2\x9b c1\r\n"
               b"220 bad \xff\xfe utf8 \x00 nul\r\n"),
    "garbage": b"HTTP/1.1 400 Bad Request\r\n",
    "mixed": b"220-first\r\n250 second\r\n",
}


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        mode = self.server.mode
        s = self.request
        s.settimeout(30)
        try:
            if mode in BANNERS:
                s.sendall(BANNERS[mode])
                self.dialog(s)
            elif mode == "longline":
                s.sendall(b"220 ")
                chunk = b"A" * 65536
                for _ in range(4096):      # at most 256 MiB, then give up
                    s.sendall(chunk)
            elif mode == "flood":
                s.sendall(b"220 hi\r\n")
                self.readline(s)
                for _ in range(1000000):
                    s.sendall(b"250-flood flood flood flood\r\n" * 64)
            elif mode == "silent":
                while s.recv(4096):
                    pass
            elif mode in ("starttls-inject", "starttls"):
                self.starttls_inject(s, mode == "starttls-inject")
        except OSError:        # ssl.SSLError is one too
            pass

    INJECT = (b"220 2.0.0 Ready to start TLS\r\n"
              b"250-FORGED injected\r\n"
              b"250 FORGED\r\n")

    def starttls_inject(self, s, inject):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(b"220 inject.test.local ESMTP hostile\r\n")
        while True:
            line = self.readline(s)
            if line is None:
                return
            verb = line[:8].upper().rstrip(b"\r\n")
            if verb[:4] in (b"EHLO", b"HELO"):
                s.sendall(b"250-inject.test.local\r\n"
                          b"250-PIPELINING\r\n"
                          b"250-8BITMIME\r\n"
                          b"250 STARTTLS\r\n")
            elif verb == b"STARTTLS":
                if inject:
                    s.sendall(self.INJECT)      # one segment
                else:
                    s.sendall(b"220 2.0.0 Ready to start TLS\r\n")
                break
            elif verb[:4] == b"QUIT":
                s.sendall(b"221 2.0.0 bye\r\n")
                return
            else:
                s.sendall(b"503 5.5.1 say STARTTLS first\r\n")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.server.cert, self.server.key)
        if self.server.keylog:
            ctx.keylog_filename = self.server.keylog
        t = ctx.wrap_socket(s, server_side=True)
        if self.server.log:
            with open(self.server.log, "ab") as f:
                f.write(b"[TLS established: %s]\n" %
                        t.version().encode())
        while True:
            line = self.readline(t)
            if line is None:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                t.sendall(b"250-inject.test.local\r\n"
                          b"250 PIPELINING\r\n")
            elif verb == b"QUIT":
                t.sendall(b"221 2.0.0 bye\r\n")
                try:
                    t.unwrap()
                except (OSError, ValueError):
                    pass
                return
            else:
                t.sendall(b"250 2.0.0 ok\r\n")

    def readline(self, s):
        data = b""
        while not data.endswith(b"\n"):
            b = s.recv(1)
            if not b:
                return None
            data += b
        if self.server.log:
            with open(self.server.log, "ab") as f:
                f.write(data)
        return data

    def dialog(self, s):
        while True:
            line = self.readline(s)
            if line is None:
                return
            verb = line[:4].upper()
            if verb == b"QUIT":
                s.sendall(b"221 bye\r\n")
                return
            s.sendall(b"250 ok\r\n")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--mode", required=True,
                    choices=sorted(list(BANNERS) +
                                   ["longline", "flood", "silent",
                                    "starttls-inject", "starttls"]))
    ap.add_argument("--log")
    ap.add_argument("--cert", help="starttls-inject: the chain (PEM)")
    ap.add_argument("--key", help="starttls-inject: its key (PEM)")
    ap.add_argument("--keylog", help="starttls*: the server's NSS key log")
    a = ap.parse_args()
    if a.mode.startswith("starttls") and not (a.cert and a.key):
        ap.error("%s needs --cert and --key" % a.mode)
    srv = Server(("127.0.0.1", a.port), Handler)
    srv.mode = a.mode
    srv.log = a.log
    srv.cert = a.cert
    srv.key = a.key
    srv.keylog = a.keylog
    print("hostile %s on 127.0.0.1:%d" % (a.mode, a.port), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
