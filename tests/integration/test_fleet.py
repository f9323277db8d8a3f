"""The fleet end to end (docs/fleet.md): three `dynaudit serve` processes ship
their records to a central table (one dynalite), while another dynalite is the
data upstream.

- every call through any proxy is in the fleet table exactly once, as
  `audit query --fleet` shows, also after one proxy is killed with SIGKILL in
  the middle of shipping and restarted (the scripted central endpoint counts
  the items it was sent, so the test sees that records were shipped twice and
  still appear once); `audit verify --fleet` checks every chain and names a
  hole and an altered record made in the table behind the proxies' backs;
- a central endpoint that throttles, hands items back unprocessed and fails
  with 500 is survived: clients are not slowed, the lag is reported (metrics,
  heartbeat, `fleet status`) and comes back to 0, nothing is lost;
- a published, signed rule set is applied by the proxies that pull, one held
  on its own rules shows as drifted; a set signed with another key and an
  unsigned one are refused and reported;
- CloudTrail files from a session where some calls went through a proxy and
  some straight to DynamoDB: exactly the straight ones are bypasses.
"""

import gzip
import http.client
import http.server
import json
import os
import subprocess
import threading
import time
import unittest
import uuid

import harness as h

ARTIFACTS = os.path.join(h.REPO_ROOT, "build", "test-artifacts")
DATA_TABLE = "orders"
FLEET_TABLE = "dynaudit-fleet"
CENTRAL_KEY = ("AKIDCENTRAL", "central-secret")


def cli(*args, timeout=120.0):
    return subprocess.run([h.dynaudit_bin(), *[str(a) for a in args]], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def client(endpoint, key=("AKIDAPP", "app-secret")):
    import boto3
    from botocore.config import Config
    session = boto3.session.Session(aws_access_key_id=key[0], aws_secret_access_key=key[1], region_name=h.REGION)
    return session.client("dynamodb", endpoint_url=endpoint,
                          config=Config(retries={"total_max_attempts": 1}, read_timeout=20))


class ScriptedCentral:
    """An HTTP server in front of the central dynalite. It forwards every call
    as it is, and counts the items of each BatchWriteItem by key; `mode` makes
    BatchWriteItem misbehave: "throttle" (400 ThrottlingException), "fail"
    (500), "unprocessed" (only the first item is written, the rest handed
    back as UnprocessedItems), "slow" (`delay` seconds before forwarding)."""

    def __init__(self, upstream):
        self.upstream_port = upstream.port
        self.mode = "pass"
        self.delay = 0.0
        self.lock = threading.Lock()
        self.sent = {}          # (pk, sk) -> times a PutRequest carried it
        self.batches = 0        # BatchWriteItem calls forwarded and answered 200
        self.refused = 0        # BatchWriteItem calls answered with an error
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                target = self.headers.get("X-Amz-Target", "")
                if target.endswith(".BatchWriteItem"):
                    status, answer = outer._batch(self.headers, body)
                else:
                    status, answer = outer._forward(self.headers, body)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/x-amz-json-1.0")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the proxy was killed mid-call: the point of the crash test

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def _forward(self, headers, body):
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        try:
            conn.request("POST", "/", body, {k: v for k, v in headers.items()
                                              if k.lower() not in ("host", "content-length")})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def _batch(self, headers, body):
        mode, delay = self.mode, self.delay
        if mode == "throttle":
            with self.lock:
                self.refused += 1
            return 400, json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
                                    "message": "Rate of requests exceeds the allowed throughput."}).encode()
        if mode == "fail":
            with self.lock:
                self.refused += 1
            return 500, json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                                    "message": "Internal server error"}).encode()
        if mode == "slow":
            time.sleep(delay)
        request = json.loads(body)
        (table, puts), = request["RequestItems"].items()
        handed_back = []
        if mode == "unprocessed" and len(puts) > 1:
            handed_back = puts[1:]
            puts = puts[:1]
            body = json.dumps({"RequestItems": {table: puts}}).encode()
        status, answer = self._forward(headers, body)
        if status == 200:
            with self.lock:
                self.batches += 1
                for put in puts:
                    item = put["PutRequest"]["Item"]
                    key = (item["pk"]["S"], item["sk"]["S"])
                    self.sent[key] = self.sent.get(key, 0) + 1
            if handed_back:
                answer = json.dumps({"UnprocessedItems": {table: handed_back}}).encode()
        return status, answer

    def resent(self):
        with self.lock:
            return {k: n for k, n in self.sent.items() if n > 1}

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class FleetTest(h.IntegrationTest):

    def setUp(self):
        super().setUp()
        self.data = self.start_dynalite(name="data")
        self.central = self.start_dynalite(name="central")
        self.private_key = os.path.join(self.tmp, "checkpoint.pem")
        self.public_key = os.path.join(self.tmp, "checkpoint.pub")
        gen = h.audit_cli("keygen", "--private-key", self.private_key, "--public-key", self.public_key)
        self.assertEqual(gen.returncode, 0, gen.stderr)
        direct = client(self.data.endpoint)
        direct.create_table(TableName=DATA_TABLE, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            BillingMode="PAY_PER_REQUEST")
        h.wait_until(lambda: direct.describe_table(TableName=DATA_TABLE)["Table"]["TableStatus"] == "ACTIVE",
                     20, what="data table active")

    def proxy(self, name, central_endpoint=None, fleet=None, overrides=None, start=True):
        fleet_cfg = {"enabled": True, "proxy_id": name, "endpoint": central_endpoint or self.central.endpoint,
                     "table": FLEET_TABLE, "ship_interval": "100ms", "heartbeat_interval": "300ms",
                     "retry_initial": "20ms", "retry_max": "200ms", "request_timeout": "5s",
                     "credentials": {"source": "static", "access_key_id": CENTRAL_KEY[0],
                                     "secret_access_key": CENTRAL_KEY[1]}}
        fleet_cfg.update(fleet or {})
        config = {"audit": {"checkpoint_key_file": self.private_key, "checkpoint_active_interval": "200ms"},
                  "fleet": fleet_cfg}
        config = h.deep_merge(config, overrides or {})
        d = h.Dynaudit(self.tmp, self.data, name=name, overrides=config)
        self.addCleanup(self._stop_dynaudit, d, True)
        return d.start() if start else d

    def init_table(self, d):
        r = cli("fleet", "init-table", "--config", d.config_path)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def status(self, d):
        r = cli("fleet", "status", "--config", d.config_path, "--json")
        self.assertIn(r.returncode, (0, 1), r.stdout + r.stderr)
        return {p["proxy"]: p for p in json.loads(r.stdout)["proxies"]}, json.loads(r.stdout), r.returncode

    def fleet_records(self, d, *filters):
        r = cli("audit", "query", "--fleet", "--config", d.config_path, "--format", "jsonl", *filters)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]

    def local_ids(self, d):
        return [r["eventID"] for r in h.audit_records(d.audit_path)]

    def caught_up(self, d):
        """Everything in the proxy's local store is shipped, by its heartbeat."""
        def check():
            local = h.audit_records(d.audit_path)
            last = local[-1]["additionalEventData"]["sequence"] if local else 0
            proxies, _, _ = self.status(d)
            p = proxies.get(d.name)
            return p is not None and p["shipped"] >= last > 0 and p["lagRecords"] == 0
        return check

    def put(self, endpoint, prefix, n):
        c = client(endpoint)
        ids = []
        for i in range(n):
            r = c.put_item(TableName=DATA_TABLE, Item={"pk": {"S": "%s-%d" % (prefix, i)}, "n": {"N": str(i)}})
            ids.append(r["ResponseMetadata"]["RequestId"])
        return ids

    # -- shipping, query, crash ---------------------------------------------

    def test_three_proxies_every_call_once_through_a_crash_mid_shipping(self):
        slow = ScriptedCentral(self.central)
        self.addCleanup(slow.stop)
        p1 = self.proxy("p1")
        self.init_table(p1)
        p3 = self.proxy("p3")
        request_ids = {}
        for d in (p1, p3):
            request_ids[d.name] = self.put(d.endpoint, d.name, 15)
        h.wait_until(self.caught_up(p1), 30, what="p1 shipped")
        h.wait_until(self.caught_up(p3), 30, what="p3 shipped")

        # p2 ships through the scripted endpoint, slowly and in big rounds
        # (its first look finds nothing; the next, 5 s later, finds all 120
        # calls), so that a SIGKILL lands after some batches of a round were
        # written but before the round's cursor was saved.
        slow.mode, slow.delay = "slow", 0.3
        p2 = self.proxy("p2", central_endpoint=slow.endpoint, fleet={"round_records": 200, "ship_interval": "5s"})
        request_ids["p2"] = self.put(p2.endpoint, "p2", 120)
        baseline = slow.batches  # its start's silent checkpoints went before
        h.wait_until(lambda: slow.batches >= baseline + 2, 30, what="p2 started shipping")
        before_kill = slow.batches - baseline
        p2.kill()
        self.assertLess(before_kill, 5, "p2 shipped everything before the kill; the test proves nothing")
        ids_p2_before = self.local_ids(p2)
        slow.mode = "pass"
        p2.start()
        h.wait_until(self.caught_up(p2), 60, what="p2 shipped after the restart")
        # Shipped twice (the round the kill interrupted) ...
        self.assertTrue(slow.resent(), "nothing was shipped twice: the kill did not land mid-round")

        # ... and yet every record is in the table once.
        local = {d.name: self.local_ids(d) for d in (p1, p2, p3)}
        self.assertEqual(local["p2"][:len(ids_p2_before)], ids_p2_before, "the restart lost local records")
        fleet = self.fleet_records(p1)
        fleet_ids = [r["eventID"] for r in fleet]
        self.assertEqual(len(fleet_ids), len(set(fleet_ids)), "a record appears twice in audit query --fleet")
        self.assertEqual(sorted(fleet_ids), sorted(sum(local.values(), [])))
        # Every call of every client is there, by DynamoDB's request id.
        # What the crash did, for the record (build/test-artifacts/fleet-crash.json).
        os.makedirs(ARTIFACTS, exist_ok=True)
        with open(os.path.join(ARTIFACTS, "fleet-crash.json"), "w") as f:
            json.dump({"p2_records": len(local["p2"]), "batches_written_before_kill": before_kill,
                       "items_shipped_twice": len(slow.resent()), "fleet_records": len(fleet_ids),
                       "distinct_fleet_records": len(set(fleet_ids)),
                       "local_records_all_proxies": len(sum(local.values(), []))}, f, indent=1)
        recorded = {r.get("requestID") for r in fleet}
        for name, ids in request_ids.items():
            self.assertFalse(set(ids) - recorded, "calls through %s missing from the fleet" % name)
        # Filters use the table's indexes and agree with the local store.
        by_table = self.fleet_records(p1, "--table", DATA_TABLE, "--operation", "PutItem")
        self.assertEqual(len(by_table), 150)
        by_principal = self.fleet_records(p1, "--principal", "AKIDAPP", "--limit", "7")
        self.assertEqual(len(by_principal), 7)
        since = self.fleet_records(p1, "--since", "1h")
        self.assertEqual(len(since), len(fleet))
        # An item planted outside the proxies' record partitions, dressed with
        # index attributes and a record's text, is not a record.
        central = client(self.central.endpoint, CENTRAL_KEY)
        real = central.query(TableName=FLEET_TABLE, KeyConditionExpression="pk = :p", ConsistentRead=True,
                             ExpressionAttributeValues={":p": {"S": "R#p1#" + time.strftime("%Y-%m-%d", time.gmtime())}}
                             )["Items"][0]
        bad_id = "00000000-0000-4000-8000-000000000bad"
        text = real["rec"]["S"].replace(json.loads(real["rec"]["S"])["eventID"], bad_id)
        planted_item = dict(real, pk={"S": "X#planted"}, rec={"S": text})
        central.put_item(TableName=FLEET_TABLE, Item=planted_item)
        again = self.fleet_records(p1, "--principal", "AKIDAPP")
        self.assertEqual(len(again), len(fleet))
        self.assertNotIn(bad_id, [r["eventID"] for r in again])

        verify = cli("audit", "verify", "--fleet", "--config", p1.config_path,
                     "--fleet-public-key", self.public_key)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)
        for name in ("p1", "p2", "p3"):
            self.assertRegex(verify.stdout, r"%s: OK, %d records" % (name, len(local[name])))
        self.assertNotIn("0 signatures verified", verify.stdout)

        # Damage the table behind the proxies' backs: verify names the
        # missing and the altered records per proxy.
        central = client(self.central.endpoint, CENTRAL_KEY)
        items = central.query(TableName=FLEET_TABLE, KeyConditionExpression="pk = :p",
                              ExpressionAttributeValues={":p": {"S": "R#p3#" + time.strftime("%Y-%m-%d", time.gmtime())}},
                              ConsistentRead=True)["Items"]
        items.sort(key=lambda i: int(i["seq"]["N"]))
        for victim in items[3:5]:
            central.delete_item(TableName=FLEET_TABLE, Key={"pk": victim["pk"], "sk": victim["sk"]})
        altered = dict(items[7])
        altered["rec"] = {"S": altered["rec"]["S"].replace('"PutItem"', '"GetItem"', 1)}
        central.put_item(TableName=FLEET_TABLE, Item=altered)
        verify = cli("audit", "verify", "--fleet", "--config", p1.config_path,
                     "--fleet-public-key", self.public_key)
        self.assertEqual(verify.returncode, 1, verify.stdout + verify.stderr)
        self.assertRegex(verify.stdout, r"p3: DAMAGED")
        self.assertRegex(verify.stdout, r"missing records %s-%s" % (items[3]["seq"]["N"], items[4]["seq"]["N"]))
        self.assertRegex(verify.stdout, r"record %s altered" % items[7]["seq"]["N"])
        self.assertRegex(verify.stdout, r"p1: OK")
        self.assertRegex(verify.stdout, r"p2: OK")

    # -- the fleet table is out of a caller's reach ------------------------------

    def test_no_caller_reaches_the_fleet_table_through_a_proxy(self):
        """A caller with a valid key tries to rewrite the audit copy or plant a
        rule set through the proxy: by name, by ARN, in a batch beside an
        innocent table, in a PartiQL statement. Every try is refused before
        anything is forwarded, and recorded as denied."""
        from botocore.exceptions import ClientError
        # The data upstream has a table of the fleet table's name, as it
        # would if the fleet table lived in the data account.
        direct = client(self.data.endpoint)
        direct.create_table(TableName=FLEET_TABLE, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                                              {"AttributeName": "sk", "KeyType": "RANGE"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                  {"AttributeName": "sk", "AttributeType": "S"}],
                            BillingMode="PAY_PER_REQUEST")
        p1 = self.proxy("p1")
        c = client(p1.endpoint)
        arn = "arn:aws:dynamodb:%s:123456789012:table/%s" % (h.REGION, FLEET_TABLE)
        attempts = [
            lambda: c.put_item(TableName=FLEET_TABLE, Item={"pk": {"S": "RULES"}, "sk": {"S": "%020d" % 9}}),
            lambda: c.delete_item(TableName=arn, Key={"pk": {"S": "R#p1#2026-12-08"}, "sk": {"S": "%020d" % 1}}),
            lambda: c.batch_write_item(RequestItems={
                DATA_TABLE: [{"PutRequest": {"Item": {"pk": {"S": "innocent"}}}}],
                FLEET_TABLE: [{"DeleteRequest": {"Key": {"pk": {"S": "H"}, "sk": {"S": "p1"}}}}]}),
            lambda: c.execute_statement(Statement='DELETE FROM "%s" WHERE pk = \'H\' AND sk = \'p1\'' % FLEET_TABLE),
            lambda: c.query(TableName=FLEET_TABLE, KeyConditionExpression="pk = :p",
                            ExpressionAttributeValues={":p": {"S": "RULES"}}),
        ]
        for attempt in attempts:
            with self.assertRaises(ClientError) as refused:
                attempt()
            self.assertEqual(refused.exception.response["Error"]["Code"], "AccessDeniedException")
            self.assertIn("fleet table", refused.exception.response["Error"]["Message"])
        self.assertEqual(direct.scan(TableName=FLEET_TABLE)["Count"], 0, "something reached the table")
        self.assertNotIn("Item", direct.get_item(TableName=DATA_TABLE, Key={"pk": {"S": "innocent"}}))
        records = [r for r in h.audit_records(p1.audit_path) if r["eventName"] != "RulesLoad"]
        denied = [r for r in records if r["additionalEventData"]["decision"] == "deny"]
        self.assertEqual(len(denied), len(attempts), records)
        c.put_item(TableName=DATA_TABLE, Item={"pk": {"S": "still-fine"}})  # other tables are not affected

    # -- the fleet table as a witness of the local store ----------------------------

    def test_a_store_rolled_back_behind_the_fleet_tables_back_is_named_by_audit_verify(self):
        import shutil
        p1 = self.proxy("p1")
        self.init_table(p1)
        self.put(p1.endpoint, "early", 3)
        h.wait_until(self.caught_up(p1), 30, what="shipped")
        ok = h.audit_cli("verify", "--config", p1.config_path)
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
        self.assertIn("fleet table (p1): consistent with the store", ok.stdout)

        self.assertEqual(p1.stop(), 0)
        backup = os.path.join(self.tmp, "store-copy")
        shutil.copytree(p1.audit_path, backup)
        p1.start()
        self.put(p1.endpoint, "late", 3)
        h.wait_until(self.caught_up(p1), 30, what="shipped again")
        self.assertEqual(p1.stop(), 0)
        # Someone puts the old copy back: the store alone still verifies
        # (a shorter, intact chain); the fleet table says what is gone.
        shutil.rmtree(p1.audit_path)
        shutil.copytree(backup, p1.audit_path)
        rolled_back = h.audit_cli("verify", "--config", p1.config_path)
        self.assertEqual(rolled_back.returncode, 1, rolled_back.stdout + rolled_back.stderr)
        self.assertRegex(rolled_back.stdout, r"DAMAGED: the fleet table holds .*which the store lacks")
        alone = h.audit_cli("verify", "--store", p1.audit_path)
        self.assertEqual(alone.returncode, 0, "without the fleet table the rollback is invisible: " + alone.stdout)

    # -- retention ----------------------------------------------------------------

    def test_records_the_table_expired_are_a_note_and_deleted_live_ones_are_damage(self):
        p1 = self.proxy("p1", fleet={"retention": "1s"})
        self.init_table(p1)
        self.put(p1.endpoint, "old", 4)
        h.wait_until(self.caught_up(p1), 30, what="shipped")
        time.sleep(2.2)  # their time to live has passed; dynalite has no TTL sweeper: play it
        central = client(self.central.endpoint, CENTRAL_KEY)
        day = time.strftime("%Y-%m-%d", time.gmtime())
        items = central.query(TableName=FLEET_TABLE, KeyConditionExpression="pk = :p",
                              ExpressionAttributeValues={":p": {"S": "R#p1#" + day}}, ConsistentRead=True)["Items"]
        items.sort(key=lambda i: int(i["seq"]["N"]))
        self.assertTrue(all(int(i["exp"]["N"]) <= time.time() for i in items))
        for victim in items[:2]:
            central.delete_item(TableName=FLEET_TABLE, Key={"pk": victim["pk"], "sk": victim["sk"]})
        verify = cli("audit", "verify", "--fleet", "--config", p1.config_path)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)
        self.assertIn("note: records 1-2 not in the table: expired", verify.stdout)

        # A record whose time to live has not passed is not excused.
        live = self.proxy("p2", fleet={"retention": "30d"})
        self.put(live.endpoint, "live", 3)
        h.wait_until(self.caught_up(live), 30, what="p2 shipped")
        first = central.get_item(TableName=FLEET_TABLE, ConsistentRead=True,
                                 Key={"pk": {"S": "R#p2#" + day}, "sk": {"S": "%020d" % 1}})["Item"]
        central.delete_item(TableName=FLEET_TABLE, Key={"pk": first["pk"], "sk": first["sk"]})
        verify = cli("audit", "verify", "--fleet", "--config", live.config_path)
        self.assertEqual(verify.returncode, 1, verify.stdout + verify.stderr)
        self.assertIn("p2: DAMAGED", verify.stdout)
        self.assertIn("missing record 1", verify.stdout)

    # -- a central table that throttles and fails -----------------------------

    def test_throttling_and_failing_central_endpoint_is_survived(self):
        scripted = ScriptedCentral(self.central)
        self.addCleanup(scripted.stop)
        p1 = self.proxy("p1", central_endpoint=scripted.endpoint, fleet={"round_records": 25})
        self.init_table(p1)
        self.put(p1.endpoint, "warm", 3)
        h.wait_until(self.caught_up(p1), 30, what="first records shipped")

        scripted.mode = "throttle"
        started = time.monotonic()
        self.put(p1.endpoint, "throttled", 40)
        elapsed = time.monotonic() - started
        self.assertLess(elapsed, 20, "a throttled central table slowed the clients down")

        def metric(name):
            status, body = p1.admin_get("/metrics")
            for line in body.decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
            return None
        h.wait_until(lambda: (metric("dynaudit_fleet_throttled_total") or 0) >= 2, 20, what="throttled retries")
        self.assertGreaterEqual(metric("dynaudit_fleet_lag_records"), 40)
        self.assertEqual(metric("dynaudit_fleet_healthy"), 0)
        h.wait_until(lambda: self.status(p1)[0]["p1"]["lagRecords"] >= 40, 20, what="lag in the heartbeat")
        proxies, _, rc = self.status(p1)
        self.assertEqual(rc, 1, "fleet status must say something is off")
        self.assertIn("Throttling", proxies["p1"]["health"])

        scripted.mode = "fail"
        refused = scripted.refused
        h.wait_until(lambda: scripted.refused > refused + 2, 20, what="500s retried")
        self.assertGreaterEqual(metric("dynaudit_fleet_failed_calls_total"), 1)

        scripted.mode = "unprocessed"
        h.wait_until(lambda: (metric("dynaudit_fleet_unprocessed_items_total") or 0) >= 10, 30,
                     what="unprocessed items handed back and retried")
        scripted.mode = "pass"
        h.wait_until(self.caught_up(p1), 60, what="lag back to 0")
        h.wait_until(lambda: metric("dynaudit_fleet_lag_records") == 0, 10, what="lag metric 0")
        self.assertEqual(metric("dynaudit_fleet_healthy"), 1)
        local = self.local_ids(p1)
        fleet = [r["eventID"] for r in self.fleet_records(p1)]
        self.assertEqual(sorted(fleet), sorted(local))
        verify = cli("audit", "verify", "--fleet", "--config", p1.config_path)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)

    # -- central rules ------------------------------------------------------

    def test_published_rules_are_applied_and_drift_is_shown(self):
        rules_private = os.path.join(self.tmp, "rules.pem")
        rules_public = os.path.join(self.tmp, "rules.pub")
        gen = h.audit_cli("keygen", "--private-key", rules_private, "--public-key", rules_public)
        self.assertEqual(gen.returncode, 0, gen.stderr)
        proxies = []
        for name in ("p1", "p2", "p3"):
            central_rules = os.path.join(self.tmp, name + "-central-rules.yaml")
            with open(central_rules, "w") as f:
                f.write("rules: []\n")
            proxies.append(self.proxy(name, fleet={"rules": {"pull": True, "file": central_rules,
                                                             "public_key_file": rules_public,
                                                             "poll_interval": "200ms"}},
                                      overrides={"rules": {"files": [central_rules], "watch": False}}))
        p1, p2, p3 = proxies
        self.init_table(p1)
        self.put(p1.endpoint, "before", 3)

        rule_file = os.path.join(self.tmp, "deny-deletes.yaml")
        with open(rule_file, "w") as f:
            f.write("rules:\n  - id: no-deletes\n    when: {operation: DeleteItem}\n    effect: deny\n")
        published = cli("rules", "publish", "--config", p1.config_path, "--key", rules_private, rule_file)
        self.assertEqual(published.returncode, 0, published.stdout + published.stderr)
        self.assertIn("published rule set v1", published.stdout)

        def version_of(name):
            return self.status(p1)[0].get(name, {}).get("rulesVersion")
        h.wait_until(lambda: all(version_of(n) == 1 for n in ("p1", "p2", "p3")), 20, what="all three apply v1")
        from botocore.exceptions import ClientError
        for d in proxies:
            with self.assertRaises(ClientError) as denied:
                client(d.endpoint).delete_item(TableName=DATA_TABLE, Key={"pk": {"S": "before-0"}})
            self.assertEqual(denied.exception.response["Error"]["Code"], "AccessDeniedException")
        status, doc, rc = self.status(p1)
        self.assertEqual(doc["publishedRules"]["version"], 1)
        self.assertFalse(any(p["drift"] for p in status.values()), status)
        # The applied set is in each proxy's own chain, like any reload.
        loads = [r for r in h.audit_records(p1.audit_path) if r["eventName"] == "RulesLoad"]
        self.assertTrue(any(r["requestParameters"]["trigger"] == "fleet" and r["requestParameters"]["rules"] == 1
                            for r in loads), loads)

        # p3 is held on v1 (pulling turned off, as an operator pinning one
        # proxy would) while v2 goes out: it shows as drifted.
        self.assertEqual(p3.stop(), 0)
        p3.config["fleet"]["rules"]["pull"] = False
        with open(p3.config_path, "w") as f:
            json.dump(p3.config, f)
        p3.start()
        with open(rule_file, "w") as f:
            f.write("rules:\n  - id: no-deletes-or-scans\n    when: {operation: [DeleteItem, Scan]}\n    effect: deny\n")
        v2 = cli("rules", "publish", "--config", p1.config_path, "--key", rules_private, rule_file)
        self.assertEqual(v2.returncode, 0, v2.stdout + v2.stderr)
        h.wait_until(lambda: version_of("p1") == 2 and version_of("p2") == 2, 20, what="p1 and p2 apply v2")
        for d in (p1, p2):
            with self.assertRaises(ClientError):
                client(d.endpoint).scan(TableName=DATA_TABLE)
        client(p3.endpoint).scan(TableName=DATA_TABLE)  # p3 still runs v1: scans allowed
        h.wait_until(lambda: self.status(p1)[0]["p3"]["drift"], 20, what="p3 drifted")
        status, doc, rc = self.status(p1)
        self.assertEqual(rc, 1)
        self.assertEqual(doc["publishedRules"]["version"], 2)
        self.assertFalse(status["p1"]["drift"])
        self.assertFalse(status["p2"]["drift"])
        self.assertEqual(status["p3"]["rulesVersion"], 1)
        self.assertIn("pull off", status["p3"]["rules"])
        text = cli("fleet", "status", "--config", p1.config_path)
        self.assertRegex(text.stdout, r"p3 .*v1 \(drift: v2 published")

        # A set signed with another key: refused, reported, v2 stays.
        other_private = os.path.join(self.tmp, "other.pem")
        gen = h.audit_cli("keygen", "--private-key", other_private, "--public-key", os.path.join(self.tmp, "o.pub"))
        self.assertEqual(gen.returncode, 0, gen.stderr)
        with open(rule_file, "w") as f:
            f.write("rules: []\n")
        forged = cli("rules", "publish", "--config", p1.config_path, "--key", other_private, rule_file)
        self.assertEqual(forged.returncode, 0, forged.stderr)
        h.wait_until(lambda: "version 3 refused" in self.status(p1)[0]["p1"]["rulesProblem"], 20,
                     what="v3 refused")
        self.assertIn("bad signature", self.status(p1)[0]["p1"]["rulesProblem"])
        self.assertEqual(version_of("p1"), 2)
        with self.assertRaises(ClientError):
            client(p1.endpoint).delete_item(TableName=DATA_TABLE, Key={"pk": {"S": "x"}})

        # An unsigned set written straight into the table: refused too.
        central = client(self.central.endpoint, CENTRAL_KEY)
        central.put_item(TableName=FLEET_TABLE, Item={
            "pk": {"S": "RULES"}, "sk": {"S": "%020d" % 4}, "version": {"N": "4"}, "publishedMs": {"N": "1"},
            "text": {"S": "rules: []\n"}, "textSha256": {"S": "-"}, "keyId": {"S": "-"}, "sig": {"S": "-"},
            "publisher": {"S": "mallory"}})
        h.wait_until(lambda: "version 4 refused" in self.status(p1)[0]["p2"]["rulesProblem"], 20,
                     what="v4 refused")
        self.assertIn("not signed", self.status(p1)[0]["p2"]["rulesProblem"])
        self.assertEqual(version_of("p2"), 2)
        # Neither planted item holds back the next real set: it is numbered
        # above them and applied.
        with open(rule_file, "w") as f:
            f.write("rules:\n  - id: no-deletes-scans-queries\n    when: {operation: [DeleteItem, Scan, Query]}\n    effect: deny\n")
        again = cli("rules", "publish", "--config", p1.config_path, "--key", rules_private, rule_file)
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertIn("published rule set v5", again.stdout)
        h.wait_until(lambda: version_of("p1") == 5 and version_of("p2") == 5, 20, what="v5 applied")
        with self.assertRaises(ClientError):
            client(p2.endpoint).query(TableName=DATA_TABLE, KeyConditionExpression="pk = :p",
                                      ExpressionAttributeValues={":p": {"S": "x"}})
        self.assertEqual(self.status(p1)[0]["p1"]["rulesProblem"], "")
        # A set that does not load is refused at publish time.
        with open(rule_file, "w") as f:
            f.write("rules:\n  - id: broken\n    effect: maybe\n")
        bad = cli("rules", "publish", "--config", p1.config_path, "--key", rules_private, rule_file)
        self.assertEqual(bad.returncode, 2, bad.stdout + bad.stderr)

    # -- CloudTrail bypass detection -----------------------------------------

    def test_cloudtrail_calls_around_the_proxies_are_bypasses(self):
        p1 = self.proxy("p1")
        self.init_table(p1)
        through = self.put(p1.endpoint, "proxied", 6)
        direct_client = client(self.data.endpoint, ("AKIDROGUE", "rogue-secret"))
        straight = []
        for i in range(3):
            r = direct_client.put_item(TableName=DATA_TABLE, Item={"pk": {"S": "rogue-%d" % i}})
            straight.append(r["ResponseMetadata"]["RequestId"])
        r = direct_client.get_item(TableName=DATA_TABLE, Key={"pk": {"S": "proxied-0"}})
        straight.append(r["ResponseMetadata"]["RequestId"])
        through += self.put(p1.endpoint, "proxied-late", 2)
        h.wait_until(self.caught_up(p1), 30, what="p1 shipped")

        def ct(request_id, name, principal, table=DATA_TABLE):
            return {"eventVersion": "1.09", "eventSource": "dynamodb.amazonaws.com", "eventName": name,
                    "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "awsRegion": h.REGION,
                    "sourceIPAddress": "10.1.2.3", "userAgent": "aws-cli/2", "requestID": request_id,
                    "eventID": str(uuid.uuid4()), "eventType": "AwsApiCall", "managementEvent": False,
                    "userIdentity": {"type": "IAMUser", "principalId": "AIDA" + principal,
                                     "arn": "arn:aws:iam::123456789012:user/" + principal,
                                     "accessKeyId": "AKID" + principal.upper()},
                    "requestParameters": {"tableName": table},
                    "resources": [{"type": "AWS::DynamoDB::Table",
                                   "ARN": "arn:aws:dynamodb:us-east-1:123456789012:table/" + table}]}
        first = [ct(rid, "PutItem", "app") for rid in through[:4]] + [ct(straight[0], "PutItem", "rogue")]
        first.append({"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "requestID": "S3REQ"})
        first.append(ct("FLEETREQ1", "BatchWriteItem", "dynaudit", table=FLEET_TABLE))
        # Someone deleting from the audit copy itself is a bypass too; the
        # fleet's own kinds of calls on it are not.
        second = [ct(rid, "PutItem", "app") for rid in through[4:]] + \
            [ct(rid, "PutItem", "rogue") for rid in straight[1:3]] + [ct(straight[3], "GetItem", "rogue")] + \
            [ct("FLEETDEL1", "DeleteItem", "mallory", table=FLEET_TABLE)]
        plain = os.path.join(self.tmp, "123456789012_CloudTrail_us-east-1_1.json")
        with open(plain, "w") as f:
            json.dump({"Records": first}, f)
        zipped = os.path.join(self.tmp, "123456789012_CloudTrail_us-east-1_2.json.gz")
        with gzip.open(zipped, "wt") as f:
            json.dump({"Records": second}, f)

        # A `rid` planted on an item that is not a record does not hide a bypass.
        client(self.central.endpoint, CENTRAL_KEY).put_item(TableName=FLEET_TABLE, Item={
            "pk": {"S": "X#planted"}, "sk": {"S": "1"}, "rid": {"S": straight[0]}})
        hook = h.WebhookReceiver()
        self.addCleanup(hook.stop)
        config = dict(p1.config)
        config["alerts"] = {"channels": [{"name": "security", "type": "webhook", "url": hook.url()}]}
        config_path = os.path.join(self.tmp, "with-alerts.yaml")
        with open(config_path, "w") as f:
            json.dump(config, f)
        r = cli("cloudtrail", "import", "--config", config_path, "--json", "--alert-channel", "security",
                plain, zipped)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        report = json.loads(r.stdout)
        self.assertEqual(sorted(b["requestID"] for b in report["bypasses"]), sorted(straight + ["FLEETDEL1"]))
        self.assertEqual(report["matched"], len(through))
        self.assertEqual(report["fleetOwnCalls"], 1)
        self.assertEqual(report["dynamodbCalls"], len(through) + len(straight) + 2)
        rogue = [b for b in report["bypasses"] if b["eventName"] == "GetItem"][0]
        self.assertEqual(rogue["principal"], "arn:aws:iam::123456789012:user/rogue")
        self.assertEqual(rogue["table"], DATA_TABLE)
        self.assertEqual(rogue["sourceIPAddress"], "10.1.2.3")
        h.wait_until(lambda: len(hook.received()) >= len(straight) + 1, 10, what="bypass alerts")
        self.assertEqual(len(hook.received()), len(straight) + 1)
        self.assertTrue(all("without a proxy record" in json.dumps(p["json"]) for p in hook.received()))

        text = cli("cloudtrail", "import", "--config", p1.config_path, plain, zipped)
        self.assertEqual(text.returncode, 1)
        self.assertIn("5 bypassed every proxy", text.stdout)
        clean = os.path.join(self.tmp, "clean.json")
        with open(clean, "w") as f:
            json.dump({"Records": [ct(rid, "PutItem", "app") for rid in through]}, f)
        ok = cli("cloudtrail", "import", "--config", p1.config_path, clean)
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
        broken = os.path.join(self.tmp, "broken.json")
        with open(broken, "w") as f:
            f.write("{not json")
        bad = cli("cloudtrail", "import", "--config", p1.config_path, broken)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("not a CloudTrail file", bad.stderr)


if __name__ == "__main__":
    unittest.main()
