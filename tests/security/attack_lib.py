"""Shared pieces of the security tests: a caller with one valid key attacking
a real dynaudit (verify mode) in front of dynalite or a scripted upstream.

Requests are signed with botocore's SigV4 signer (harness.sign_headers), then
sent byte for byte with http.client, so a test controls exactly which headers
go out, in which case, how many times, and which of them are signed.
"""

import http.client
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

import harness as h  # noqa: E402

ALICE = ("AKIDALICE", "alice-secret")   # analysts: masks apply
BOB = ("AKIDBOB", "bob-secret")         # pci-admins: unmasked
CREDENTIALS = [
    (ALICE[0], ALICE[1], "alice", ["analysts"]),
    (BOB[0], BOB[1], "bob", ["pci-admins"]),
]


def raw_post(url, body, header_list, timeout=10.0):
    """POST / with exactly these (name, value) pairs, duplicates included."""
    from urllib.parse import urlsplit
    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.putrequest("POST", "/", skip_host=True, skip_accept_encoding=True)
        for name, value in header_list:
            conn.putheader(name, value)
        conn.endheaders(body)
        r = conn.getresponse()
        return h.RawResponse(r.status, r.reason, r.getheaders(), r.read())
    finally:
        conn.close()


def signed_headers(url, body, target, key=ALICE, unsigned=()):
    """Headers signed by botocore; names in `unsigned` are added after signing,
    so they are sent but not covered by the signature."""
    late = {}
    extra = {}
    headers = h.sign_headers(url, body, target, key=key, extra_headers=extra)
    if unsigned:
        # Sign a request without them, then add them back.
        import botocore.auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        base = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target}
        late = {k: v for k, v in base.items() if k in unsigned}
        kept = {k: v for k, v in base.items() if k not in unsigned}
        req = AWSRequest(method="POST", url=url, data=body, headers=kept)
        botocore.auth.SigV4Auth(Credentials(key[0], key[1]), "dynamodb", h.REGION).add_auth(req)
        headers = dict(req.headers.items())
        headers.update(late)
    return headers


def header_list(url, headers, body):
    from urllib.parse import urlsplit
    u = urlsplit(url)
    pairs = [("Host", "%s:%d" % (u.hostname, u.port)), ("Content-Length", str(len(body)))]
    pairs += [(k, v) for k, v in headers.items() if k.lower() not in ("host", "content-length")]
    return pairs


def call(url, target, payload, key=ALICE):
    """A correctly signed call; returns RawResponse."""
    return h.signed_post(url, payload, target, key=key)


def error_type(response):
    try:
        t = response.json().get("__type", "")
    except ValueError:
        return ""
    return t.split("#")[-1]


def write_rules(tmp, text, name="rules.yaml"):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def records(proxy):
    """Every record in the proxy's audit store (the store is read while it runs)."""
    return h.audit_records(proxy.audit_path)


def record_for(proxy, request_id):
    found = [r for r in records(proxy) if r.get("requestID") == request_id]
    if len(found) != 1:
        raise AssertionError("expected one record for %s, found %d" % (request_id, len(found)))
    return found[0]


class AttackTest(h.IntegrationTest):
    """dynalite behind a verify-mode dynaudit with the given rules."""

    RULES = None
    OVERRIDES = {}

    def start_proxy(self, upstream, rules=None, overrides=None, name="dynaudit"):
        config = {"audit": {"durability": "sync"}}
        text = rules if rules is not None else self.RULES
        if text:
            config["rules"] = {"files": [write_rules(self.tmp, text, name + "-rules.yaml")]}
        config = h.deep_merge(config, self.OVERRIDES)
        config = h.deep_merge(config, overrides or {})
        return self.start_dynaudit(upstream, mode="verify", credentials=CREDENTIALS, overrides=config, name=name)

    def direct(self, target, payload):
        """The same call straight to dynalite (it checks no signature)."""
        r = h.signed_post(self.dynalite.endpoint, payload, target, key=h.UPSTREAM_KEY)
        return r

    def assert_refused(self, response, type_name, status=400):
        self.assertEqual((response.status, error_type(response)), (status, type_name), response)
