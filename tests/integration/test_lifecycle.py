"""Process lifecycle: the ready file names every listener with its real port,
the admin endpoints answer, and SIGTERM drains: a request in flight when the
signal arrives still gets its answer, new connections are refused, and the
process exits 0.
"""

import socket
import threading
import time
import unittest

import harness as h


class LifecycleTest(h.IntegrationTest):

    def test_ready_file_and_admin_endpoints(self):
        ca = self.make_ca()
        dynalite = self.start_dynalite()
        proxy = self.start_dynaudit(dynalite, tls=ca)
        listeners = {l["name"]: l for l in proxy.ready["listeners"]}
        self.assertEqual(set(listeners), {"http", "https"})
        self.assertEqual((listeners["http"]["address"], listeners["http"]["tls"]), ("127.0.0.1", False))
        self.assertEqual((listeners["https"]["address"], listeners["https"]["tls"]), ("127.0.0.1", True))
        for l in listeners.values():
            self.assertGreater(l["port"], 0)
            socket.create_connection(("127.0.0.1", l["port"]), timeout=5).close()
        self.assertEqual(proxy.ready["admin"]["address"], "127.0.0.1")
        self.assertEqual(proxy.admin_get("/healthz")[0], 200)
        self.assertEqual(proxy.admin_get("/readyz")[0], 200)

    def test_sigterm_drains_in_flight_request(self):
        body = b'{"TableNames":["slow"]}'
        upstream = self.start_capture_upstream([h.dynamodb_response(200, body)], delay=2.0)
        proxy = self.start_dynaudit(upstream.endpoint, check_exit=False)
        box = {}

        def call():
            box["response"] = h.signed_post(proxy.endpoint, b"{}", "DynamoDB_20120810.ListTables", timeout=20)

        t = threading.Thread(target=call, daemon=True)
        t.start()
        h.wait_until(lambda: upstream.requests, 10, what="the request to reach the upstream")
        t0 = time.monotonic()
        proxy.process.signal(15)
        time.sleep(0.3)
        with self.assertRaises(OSError, msg="new connections must be refused while draining"):
            socket.create_connection(("127.0.0.1", proxy.port()), timeout=2).close()
        t.join(20)
        self.assertFalse(t.is_alive(), "in-flight request hung during drain")
        self.assertEqual((box["response"].status, box["response"].body), (200, body))
        rc = proxy.stop(timeout=20)
        self.assertEqual(rc, 0, proxy.stderr_text()[-2000:])
        self.assertLess(time.monotonic() - t0, 10.0)


if __name__ == "__main__":
    unittest.main()
