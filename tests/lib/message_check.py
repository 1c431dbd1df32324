#!/usr/bin/python3
"""Check a message smtptool sent against the copy a server delivered.

    message_check.py LABEL SENT_JSONL DELIVERED [--attach FILE]... \
        [--subject TEXT] [--html] [--body-has TEXT]... [--count-dots N]

SENT_JSONL is smtptool's --json output: the message is rebuilt from the
client records between the 354 and the final "." (dot-stuffing undone).
DELIVERED is the file the server wrote (Maildir); it must end with the
sent message byte for byte once line ends are compared as LF (Postfix
writes LF, the sandbox CRLF) and the server's own trace headers
(Received:, Return-Path:, Delivered-To:, X-Peer-*) before it are ignored.
Then the delivered copy is parsed with Python's email package: each
attachment decodes to the given file's bytes, the Subject decodes to TEXT,
an HTML alternative exists, the text part holds each TEXT.

Prints "ok ..." / "not ok ..." lines (tests/run counts them) and exits
with the number of failures.
"""

import argparse
import base64
import email
import email.policy
import json
import os
import sys

failures = 0


def check(ok, what):
    global failures
    print(("ok " if ok else "not ok ") + what)
    if not ok:
        failures += 1


def sent_message(path):
    """The message text smtptool sent, from its JSON Lines transcript."""
    lines, inside = [], False
    with open(path, "rb") as f:
        for raw in f:
            rec = json.loads(raw)
            if rec.get("kind") == "server" and rec.get("code") == 354:
                inside, lines = True, []
                continue
            if not inside or rec.get("kind") != "client":
                continue
            data = (base64.b64decode(rec["base64"]) if "base64" in rec
                    else rec["text"].encode("utf-8"))
            if data == b".":
                inside = False
                break
            if data.startswith(b"."):
                data = data[1:]
            lines.append(data)
    return b"\r\n".join(lines) + b"\r\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("label")
    ap.add_argument("sent")
    ap.add_argument("delivered")
    ap.add_argument("--attach", action="append", default=[])
    ap.add_argument("--subject")
    ap.add_argument("--html", action="store_true")
    ap.add_argument("--body-has", action="append", default=[])
    a = ap.parse_args()

    sent = sent_message(a.sent).replace(b"\r\n", b"\n")
    with open(a.delivered, "rb") as f:
        got = f.read().replace(b"\r\n", b"\n")
    check(len(sent) > 0 and got.endswith(sent),
          "%s: the delivered copy ends with the sent message byte for byte"
          % a.label)
    if not got.endswith(sent):
        sys.stderr.write("--- sent (%d bytes)\n%r\n--- delivered (%d)\n%r\n"
                         % (len(sent), sent[:2000], len(got), got[:2000]))
    else:
        head = got[:len(got) - len(sent)].decode("utf-8", "replace")
        names = set()
        for line in head.split("\n"):
            if line and not line[0].isspace():
                names.add(line.split(":", 1)[0].lower())
        check(names <= {"received", "return-path", "delivered-to",
                        "x-original-to"} or
              all(n.startswith("x-peer") or n in ("received",)
                  for n in names),
              "%s: only the server's trace headers precede it (%s)"
              % (a.label, ", ".join(sorted(names)) or "none"))

    msg = email.message_from_bytes(got, policy=email.policy.default)
    if a.subject is not None:
        check(str(msg["subject"]) == a.subject,
              "%s: the Subject decodes to %r (got %r)"
              % (a.label, a.subject, str(msg["subject"])))
    atts = [p for p in msg.walk()
            if p.get_content_disposition() == "attachment"]
    check(len(atts) == len(a.attach), "%s: %d attachment(s) (got %d)"
          % (a.label, len(a.attach), len(atts)))
    for path, part in zip(a.attach, atts):
        with open(path, "rb") as f:
            want = f.read()
        data = part.get_payload(decode=True)
        check(data == want and part.get_filename() ==
              os.path.basename(path),
              "%s: attachment %s decodes to the original (%d bytes)"
              % (a.label, os.path.basename(path), len(want)))
    if a.html:
        check(any(p.get_content_type() == "text/html" for p in msg.walk()),
              "%s: an HTML alternative is there" % a.label)
    body = msg.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    for want in a.body_has:
        check(want in text, "%s: the text holds %r" % (a.label, want))
    return failures


if __name__ == "__main__":
    sys.exit(main())
