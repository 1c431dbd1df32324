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
Writes the bytes it received from each client to --log if given.
"""

import argparse
import socket
import socketserver
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
        except OSError:
            pass

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
                                   ["longline", "flood", "silent"]))
    ap.add_argument("--log")
    a = ap.parse_args()
    srv = Server(("127.0.0.1", a.port), Handler)
    srv.mode = a.mode
    srv.log = a.log
    print("hostile %s on 127.0.0.1:%d" % (a.mode, a.port), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
