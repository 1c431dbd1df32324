#!/usr/bin/python3
"""Check one "smtptool certs" report (text or --json) against the fixture
files it was served from, cross-checked with "certtool -i --infile".

    tls_report_check.py SPEC_JSON

SPEC_JSON: {"label", "fmt": "text"|"json", "out": FILE, "rc": N,
"want_rc": N, "chain_file": FILE (the chain the server sends), "name": the
name verified against, "target": substring of the target field, "mode":
"starttls"|"tls"|null, "verified": bool, "problems": [required names],
"allow": [names that may also appear], "cert_problems": {"INDEX": [names]
(required; [] means none)}, "session_version": "TLS1.2"|null}

Prints "ok ..." / "not ok ..." lines (tests/run counts them) and exits with
the number of failures.  Used by tests/integration/45-certs.sh.
"""

import calendar
import ipaddress
import json
import os
import re
import subprocess
import sys
import tempfile
import time

PROBLEM_NAMES = {"expired", "not-yet-valid", "unknown-issuer", "self-signed",
                 "name-mismatch", "insecure-algorithm", "weak-key",
                 "not-a-ca", "revoked", "ocsp", "bad-purpose",
                 "bad-signature", "other"}

# A reason sentence must name its problem.
REASON_RE = {
    "expired": r"expire",
    "not-yet-valid": r"not (yet )?(valid|activ)|not-yet-valid|future",
    "unknown-issuer": r"issuer|not trusted|untrusted|unknown",
    "self-signed": r"self[- ]signed",
    "name-mismatch": r"match|name|host|not (valid )?for",
    "bad-purpose": r"purpose|usage",
    "revoked": r"revoked",
    "insecure-algorithm": r"algorithm|insecure",
    "weak-key": r"weak|key",
    "not-a-ca": r"\bCA\b|authority",
    "bad-signature": r"signature",
    "ocsp": r"OCSP",
}

KU_CANON = {
    "digital signature": "digitalsignature",
    "non repudiation": "nonrepudiation",
    "key encipherment": "keyencipherment",
    "data encipherment": "dataencipherment",
    "key agreement": "keyagreement",
    "certificate signing": "keycertsign",
    "crl signing": "crlsign",
    "key encipher only": "encipheronly",
    "key decipher only": "decipheronly",
}
KU_ALIASES = {
    "certificatesigning": "keycertsign", "certsign": "keycertsign",
    "crlsigning": "crlsign", "contentcommitment": "nonrepudiation",
}
EKU_CANON = {
    "tls www server": "serverauth", "1.3.6.1.5.5.7.3.1": "serverauth",
    "tls www client": "clientauth", "1.3.6.1.5.5.7.3.2": "clientauth",
}

failures = 0
spec = {}


def say(ok, what, detail=None):
    global failures
    if ok:
        print("ok certs %s (%s): %s" % (spec["label"], spec["fmt"], what))
    else:
        failures += 1
        if detail:
            for line in str(detail).splitlines():
                print("#   " + line)
        print("not ok certs %s (%s): %s" % (spec["label"], spec["fmt"], what))


def alnum(s):
    return re.sub(r"[^0-9a-z]", "", (s or "").lower())


def dn(s):
    return ",".join(p.strip() for p in (s or "").split(","))


def hexnorm(s):
    return re.sub(r"[^0-9a-f]", "", (s or "").lower())


def serialnum(s):
    h = hexnorm(s)
    return int(h, 16) if h else None


def ipnorm(s):
    try:
        return str(ipaddress.ip_address(s.strip("[]")))
    except ValueError:
        return None


def san_set(items):
    out = set()
    for it in items:
        it = it.strip()
        if not it:
            continue
        m = re.match(r"(DNS|DNSname|IP|IPAddress|IP Address)\s*:\s*(.*)$", it,
                     re.I)
        if m:
            kind = "ip" if m.group(1).lower().startswith("ip") else "dns"
            val = m.group(2).strip()
        else:
            val = it
            kind = "ip" if ipnorm(it) else "dns"
        if kind == "ip":
            val = ipnorm(val) or val
        out.add((kind, val.lower()))
    return out


def ku_norm(items):
    out = set()
    for it in items:
        k = it.strip().rstrip(".").lower()
        if not k or k == "none":
            continue
        k = KU_CANON.get(k, alnum(k))
        out.add(KU_ALIASES.get(k, k))
    return out


def eku_norm(items):
    out = set()
    for it in items:
        k = it.strip().rstrip(".").lower()
        if not k or k == "none":
            continue
        out.add(EKU_CANON.get(k, alnum(k)))
    return out


def certtool_time(s):
    return calendar.timegm(time.strptime(s.strip(), "%a %b %d %H:%M:%S UTC %Y"))


def certtool_info(pem):
    """The fields of one PEM certificate, from certtool -i --infile."""
    with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as f:
        f.write(pem)
        path = f.name
    try:
        out = subprocess.run(["certtool", "-i", "--infile", path],
                             capture_output=True, text=True, timeout=30,
                             check=True).stdout
    finally:
        os.unlink(path)
    c = {"san": set(), "ku": set(), "eku": set(), "ca": False,
         "path_len": None}
    section = None
    for raw in out.splitlines():
        line = raw.strip()
        m = re.match(r"Serial Number \(hex\): (\S+)", line)
        if m:
            c["serial"] = int(m.group(1), 16)
        elif raw.startswith("\tIssuer: "):
            c["issuer"] = line[len("Issuer: "):]
        elif raw.startswith("\tSubject: "):
            c["subject"] = line[len("Subject: "):]
        elif line.startswith("Not Before: "):
            c["not_before"] = certtool_time(line[len("Not Before: "):])
        elif line.startswith("Not After: "):
            c["not_after"] = certtool_time(line[len("Not After: "):])
        elif line.startswith("Subject Public Key Algorithm: "):
            c["pk"] = line.split(": ", 1)[1]
        elif line.startswith("Curve:"):
            c["curve"] = line.split(":", 1)[1].strip()
        elif line.startswith("Signature Algorithm: "):
            c["sig"] = line.split(": ", 1)[1]
        elif line.startswith("Certificate Authority (CA): "):
            c["ca"] = line.endswith("TRUE")
        elif line.startswith("Path Length Constraint: "):
            c["path_len"] = int(line.split(": ", 1)[1])
        elif line.startswith("Subject Alternative Name"):
            section = "san"
            continue
        elif line.startswith("Key Usage"):
            section = "ku"
            continue
        elif line.startswith("Key Purpose"):
            section = "eku"
            continue
        elif line.startswith("Fingerprint:"):
            section = "fpr"
            continue
        elif line.startswith("pin-sha256:"):
            c["pin"] = line[len("pin-sha256:"):]
        elif section == "fpr" and line.startswith("sha256:"):
            c["sha256"] = line[len("sha256:"):]
            section = None
            continue
        # Lines inside a section are indented deeper than its title.
        if section in ("san", "ku", "eku"):
            if raw.startswith("\t\t\t"):
                if section == "san":
                    c["san"] |= san_set([line])
                elif section == "ku":
                    c["ku"] |= ku_norm([line])
                else:
                    c["eku"] |= eku_norm([line])
            else:
                section = None
    if c.get("pk", "").startswith("EC") and c.get("curve") == "SECP256R1":
        c["key_type"], c["key_bits"] = "ECDSA P-256", 256
    return c


def chain_from_file(path):
    text = open(path).read()
    return re.findall(r"-----BEGIN CERTIFICATE-----.*?"
                      r"-----END CERTIFICATE-----\n?", text, re.S)


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def human(t):
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))


def days_ok(got, want):
    return got is not None and abs(int(got) - want) <= 1


# --- the text report ---------------------------------------------------------

TOP_LABELS = ["target", "verdict", "session", "chain", "reasons"]
CERT_LABELS = ["issuer", "serial", "valid", "SANs", "key usage", "ext. usage",
               "key", "signature", "SHA-256", "pin-sha256", "CA", "problems"]


def parse_text(text):
    top, certs, reasons = {}, [], []
    cur = None
    in_reasons = False
    labels = sorted(TOP_LABELS + CERT_LABELS, key=len, reverse=True)
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        m = re.match(r"\[(\d+)\]\s+(.*)$", line)
        if m:
            cur = {"index": int(m.group(1)), "subject": m.group(2)}
            certs.append(cur)
            in_reasons = False
            continue
        label = None
        for lab in labels:
            if line == lab or line == lab + ":" or (
                    line.startswith(lab) and len(line) > len(lab) and
                    line[len(lab)] in " \t:"):
                label = lab
                break
        if label is None or (in_reasons and label not in TOP_LABELS):
            if in_reasons:
                reasons.append(line.lstrip("-* "))
            continue
        value = line[len(label):].lstrip(":").strip()
        if label == "reasons":
            in_reasons = True
            cur = None
            if value:
                reasons.append(value)
        elif label in TOP_LABELS or cur is None:
            top.setdefault(label, value)
        else:
            cur.setdefault(label, value)
    return top, certs, reasons


def split_list(v):
    if v is None:
        return []
    v = v.strip()
    if v in ("", "none", "-"):
        return []
    return [x.strip() for x in v.split(",") if x.strip()]


def text_cert(c):
    """A cert block of the text report in the JSON model's terms."""
    out = {"subject": c.get("subject"), "issuer": c.get("issuer"),
           "serial": c.get("serial"), "sha256": c.get("SHA-256"),
           "pin_sha256": c.get("pin-sha256"), "signature": c.get("signature")}
    v = c.get("valid") or ""
    m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC to "
                 r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC \((.*)\)$", v)
    if m:
        out["not_before"] = calendar.timegm(
            time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S"))
        out["not_after"] = calendar.timegm(
            time.strptime(m.group(2), "%Y-%m-%d %H:%M:%S"))
        paren = m.group(3)
        m2 = re.match(r"(\d+) days? left$", paren)
        m3 = re.match(r"expired (\d+) days? ago$", paren)
        if m2:
            out["days_left"] = int(m2.group(1))
        elif m3:
            out["days_left"] = -int(m3.group(1))
        else:
            out["days_text"] = paren
    out["san"] = split_list(c.get("SANs"))
    k = c.get("key") or ""
    m = re.match(r"(.*), (\d+) bits$", k)
    if m:
        out["key_type"], out["key_bits"] = m.group(1), int(m.group(2))
    ca = c.get("CA") or ""
    out["ca"] = ca.startswith("yes")
    m = re.search(r"path length (\d+)", ca)
    out["path_len"] = int(m.group(1)) if m else None
    out["key_usage"] = split_list(c.get("key usage"))
    out["ext_key_usage"] = split_list(c.get("ext. usage"))
    out["problems"] = split_list(c.get("problems"))
    out["_ca_text"] = ca
    return out


# --- the comparison ----------------------------------------------------------

def compare_cert(i, got, want, now, fmt):
    bad = []
    if dn(got.get("subject")) != dn(want.get("subject")):
        bad.append("subject %r, certtool %r" % (got.get("subject"),
                                                want.get("subject")))
    if dn(got.get("issuer")) != dn(want.get("issuer")):
        bad.append("issuer %r, certtool %r" % (got.get("issuer"),
                                               want.get("issuer")))
    if serialnum(got.get("serial")) != want.get("serial"):
        bad.append("serial %r, certtool %x" % (got.get("serial"),
                                               want.get("serial") or 0))
    if fmt == "json":
        for key in ("not_before", "not_after"):
            if got.get(key) != iso(want[key]):
                bad.append("%s %r, certtool %s" % (key, got.get(key),
                                                   iso(want[key])))
    else:
        for key in ("not_before", "not_after"):
            if got.get(key) != want[key]:
                bad.append("valid: %s %s, certtool %s" % (
                    key, human(got[key]) if got.get(key) else None,
                    human(want[key])))
    if now < want["not_after"]:
        days = (want["not_after"] - now) // 86400
    else:
        days = -((now - want["not_after"]) // 86400)
    if fmt == "json" or "days_text" not in got:
        if not days_ok(got.get("days_left"), days):
            bad.append("days left %r, want %d" % (got.get("days_left"), days))
    elif want["not_before"] <= now:
        bad.append("valid: %r is neither 'N days left' nor 'expired N days "
                   "ago'" % got["days_text"])
    if san_set(got.get("san") or []) != want["san"]:
        bad.append("SANs %r, certtool %r" % (got.get("san"),
                                             sorted(want["san"])))
    if hexnorm(got.get("sha256")) != hexnorm(want.get("sha256")):
        bad.append("SHA-256 %r, certtool %r" % (got.get("sha256"),
                                                want.get("sha256")))
    pin = (got.get("pin_sha256") or "")
    if pin.startswith("pin-sha256:"):
        pin = pin[len("pin-sha256:"):]
    if pin != want.get("pin"):
        bad.append("pin-sha256 %r, certtool %r" % (got.get("pin_sha256"),
                                                   want.get("pin")))
    if got.get("key_type") != want.get("key_type") or \
            got.get("key_bits") != want.get("key_bits"):
        bad.append("key %r %r, want %r %r" % (
            got.get("key_type"), got.get("key_bits"), want.get("key_type"),
            want.get("key_bits")))
    if alnum(got.get("signature")) != alnum(want.get("sig")):
        bad.append("signature %r, certtool %r" % (got.get("signature"),
                                                  want.get("sig")))
    if bool(got.get("ca")) != want["ca"]:
        bad.append("CA %r, certtool %r" % (got.get("ca"), want["ca"]))
    if want["ca"]:
        if got.get("path_len") != want["path_len"]:
            bad.append("path length %r, certtool %r" % (
                got.get("path_len"), want["path_len"]))
        if fmt == "text" and want["path_len"] is not None and \
                got.get("_ca_text") != "yes, path length %d" % want["path_len"]:
            bad.append("CA %r, want 'yes, path length %d'" % (
                got.get("_ca_text"), want["path_len"]))
    elif fmt == "text" and got.get("_ca_text") != "no":
        bad.append("CA %r, want 'no'" % got.get("_ca_text"))
    if ku_norm(got.get("key_usage") or []) != want["ku"]:
        bad.append("key usage %r, certtool %r" % (got.get("key_usage"),
                                                  sorted(want["ku"])))
    if eku_norm(got.get("ext_key_usage") or []) != want["eku"]:
        bad.append("ext. usage %r, certtool %r" % (got.get("ext_key_usage"),
                                                   sorted(want["eku"])))
    say(not bad, "[%d] fields match certtool -i (subject, issuer, serial, "
        "dates, SANs, SHA-256, pin-sha256, key, CA, usages)" % i,
        "\n".join(bad))


def main():
    global spec
    spec = json.loads(sys.argv[1])
    now = int(time.time())
    fmt = spec["fmt"]
    try:
        text = open(spec["out"], encoding="utf-8", errors="replace").read()
    except OSError:
        text = ""
    want_rc = spec["want_rc"]
    say(spec["rc"] == want_rc, "exit %s (want %s)" % (spec["rc"], want_rc),
        text[:3000])

    certs_want = [certtool_info(p) for p in chain_from_file(spec["chain_file"])]
    name = spec["name"]
    req = set(spec.get("problems") or [])
    allow = req | set(spec.get("allow") or [])

    if fmt == "json":
        try:
            doc = json.loads(text)
            assert isinstance(doc, dict)
        except Exception as e:          # noqa: BLE001
            say(False, "--json prints one JSON object", "%s\n%s" % (
                e, text[:3000]))
            return
        say(True, "--json prints one JSON object")
        top_ok = []
        if spec.get("target") and spec["target"] not in str(
                doc.get("target")):
            top_ok.append("target %r lacks %r" % (doc.get("target"),
                                                  spec["target"]))
        if spec.get("mode") and doc.get("mode") != spec["mode"]:
            top_ok.append("mode %r, want %r" % (doc.get("mode"),
                                                spec["mode"]))
        if doc.get("name") != name:
            top_ok.append("name %r, want %r" % (doc.get("name"), name))
        say(not top_ok, "target, mode and name", "\n".join(top_ok))
        verified = doc.get("verified")
        problems = doc.get("problems")
        reasons = doc.get("reasons")
        if not isinstance(problems, list) or not isinstance(reasons, list):
            say(False, "problems and reasons are lists", repr(doc)[:2000])
            problems = problems if isinstance(problems, list) else []
            reasons = reasons if isinstance(reasons, list) else []
        say(verified is spec["verified"],
            "verified is %s" % str(spec["verified"]).lower(),
            "verified: %r" % verified)
        sess = doc.get("session") or {}
        missing = [k for k in ("version", "cipher", "mac", "group", "kx",
                               "resumed", "description") if k not in sess]
        sv = spec.get("session_version")
        ok = not missing and re.match(r"TLS1\.[23]$", str(sess.get(
            "version"))) and (not sv or sess.get("version") == sv) and \
            isinstance(sess.get("resumed"), bool)
        say(bool(ok), "session %s %s" % (sess.get("version"),
                                         sess.get("cipher")),
            "missing %s; %r" % (missing, sess))
        chain = doc.get("chain")
        if not isinstance(chain, list):
            say(False, "chain is a list", repr(chain)[:500])
            chain = []
        got_certs = chain
    else:
        top, blocks, reasons = parse_text(text)
        if not top and not blocks:
            say(False, "a text report", text[:3000])
            return
        bad = []
        if spec.get("target") and spec["target"] not in top.get("target", ""):
            bad.append("target %r lacks %r" % (top.get("target"),
                                               spec["target"]))
        say(not bad, "target", "\n".join(bad))
        verdict = top.get("verdict", "")
        m = re.match(r"NOT verified for (\S+): (.*)$", verdict)
        if verdict == "verified for %s" % name:
            verified, problems = True, []
        elif m and m.group(1) == name:
            verified, problems = False, split_list(m.group(2))
        else:
            verified, problems = None, []
        say(verified is spec["verified"], "verdict %r" % verdict,
            "want %s for %s" % ("verified" if spec["verified"]
                                else "NOT verified", name))
        sv = spec.get("session_version")
        sess = top.get("session", "")
        say(bool(re.match(r"TLS1\.[23] \S+", sess)) and
            (not sv or sess.startswith(sv + " ")), "session %r" % sess)
        m = re.match(r"(\d+) certificates? as sent$", top.get("chain", ""))
        n = int(m.group(1)) if m else None
        say(n == len(certs_want), "chain %r" % top.get("chain"),
            "want %d certificates as sent" % len(certs_want))
        got_certs = [text_cert(b) for b in blocks]
        idx = [b["index"] for b in blocks]
        if idx != list(range(len(blocks))):
            say(False, "certificate blocks numbered [0], [1], ...", idx)

    # Problems and reasons, both formats.
    pset = set(problems)
    unknown = pset - PROBLEM_NAMES
    say(req <= pset and pset <= allow and not unknown,
        "problems %s" % (", ".join(problems) or "none"),
        "want %s (may also have %s)" % (sorted(req) or "none",
                                        sorted(allow - req) or "nothing"))
    if not spec["verified"]:
        bad = []
        for p in sorted(req):
            rx = REASON_RE.get(p, re.escape(p))
            if not any(re.search(rx, r, re.I) for r in reasons):
                bad.append("no reason names %s (/%s/): %r" % (p, rx, reasons))
        say(bool(reasons) and not bad, "a reason names each problem",
            "\n".join(bad) or "no reasons")

    # The chain as sent, certificate by certificate.
    say(len(got_certs) == len(certs_want),
        "%d certificates in the report (%s)" % (
            len(got_certs), os.path.basename(spec["chain_file"])),
        "want %d" % len(certs_want))
    for i, (g, w) in enumerate(zip(got_certs, certs_want)):
        if not isinstance(g, dict):
            say(False, "[%d] is an object" % i, repr(g)[:300])
            continue
        compare_cert(i, g, w, now, fmt)
        wantp = (spec.get("cert_problems") or {}).get(str(i))
        if wantp is not None:
            gp = set(g.get("problems") or [])
            ok = set(wantp) <= gp if wantp else not gp
            say(ok, "[%d] problems %s" % (i, ", ".join(sorted(gp)) or "none"),
                "want %s" % (", ".join(wantp) or "none"))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:      # noqa: BLE001 -- a crash is a failure
        import traceback
        traceback.print_exc(file=sys.stdout)
        failures += 1
        print("not ok certs %s (%s): the checker crashed: %s" % (
            spec.get("label"), spec.get("fmt"), e))
    sys.exit(min(failures, 100))
