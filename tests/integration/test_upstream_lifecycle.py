"""The upstream connection pool's lifecycle, against a scripted upstream
(issue 11, items 1 and 2).

- An upstream that closes idle keep-alive connections (with a FIN, as Node
  does after 5 s, or with a RST): after idling past its limit, every call
  through dynaudit succeeds - raw signed requests with no client retry, and
  boto3 with retries off. The pool must notice the closed connections before
  it reuses them, and retry on a *new* connection, not another stale one.
- `upstream.idle_connection_timeout`: an idle connection older than it is
  not reused even if the upstream kept it open.
- An upstream that reads a whole request on a reused connection and then
  resets it: a PutItem is not sent twice (the upstream counts executions),
  the client gets a retryable error and the audit record names each attempt;
  a GetItem in the same situation is sent again on a new connection and
  succeeds.

The scripted upstream is plain sockets in this process (one thread per
connection) so that the test controls exactly when and how it closes.
dynaudit runs with one worker, so every call goes through one pool.
"""

import collections
import json
import socket
import ssl
import struct
import threading
import time
import unittest
import zlib

import harness as h

TABLE = "lifecycle"
SLOW_KEY = "slow"      # the upstream answers GetItems of this key 300 ms late
SLOW_SECONDS = 0.3
RETRYABLE_5XX = {(500, "InternalServerError"), (503, "ServiceUnavailableException")}


class ScriptedUpstream:
    """An HTTP/1.1 DynamoDB stand-in on 127.0.0.1.

    idle_close: seconds a kept-alive connection may sit idle between requests
      before the upstream closes it (None: never).
    close_with: "fin" (close(2), as Node does) or "rst" (SO_LINGER 0).
    reset_reused: read every request after a connection's first in full,
      count it as executed, then close the connection without answering.
    tls: a harness.TestCA to serve HTTPS with its server certificate (TLS 1.3,
      with the session tickets OpenSSL sends after the handshake).
    Counts connections and, per operation, the requests it read in full
    (executions)."""

    def __init__(self, idle_close=None, close_with="fin", reset_reused=False, tls=None):
        self.tls = None
        if tls:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(tls.server_cert, tls.server_key)
        self.idle_close = idle_close
        self.close_with = close_with
        self.reset_reused = reset_reused
        self.lock = threading.Lock()
        self.executions = collections.Counter()
        self.connections = 0
        self.idle_closes = 0
        self.stopping = False
        self.open = []
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def endpoint(self):
        return "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)

    def counts(self):
        with self.lock:
            return dict(self.executions)

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.connections += 1
                self.open.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _close(self, conn, how):
        try:
            if how == "rst":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
        except OSError:
            pass

    def _read_request(self, conn, buf, first):
        """(headers, body, rest) or None when the connection ended or sat
        idle past idle_close (then it is closed here)."""
        while b"\r\n\r\n" not in buf:
            # The idle limit runs between requests, as in Node's keepAliveTimeout.
            conn.settimeout(self.idle_close if (self.idle_close and not first and not buf) else 30.0)
            try:
                data = conn.recv(65536)
            except socket.timeout:
                with self.lock:
                    self.idle_closes += 1
                self._close(conn, self.close_with)
                return None
            except OSError:
                return None
            if not data:
                return None
            buf += data
        head, _, buf = buf.partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        conn.settimeout(30.0)
        while len(buf) < length:
            data = conn.recv(65536)
            if not data:
                return None
            buf += data
        return headers, buf[:length], buf[length:]

    def _serve(self, conn):
        buf = b""
        served = 0
        try:
            if self.tls:
                conn.settimeout(10.0)
                conn = self.tls.wrap_socket(conn, server_side=True)
            while not self.stopping:
                got = self._read_request(conn, buf, first=served == 0)
                if got is None:
                    return
                headers, body, buf = got
                op = headers.get("x-amz-target", "").rpartition(".")[2]
                with self.lock:
                    self.executions[op] += 1
                if self.reset_reused and served > 0:
                    # Read in full ("executed"), then the connection dies.
                    self._close(conn, "rst")
                    return
                request = json.loads(body or b"{}")
                key = request.get("Key", {}).get("pk", {}).get("S")
                if op == "GetItem" and key == SLOW_KEY:
                    time.sleep(SLOW_SECONDS)
                if op == "GetItem":
                    answer = {"Item": {"pk": {"S": key}, "payload": {"S": "value of %s" % key}}}
                else:
                    answer = {}
                out = json.dumps(answer, separators=(",", ":")).encode()
                conn.sendall(("HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\n"
                              "x-amzn-RequestId: REQ%049d\r\nx-amz-crc32: %d\r\nContent-Length: %d\r\n\r\n"
                              % (served, zlib.crc32(out) & 0xFFFFFFFF, len(out))).encode() + out)
                served += 1
        except OSError:
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def stop(self):
        self.stopping = True
        self.listener.close()
        with self.lock:
            for conn in self.open:
                try:
                    conn.close()
                except OSError:
                    pass
        self.thread.join(5)


def get_body(key):
    return {"TableName": TABLE, "Key": {"pk": {"S": key}}}


def put_body(key):
    return {"TableName": TABLE, "Item": {"pk": {"S": key}, "payload": {"S": "v"}}}


class UpstreamLifecycleTest(h.IntegrationTest):

    def start_upstream(self, **kwargs):
        u = ScriptedUpstream(**kwargs)
        self.addCleanup(u.stop)
        return u

    def start_proxy(self, upstream, upstream_ca=None, **upstream_overrides):
        return self.start_dynaudit(upstream.endpoint, mode="trust", upstream_ca=upstream_ca, overrides={
            "workers": 1, "upstream": dict({"response_timeout": "10s"}, **upstream_overrides)})

    def raw(self, proxy, op, body):
        return h.signed_post(proxy.endpoint, body, "DynamoDB_20120810." + op, timeout=30.0)

    def fill_pool(self, proxy, connections=4):
        """Concurrent slow GetItems: the worker's pool ends up holding
        `connections` kept-alive upstream connections."""
        results = [None] * connections

        def call(i):
            results[i] = self.raw(proxy, "GetItem", get_body(SLOW_KEY))

        threads = [threading.Thread(target=call, args=(i,)) for i in range(connections)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual([r.status for r in results], [200] * connections, results)

    def assert_retryable_5xx(self, response):
        body = response.json()
        code = body.get("__type", "").split("#")[-1]
        self.assertIn((response.status, code), RETRYABLE_5XX, response)
        self.assertIsInstance(body.get("message"), str, response)

    def records(self, proxy, op):
        return h.audit_records(proxy.audit_path, "--operation", op)

    # ---- item 1: an upstream that closes idle connections ------------------

    def idle_then_call(self, close_with, call, tls=None):
        """Fills the pool, idles past the upstream's limit, then makes 20
        calls (even: PutItem, odd: GetItem) with `call(op, i)`; returns the
        failures and checks every write ran exactly once."""
        upstream = self.start_upstream(idle_close=0.3, close_with=close_with, tls=tls)
        # dynaudit's idle limit (default 4 s) is above this upstream's 0.3 s:
        # only noticing the closed connections can save the next calls.
        proxy = self.start_proxy(upstream, upstream_ca=tls.ca_cert if tls else None)
        self.fill_pool(proxy)
        time.sleep(1.0)
        self.assertGreaterEqual(upstream.idle_closes, 4, "the upstream should have closed the idle connections")
        failures = []
        for i in range(20):
            op = "PutItem" if i % 2 == 0 else "GetItem"
            try:
                problem = call(proxy, op, i)
            except Exception as e:  # noqa: BLE001 - any failure counts
                problem = repr(e)
            if problem:
                failures.append((i, op, problem))
        self.assertEqual(failures, [])
        self.assertEqual(upstream.counts().get("PutItem"), 10, "every write executed exactly once")
        # Answered on their first try: no stale connection was tried, so the
        # records carry no upstreamAttempts.
        for record in self.records(proxy, "PutItem"):
            self.assertNotIn("upstreamAttempts", record["additionalEventData"], record)

    def raw_call(self, proxy, op, i):
        """A signed request, no client retry: None when it succeeded."""
        r = self.raw(proxy, op, put_body("k%d" % i) if op == "PutItem" else get_body("k%d" % i))
        return None if r.status == 200 else (r.status, r.body[:200])

    def boto3_caller(self):
        """boto3 with retries off (one attempt per call)."""
        import boto3
        from botocore.config import Config
        clients = {}

        def call(proxy, op, i):
            if proxy not in clients:
                clients[proxy] = boto3.client(
                    "dynamodb", endpoint_url=proxy.endpoint, region_name=h.REGION,
                    aws_access_key_id=h.CLIENT_KEY[0], aws_secret_access_key=h.CLIENT_KEY[1],
                    config=Config(retries={"total_max_attempts": 1}, read_timeout=30))
            client = clients[proxy]
            if op == "PutItem":
                client.put_item(**put_body("b%d" % i))
                return None
            got = client.get_item(**get_body("b%d" % i))
            return None if got["Item"]["pk"] == {"S": "b%d" % i} else got
        return call

    def test_upstream_closes_idle_connections_raw(self):
        self.idle_then_call("fin", self.raw_call)

    def test_upstream_resets_idle_connections_raw(self):
        self.idle_then_call("rst", self.raw_call)

    def test_upstream_closes_idle_connections_boto3_without_retries(self):
        self.idle_then_call("fin", self.boto3_caller())

    def test_upstream_resets_idle_connections_boto3_without_retries(self):
        self.idle_then_call("rst", self.boto3_caller())

    def test_https_upstream_closes_idle_connections(self):
        ca = self.make_ca()
        self.idle_then_call("fin", self.raw_call, tls=ca)

    def test_https_upstream_connections_are_reused(self):
        """The check before reuse must not mistake what TLS 1.3 sends after
        the handshake (session tickets) for a closing peer: one connection
        carries sequential calls."""
        ca = self.make_ca()
        upstream = self.start_upstream(tls=ca)
        proxy = self.start_proxy(upstream, upstream_ca=ca.ca_cert)
        for i in range(10):
            self.assertEqual(self.raw(proxy, "GetItem", get_body("t%d" % i)).status, 200)
        self.assertEqual(upstream.connections, 1)

    def test_idle_connection_timeout_retires_connections_the_upstream_keeps(self):
        upstream = self.start_upstream()  # never closes
        proxy = self.start_proxy(upstream, idle_connection_timeout="200ms")
        self.assertEqual(self.raw(proxy, "GetItem", get_body("a")).status, 200)
        self.assertEqual(self.raw(proxy, "GetItem", get_body("b")).status, 200)
        self.assertEqual(upstream.connections, 1, "a connection idle less than the limit is reused")
        time.sleep(0.6)
        self.assertEqual(self.raw(proxy, "GetItem", get_body("c")).status, 200)
        self.assertEqual(upstream.connections, 2, "a connection idle past the limit is not reused")

    def test_idle_connection_timeout_must_be_positive(self):
        upstream = self.start_upstream()
        d = h.Dynaudit(self.tmp, upstream.endpoint, overrides={"upstream": {"idle_connection_timeout": "0s"}})
        import subprocess
        proc = subprocess.run([h.dynaudit_bin(), "serve", "--config", d.config_path, "--check-config"],
                              capture_output=True, text=True, timeout=60)
        self.assertNotEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("upstream.idle_connection_timeout: must be more than 0", proc.stdout + proc.stderr)

    # ---- item 2: a reset after the upstream read the whole request ---------

    def test_write_read_in_full_then_reset_is_not_sent_again(self):
        upstream = self.start_upstream(reset_reused=True)
        proxy = self.start_proxy(upstream)
        self.fill_pool(proxy, connections=2)

        r = self.raw(proxy, "PutItem", put_body("once"))
        self.assertEqual(upstream.counts().get("PutItem"), 1, "the upstream executed the write twice")
        self.assert_retryable_5xx(r)
        self.assertEqual(r.status, 500, r)
        self.assertIn("not send it again", r.json()["message"])

        # The record says what happened on the wire.
        [record] = self.records(proxy, "PutItem")
        extra = record["additionalEventData"]
        self.assertEqual(extra["outcome"], "upstream_error", record)
        self.assertEqual(extra["httpStatus"], 500, record)
        self.assertEqual(record["errorCode"], "InternalServerError", record)
        attempts = extra["upstreamAttempts"]
        self.assertEqual(len(attempts), 1, attempts)
        self.assertEqual(attempts[0]["connection"], "reused", attempts)
        self.assertEqual(attempts[0]["requestSent"], "whole", attempts)
        self.assertIn(attempts[0]["result"], ("reset", "closed"), attempts)
        self.assertTrue(attempts[0]["error"], attempts)

    def test_read_read_in_full_then_reset_is_retried_on_a_new_connection(self):
        upstream = self.start_upstream(reset_reused=True)
        proxy = self.start_proxy(upstream)
        # Two pooled connections, both of which the upstream resets on their
        # next request: the retry must take neither.
        self.fill_pool(proxy, connections=2)
        connections_before = upstream.connections

        r = self.raw(proxy, "GetItem", get_body("again"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["Item"]["pk"], {"S": "again"})
        self.assertEqual(upstream.connections, connections_before + 1, "the retry opens one new connection")

        records = [rec for rec in self.records(proxy, "GetItem")
                   if rec["requestParameters"]["keys"][0]["S"] == "again"]
        self.assertEqual(len(records), 1, records)
        extra = records[0]["additionalEventData"]
        self.assertEqual(extra["outcome"], "forwarded")
        self.assertEqual(extra["httpStatus"], 200)
        attempts = extra["upstreamAttempts"]
        self.assertEqual([(a["connection"], a["requestSent"], a["result"]) for a in attempts][1:],
                         [("new", "whole", "response")], attempts)
        self.assertEqual(attempts[0]["connection"], "reused", attempts)
        self.assertIn(attempts[0]["result"], ("reset", "closed"), attempts)
        self.assertNotIn("error", attempts[1], attempts)


if __name__ == "__main__":
    unittest.main()
