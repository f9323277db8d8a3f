"""The audit store failing is a state, not a crash. The store lives on a small
tmpfs; a filler file takes every free byte, so RocksDB's writes fail with
ENOSPC, then the filler is deleted and the space returns.

- fail-closed: once the store has failed, calls get 503
  ServiceUnavailableException and nothing reaches DynamoDB (dynalite has none
  of those items).
- fail-open: calls are forwarded while the store cannot write, and dynaudit
  logs (stderr) every record it could not store.
- both: when space returns, calls are recorded again, an AuditStoreRecovered
  record counts the calls that went unrecorded, and `audit verify` passes.

Mounting needs root (CI runs as root). Where mount(2) is refused with EPERM the
test is skipped and says so; any other mount failure fails it.
"""

import ctypes
import ctypes.util
import errno
import os
import time
import unittest

import harness

TABLE = "audit_fail"
TMPFS_SIZE = "32m"  # smaller than RocksDB's WAL preallocation, so no reserved space hides the full disk
# Records that each take ~16 KB (a long attribute name is stored, as names
# are), so the disk-full state is reached in a few calls.
LONG_NAME = "a" * 16000

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def mount_tmpfs(target, size):
    """mount(2) a tmpfs; returns 0 or the errno."""
    if _libc.mount(b"tmpfs", target.encode(), b"tmpfs", 0, ("size=%s,mode=0700" % size).encode()) == 0:
        return 0
    return ctypes.get_errno()


def umount(target):
    if _libc.umount2(target.encode(), 0) != 0 and ctypes.get_errno() == errno.EBUSY:
        _libc.umount2(target.encode(), 2)  # MNT_DETACH: never leave a mount behind


def fill(path):
    """Writes a filler file until the file system is full; returns its path."""
    filler = os.path.join(path, "filler")
    with open(filler, "wb", buffering=0) as f:
        for chunk in (1 << 20, 4096, 1):
            block = b"\0" * chunk
            while True:
                try:
                    f.write(block)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
    return filler


class AuditStoreFailureTest(harness.IntegrationTest):

    def setUp(self):
        super().setUp()
        self.mnt = os.path.join(self.tmp, "small-fs")
        os.makedirs(self.mnt)
        rc = mount_tmpfs(self.mnt, TMPFS_SIZE)
        if rc == errno.EPERM:
            self.skipTest("mounting a tmpfs needs root (mount(2) said EPERM): the store-failure test did not run")
        self.assertEqual(rc, 0, "mount tmpfs on %s failed: %s" % (self.mnt, os.strerror(rc)))
        self.addCleanup(umount, self.mnt)  # registered first, so it runs after dynaudit has stopped
        self.dynalite = self.start_dynalite()
        r = self.direct("CreateTable", {
            "TableName": TABLE, "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"})
        self.assertEqual(r.status, 200, r)

    def direct(self, target, payload):
        return harness.signed_post(self.dynalite.endpoint, payload, "DynamoDB_20120810." + target)

    def in_dynalite(self, key):
        r = self.direct("GetItem", {"TableName": TABLE, "Key": {"pk": {"S": key}}, "ConsistentRead": True})
        return "Item" in r.json()

    def start_proxy(self, policy):
        self.proxy = self.start_dynaudit(self.dynalite, overrides={"audit": {
            "path": os.path.join(self.mnt, "audit"), "durability": "sync", "failure_policy": policy}})
        return self.proxy

    def put(self, key, big=False):
        item = {"pk": {"S": key}}
        if big:
            item[LONG_NAME] = {"S": "v"}
        return harness.signed_post(self.proxy.endpoint, {"TableName": TABLE, "Item": item},
                                   "DynamoDB_20120810.PutItem", timeout=30)

    def fill_until(self, predicate, what):
        """Fills the disk, then sends big calls until `predicate(response)`
        says the store's failure shows; returns how many it took."""
        self.filler = fill(self.mnt)
        for n in range(200):
            if predicate(self.put("discover-%d" % n, big=True)):
                return n
        self.fail("after filling the disk and 200 large calls, still no sign of %s" % what)

    def recover(self):
        """Deletes the filler; returns (key, requestID) of the first call
        that succeeds again (the store probes its disk about every 500 ms)."""
        os.unlink(self.filler)
        tried = []  # (key, requestID) of every attempt

        def succeeds():
            # A 200 is not enough under fail-open: the call must also have
            # been recorded (sync: before the answer), i.e. not logged as lost.
            key = "after-%d" % len(tried)
            r = self.put(key)
            rid = r.header("x-amzn-RequestId")
            tried.append((key, rid))
            lost = {line["record"]["requestID"] for line in self.unwritten() if "record" in line}
            return r.status == 200 and rid not in lost

        harness.wait_until(succeeds, 30, interval=0.2, what="calls to succeed once space is back")
        return tried[-1]

    def finish_and_verify(self, request_id):
        """Stops dynaudit; the store verifies and has the record of `request_id`."""
        self.assertEqual(self.proxy.stop(), 0, self.proxy.stderr_text()[-3000:])
        verify = harness.audit_verify(self.proxy.audit_path)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)
        records = harness.audit_records(self.proxy.audit_path)
        self.assertIn(request_id, {r["requestID"] for r in records}, "the call after recovery has no record")
        return records

    def unwritten(self):
        """The records dynaudit logged (stderr) because the store refused them."""
        return [line for line in self.proxy.log_records() if line.get("msg") == "audit record not written"]

    def recovery_record(self, records):
        """The record dynaudit appends once the store works again, naming how
        many calls went unrecorded."""
        found = [r for r in records if r["eventName"] == "AuditStoreRecovered"]
        self.assertEqual(len(found), 1, "one AuditStoreRecovered record expected: %s" % found)
        return found[0]["requestParameters"]

    def test_fail_closed_refuses_and_forwards_nothing(self):
        self.start_proxy("fail-closed")
        self.assertEqual(self.put("before").status, 200)
        self.fill_until(lambda r: r.status == 503, "fail-closed refusing calls")
        refused_keys = ["refused-%d" % i for i in range(10)]
        for key in refused_keys:
            r = self.put(key)
            self.assertEqual(r.status, 503, r)
            self.assertTrue(r.json()["__type"].endswith("ServiceUnavailableException"), r)
            self.assertTrue(r.header("x-amzn-RequestId"))
        forwarded = [k for k in refused_keys if self.in_dynalite(k)]
        self.assertEqual(forwarded, [], "fail-closed forwarded calls while the store could not write")
        # Not ready while refusing, so that a load balancer routes elsewhere.
        self.assertEqual(self.proxy.admin_get("/readyz")[0], 503)

        key, request_id = self.recover()
        self.assertTrue(self.in_dynalite(key))
        self.assertEqual(self.proxy.admin_get("/readyz")[0], 200)
        records = self.finish_and_verify(request_id)
        recovered = self.recovery_record(records)
        self.assertEqual(recovered["failurePolicy"], "fail-closed")
        self.assertGreaterEqual(recovered["unrecordedCalls"], len(refused_keys))

    def test_fail_open_forwards_and_counts(self):
        self.start_proxy("fail-open")
        self.assertEqual(self.put("before").status, 200)
        # Fail-open answers 200 throughout; the failure shows in dynaudit's log.
        self.fill_until(lambda r: r.status == 200 and self.unwritten(), "records logged as not written")
        during = {}
        for i in range(10):
            key = "open-%d" % i
            r = self.put(key)
            self.assertEqual(r.status, 200, r)
            during[key] = r.header("x-amzn-RequestId")
        self.assertEqual([k for k in during if not self.in_dynalite(k)], [], "fail-open must forward")
        logged = {line["record"]["requestID"] for line in self.unwritten() if "record" in line}
        self.assertEqual([k for k, rid in during.items() if rid not in logged], [],
                         "every record fail-open could not store must be in the log")

        _, request_id = self.recover()
        records = self.finish_and_verify(request_id)
        recovered = self.recovery_record(records)
        self.assertEqual(recovered["failurePolicy"], "fail-open")
        self.assertGreaterEqual(recovered["unrecordedCalls"], len(during))


if __name__ == "__main__":
    unittest.main()
