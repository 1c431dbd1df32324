#!/usr/bin/python3
"""A small, scriptable SMTP peer for smtptool's tests (Debian's aiosmtpd).

Listens on 127.0.0.1 only, with an explicit hostname, until SIGTERM or SIGINT.

Modes:
  ok           accept everything (250 everywhere)
  421-at-mail  reply "421 4.7.0 Too busy, closing" to MAIL and close
  greylist     451 4.7.1 at the first RCPT of each (client, sender,
               recipient), 250 afterwards

With --outdir DIR every accepted message is written to DIR/N.eml (the
envelope in X-Peer-* header lines first, then the data as received).

Run with /usr/bin/python3: the python3 on PATH may lack aiosmtpd.
"""

import argparse
import logging
import os
import signal
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

MODES = ("ok", "421-at-mail", "greylist")


class Handler:
    def __init__(self, mode, outdir):
        self.mode = mode
        self.outdir = outdir
        self.seen = set()
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        if self.mode == "greylist":
            key = (session.peer[0], envelope.mail_from, address)
            if key not in self.seen:
                self.seen.add(key)
                return "451 4.7.1 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        if self.outdir:
            path = os.path.join(self.outdir, "%d.eml" % self.count)
            tmp = path + ".tmp"
            with open(tmp, "wb") as f:
                f.write(b"X-Peer-Mail-From: %s\r\n"
                        % envelope.mail_from.encode("utf-8", "replace"))
                for rcpt in envelope.rcpt_tos:
                    f.write(b"X-Peer-Rcpt-To: %s\r\n"
                            % rcpt.encode("utf-8", "replace"))
                data = envelope.original_content or envelope.content
                if isinstance(data, str):
                    data = data.encode("utf-8", "surrogateescape")
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.rename(tmp, path)
        return "250 2.0.0 OK: queued as %d" % self.count


class PeerSMTP(SMTP):
    async def smtp_MAIL(self, arg):
        if self.event_handler.mode == "421-at-mail":
            await self.push("421 4.7.0 Too busy, closing")
            # As smtp_QUIT does: end the session, then the connection.
            self._handler_coroutine.cancel()
            self.transport.close()
            return
        return await super().smtp_MAIL(arg)


class PeerController(Controller):
    def factory(self):
        return PeerSMTP(self.handler, **self.SMTP_kwargs)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--mode", choices=MODES, default="ok")
    p.add_argument("--hostname", default="aiosmtpd.test.local",
                   help="the name in the banner and the EHLO reply")
    p.add_argument("--outdir", help="write accepted messages here")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr)
    if args.outdir:
        os.makedirs(args.outdir, exist_ok=True)

    # Block the signals before the server thread starts, so that only
    # sigwait() below sees them.
    sigs = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, sigs)

    controller = PeerController(
        Handler(args.mode, args.outdir),
        hostname="127.0.0.1",
        port=args.port,
        server_hostname=args.hostname,
        ready_timeout=20.0)
    controller.start()
    print("aiosmtpd_server: listening on 127.0.0.1:%d mode %s"
          % (args.port, args.mode), file=sys.stderr, flush=True)
    sig = signal.sigwait(sigs)
    print("aiosmtpd_server: signal %d, stopping" % sig, file=sys.stderr,
          flush=True)
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
