#!/usr/bin/python3
"""A small, scriptable SMTP peer for smtptool's tests (Debian's aiosmtpd).

Listens on 127.0.0.1 only, with an explicit hostname, until SIGTERM or SIGINT.

Modes:
  ok           accept everything (250 everywhere)
  421-at-mail  reply "421 4.7.0 Too busy, closing" to MAIL and close
  greylist     451 4.7.1 at the first RCPT of each (client, sender,
               recipient), 250 afterwards

Options for every mode:
  --cert FILE --key FILE
               offer STARTTLS with this chain (leaf first) and key, e.g.
               valid.chain.pem and valid.key.pem of tests/lib/certs.sh
  --auth       offer AUTH PLAIN LOGIN CRAM-MD5, by default only under TLS
               (so --cert and --key are needed) and to these users:
                 alice, alice@test.local    password alice-secret-1
                 bob, bob@test.local        password "b0b pass!"
               (--user NAME:PASSWORD, repeatable, replaces them).  A wrong
               password gets 535 5.7.8.  Without --auth no AUTH is offered,
               even under TLS.
  --auth-without-tls
               offer and accept AUTH in plaintext too (loopback tests only)
  --auth-required
               530 to MAIL (and other mail commands) until authenticated
  --no-smtputf8
               do not offer SMTPUTF8 (it is offered by default: a UTF-8
               address is then accepted in MAIL and RCPT)

With --outdir DIR every accepted message is written to DIR/N.eml: the
envelope in X-Peer-* header lines first (X-Peer-Mail-From, one
X-Peer-Rcpt-To per recipient, both as the addresses were received, UTF-8
bytes included), then the data exactly as received (dot-unstuffed, CRLF
kept).  Each message also gets a log line on stderr: "aiosmtpd_server:
message N from <ADDR> options [...] auth USER|- tls yes|no".

Run with /usr/bin/python3: the python3 on PATH may lack aiosmtpd.
"""

import argparse
import hashlib
import hmac
import logging
import os
import signal
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import (MISSING, SMTP, AuthResult, LoginPassword,
                           auth_mechanism)

MODES = ("ok", "421-at-mail", "greylist")

DEFAULT_USERS = {
    "alice": "alice-secret-1",
    "alice@test.local": "alice-secret-1",
    "bob": "b0b pass!",
    "bob@test.local": "b0b pass!",
}


def log(msg):
    print("aiosmtpd_server: " + msg, file=sys.stderr, flush=True)


def raw(text):
    """The bytes aiosmtpd decoded (UTF-8 with surrogateescape)."""
    if text is None:
        return b""
    return text.encode("utf-8", "surrogateescape")


class CramData:
    """What a CRAM-MD5 client sent, for the authenticator."""

    def __init__(self, login, challenge, digest):
        self.login = login          # bytes
        self.challenge = challenge  # bytes
        self.digest = digest        # bytes, hex

    def __repr__(self):
        return "CramData(login=%r)" % self.login


class Authenticator:
    def __init__(self, users):
        self.users = {k.encode("utf-8"): v.encode("utf-8")
                      for k, v in users.items()}

    def __call__(self, server, session, envelope, mechanism, auth_data):
        login = auth_data.login
        password = self.users.get(login)
        ok = False
        if password is not None:
            if isinstance(auth_data, CramData):
                want = hmac.new(password, auth_data.challenge,
                                hashlib.md5).hexdigest().encode("ascii")
                ok = hmac.compare_digest(want, auth_data.digest.lower())
            elif isinstance(auth_data, LoginPassword):
                ok = hmac.compare_digest(password, auth_data.password)
        log("AUTH %s %s for %r" % (mechanism, "ok" if ok else "failed",
                                    login.decode("utf-8", "replace")))
        if ok:
            return AuthResult(success=True,
                              auth_data=LoginPassword(login, b""))
        return AuthResult(success=False, handled=False)


class Handler:
    def __init__(self, mode, outdir, auth):
        self.mode = mode
        self.outdir = outdir
        self.auth = auth
        self.seen = set()
        self.count = 0

    async def handle_EHLO(self, server, session, envelope, hostname,
                          responses):
        session.host_name = hostname
        if not self.auth:
            responses = [r for r in responses
                         if not r[4:].upper().startswith("AUTH")]
        return responses

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
        user = getattr(session.auth_data, "login", None)
        if isinstance(user, bytes):
            user = user.decode("utf-8", "replace")
        log("message %d from <%s> options %s auth %s tls %s"
            % (self.count, envelope.mail_from, envelope.mail_options,
               user if session.authenticated else "-",
               "yes" if server._tls_protocol else "no"))
        if self.outdir:
            path = os.path.join(self.outdir, "%d.eml" % self.count)
            tmp = path + ".tmp"
            with open(tmp, "wb") as f:
                f.write(b"X-Peer-Mail-From: %s\r\n" % raw(envelope.mail_from))
                for rcpt in envelope.rcpt_tos:
                    f.write(b"X-Peer-Rcpt-To: %s\r\n" % raw(rcpt))
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

    async def smtp_AUTH(self, arg):
        # Without --auth, AUTH is not offered under TLS either; before TLS
        # aiosmtpd's own answer (538) stays.
        if not self.event_handler.auth and self._tls_protocol:
            await self.push("502 5.5.1 Error: AUTH not enabled")
            return
        return await super().smtp_AUTH(arg)

    @auth_mechanism("CRAM-MD5")
    async def auth_CRAM_MD5(self, _, args):
        if len(args) > 1:
            await self.push("501 5.5.2 CRAM-MD5 takes no initial response")
            return AuthResult(success=False, handled=True)
        challenge = ("<%d.%d@%s>" % (int.from_bytes(os.urandom(4), "big"),
                                     int(time.time()), self.hostname)
                     ).encode("ascii")
        response = await self.challenge_auth(challenge)
        if response is MISSING:
            # challenge_auth already replied (501).
            return AuthResult(success=False, handled=True)
        login, sep, digest = response.rpartition(b" ")
        if not sep or not login or not digest:
            await self.push("501 5.5.2 Can't split auth value")
            return AuthResult(success=False, handled=True)
        return self._authenticate("CRAM-MD5",
                                  CramData(login, challenge, digest))


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
    p.add_argument("--cert", help="offer STARTTLS: the chain (leaf first)")
    p.add_argument("--key", help="offer STARTTLS: the key")
    p.add_argument("--auth", action="store_true",
                   help="offer AUTH PLAIN LOGIN CRAM-MD5")
    p.add_argument("--auth-without-tls", action="store_true",
                   help="offer AUTH before STARTTLS too")
    p.add_argument("--auth-required", action="store_true",
                   help="530 to mail commands until authenticated")
    p.add_argument("--user", action="append", metavar="NAME:PASSWORD",
                   help="an AUTH user (repeatable; replaces the defaults)")
    p.add_argument("--smtputf8", dest="smtputf8", action="store_true",
                   default=True, help="offer SMTPUTF8 (the default)")
    p.add_argument("--no-smtputf8", dest="smtputf8", action="store_false",
                   help="do not offer SMTPUTF8")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()

    if bool(args.cert) != bool(args.key):
        p.error("--cert and --key go together")
    if args.auth and not args.cert and not args.auth_without_tls:
        p.error("--auth needs --cert/--key (STARTTLS) or --auth-without-tls")
    if (args.auth_required or args.auth_without_tls) and not args.auth:
        p.error("--auth-required and --auth-without-tls need --auth")

    users = DEFAULT_USERS
    if args.user:
        users = {}
        for u in args.user:
            name, sep, password = u.partition(":")
            if not sep or not name:
                p.error("--user wants NAME:PASSWORD")
            users[name] = password

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr)
    if args.outdir:
        os.makedirs(args.outdir, exist_ok=True)

    kwargs = {"enable_SMTPUTF8": args.smtputf8}
    if args.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)
        kwargs["tls_context"] = ctx
    if args.auth:
        kwargs["authenticator"] = Authenticator(users)
        kwargs["auth_require_tls"] = not args.auth_without_tls
        kwargs["auth_required"] = args.auth_required

    # Block the signals before the server thread starts, so that only
    # sigwait() below sees them.
    sigs = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, sigs)

    controller = PeerController(
        Handler(args.mode, args.outdir, args.auth),
        hostname="127.0.0.1",
        port=args.port,
        server_hostname=args.hostname,
        ready_timeout=20.0,
        **kwargs)
    controller.start()
    log("listening on 127.0.0.1:%d mode %s%s%s%s"
        % (args.port, args.mode, " starttls" if args.cert else "",
           " auth" if args.auth else "",
           " smtputf8" if args.smtputf8 else ""))
    sig = signal.sigwait(sigs)
    log("signal %d, stopping" % sig)
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
