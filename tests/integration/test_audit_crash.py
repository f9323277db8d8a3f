"""Crash safety of the audit store: boto3 threads write unique items through
dynaudit while the test kills it with SIGKILL at random moments (at least ten
times) and restarts it on the same store.

- sync: every call that got a 2xx has its record (matched by requestID), and
  `dynaudit audit verify` passes after every crash, on the store as the crash
  left it and again once serve runs on it.
- write-ahead: additionally, every item that is in dynalite at the end has a
  record (the intent written before forwarding, or the outcome), found by the
  key value the record names. No write reached DynamoDB unaudited.

DYNAUDIT_CRASH_KILLS raises the number of kills (a longer soak); the seed of
the random moments is printed so a failure can be replayed with
DYNAUDIT_CRASH_SEED.
"""

import os
import random
import sys
import threading
import time
import unittest

import harness
from harness import REGION

KILLS = max(10, int(os.environ.get("DYNAUDIT_CRASH_KILLS", "12")))
THREADS = 4
TABLE = "audit_crash"


def boto3_client(endpoint):
    import boto3
    from botocore.config import Config
    session = boto3.session.Session(aws_access_key_id="AKIDCRASH", aws_secret_access_key="crash-secret",
                                    region_name=REGION)
    # One attempt per call: a retried call would make two records for one key
    # and blur what "this 2xx has its record" means.
    return session.client("dynamodb", endpoint_url=endpoint, config=Config(
        retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=15,
        max_pool_connections=2))


def string_values(value):
    """Every string inside a JSON value (key values in requestParameters)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from string_values(v)
    elif isinstance(value, list):
        for v in value:
            yield from string_values(v)


class AuditCrashTest(harness.IntegrationTest):

    def start_load(self, endpoint, write):
        """THREADS writers with unique keys; returns (acked list, stop function)."""
        acked = []  # (key, requestID) of every call that got a 2xx
        stop = threading.Event()
        clients = [boto3_client(endpoint) for _ in range(THREADS)]

        def worker(tid):
            n = 0
            while not stop.is_set():
                key = "t%d-%06d" % (tid, n)
                n += 1
                try:
                    response = write(clients[tid], key)
                except Exception:  # dynaudit is down or was killed mid-call
                    time.sleep(0.02)
                    continue
                meta = response["ResponseMetadata"]
                if 200 <= meta["HTTPStatusCode"] < 300:
                    acked.append((key, meta["HTTPHeaders"].get("x-amzn-requestid")))

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(THREADS)]
        for t in threads:
            t.start()

        def finish():
            stop.set()
            for t in threads:
                t.join(30)
        self.addCleanup(finish)
        return acked, finish

    def restart(self, proxy):
        # The port was ours a moment ago; a restart can race the kernel
        # releasing it, so try a few times.
        for attempt in range(20):
            try:
                return proxy.start()
            except RuntimeError:
                if attempt == 19:
                    raise
                time.sleep(0.25)

    def crash_repeatedly(self, mode, write):
        seed = int(os.environ.get("DYNAUDIT_CRASH_SEED", random.randrange(1 << 30)))
        sys.stderr.write("\n%s: crash seed %d (DYNAUDIT_CRASH_SEED replays it)\n" % (self.id(), seed))
        rng = random.Random(seed)
        dynalite = self.start_dynalite()
        direct = boto3_client(dynalite.endpoint)
        direct.create_table(TableName=TABLE, AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
        port = harness.free_port()
        proxy = self.start_dynaudit(dynalite, overrides={
            "listeners": [{"name": "http", "address": "127.0.0.1", "port": port}],
            "audit": {"path": "audit", "durability": mode}})
        store = proxy.audit_path
        acked, finish = self.start_load(proxy.endpoint, write)
        harness.wait_until(lambda: len(acked) >= 20, 30, what="the first acknowledged writes")
        for i in range(KILLS):
            time.sleep(rng.uniform(0.1, 0.7))
            proxy.kill()
            crashed = harness.audit_verify(store, "--quiet")
            self.assertEqual(crashed.returncode, 0, "kill %d, store as the crash left it: %s%s" % (
                i + 1, crashed.stdout, crashed.stderr))
            self.restart(proxy)
            live = harness.audit_verify(store, "--quiet")
            self.assertEqual(live.returncode, 0, "kill %d, after restart: %s%s" % (i + 1, live.stdout, live.stderr))
        time.sleep(0.5)
        finish()
        self.assertEqual(proxy.stop(), 0, proxy.stderr_text()[-3000:])
        final = harness.audit_verify(store)
        self.assertEqual(final.returncode, 0, final.stdout + final.stderr)
        self.assertGreater(len(acked), 100, "too little load to say anything")
        records = harness.audit_records(store)
        sys.stderr.write("%s: %d kills, %d acknowledged calls, %d records\n" % (mode, KILLS, len(acked), len(records)))
        return dynalite, direct, store, acked, records

    def test_sync_every_acknowledged_call_has_its_record(self):
        def put(client, key):
            return client.put_item(TableName=TABLE, Item={"pk": {"S": key}, "v": {"S": "x" * 100}})
        _, _, _, acked, records = self.crash_repeatedly("sync", put)
        recorded = {r["requestID"] for r in records
                    if r["eventName"] == "PutItem" and r["additionalEventData"]["httpStatus"] == 200}
        missing = [(k, rid) for k, rid in acked if rid not in recorded]
        self.assertEqual(missing, [], "%d of %d acknowledged PutItem calls have no record" % (
            len(missing), len(acked)))

    def test_write_ahead_no_item_without_a_record(self):
        def update(client, key):
            # UpdateItem names its key in Key, so the record (intent included)
            # carries the key value and can be found by it.
            return client.update_item(TableName=TABLE, Key={"pk": {"S": key}}, UpdateExpression="SET v = :v",
                                      ExpressionAttributeValues={":v": {"S": "y" * 100}})
        _, direct, _, acked, records = self.crash_repeatedly("write-ahead", update)
        keys_recorded = set()
        outcomes = set()
        for r in records:
            if r["eventName"] != "UpdateItem":
                continue
            keys_recorded.update(string_values(r["requestParameters"]))
            if r["additionalEventData"]["phase"] == "outcome":
                outcomes.add(r["requestID"])
        intents = [r for r in records if r["additionalEventData"]["phase"] == "intent"]
        self.assertGreater(len(intents), 0, "write-ahead mode wrote no intent records")

        items = []
        kwargs = {"TableName": TABLE, "ConsistentRead": True}
        while True:
            page = direct.scan(**kwargs)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        self.assertGreaterEqual(len(items), len(acked))
        unaudited = sorted(i["pk"]["S"] for i in items if i["pk"]["S"] not in keys_recorded)
        self.assertEqual(unaudited, [], "%d of %d items in dynalite have no record" % (len(unaudited), len(items)))
        missing = [(k, rid) for k, rid in acked if rid not in outcomes]
        self.assertEqual(missing, [], "acknowledged calls without an outcome record")


if __name__ == "__main__":
    unittest.main()
