"""Calls in flight together on one worker must not share what was decided.

A worker runs many connections' calls as coroutines that interleave at every
wait (the upstream, the audit store). Until 2026-12-07 the rules decision
was one object per worker: a call waiting for the upstream had its decision
reset and refilled by the next call on the same worker, and resumed with the
other call's masks (none), denies and rule ids. Attack by alice, whose
replies a mask rule covers: send a GetItem that the upstream answers slowly,
and while it waits let any call that no mask applies to reach the same
worker (bob's, or alice's own on another table) — her reply came back in
clear, and her record named no mask. One worker (`workers: 1`) and a
scripted upstream that answers after a delay make the interleaving certain.
"""

import json
import threading
import unittest

import attack_lib as a
from attack_lib import h

CARD = "4111222233334444"
RULES = """
rules:
  - id: mask-cards
    when: {table: customers}
    mask: [{path: card_number, method: partial, keep_last: 4}]
    unmask_groups: [pci-admins]
  - id: no-deletes
    when: {operation: DeleteItem}
    effect: deny
"""
ITEM = {"Item": {"id": {"S": "c1"}, "card_number": {"S": CARD}}}


class ConcurrentCallsTest(a.AttackTest):
    RULES = RULES
    OVERRIDES = {"workers": 1}

    def setUp(self):
        super().setUp()
        # Every call waits 1.5 s upstream, so each is overtaken by the next.
        replies = [h.dynamodb_response(200, json.dumps(ITEM).encode(), request_id="REQ%049d" % i) for i in range(20)]
        self.upstream = self.start_capture_upstream(replies, delay=1.5)
        self.proxy = self.start_proxy(self.upstream.endpoint)

    def run_together(self, calls):
        """Starts the calls 0.2 s apart (each overtakes the one before while
        it waits upstream) and returns their responses in order."""
        results = [None] * len(calls)

        def run(i, key, target, payload):
            results[i] = a.call(self.proxy.endpoint, target, payload, key=key)

        threads = []
        for i, (key, target, payload) in enumerate(calls):
            t = threading.Thread(target=run, args=(i, key, target, payload))
            t.start()
            threads.append(t)
            threading.Event().wait(0.2)
        for t in threads:
            t.join(30)
        return results

    def test_a_call_that_waits_keeps_its_own_masks(self):
        get = ("DynamoDB_20120810.GetItem", {"TableName": "customers", "Key": {"id": {"S": "c1"}}})
        other = ("DynamoDB_20120810.GetItem", {"TableName": "public", "Key": {"id": {"S": "c1"}}})
        # Each call resumes after the last one started was decided: alice's
        # first GetItem after her call on an unmasked table, bob's after it too.
        calls = [(a.ALICE,) + get, (a.BOB,) + get, (a.ALICE,) + other]
        results = self.run_together(calls)
        for (key, _, payload), r in zip(calls, results):
            with self.subTest(caller=key[0], table=payload["TableName"]):
                self.assertEqual(r.status, 200, r)
                card = r.json()["Item"]["card_number"]["S"]
                masked = key == a.ALICE and payload["TableName"] == "customers"
                if masked:
                    self.assertNotEqual(card, CARD, "alice's reply came back in clear")
                    self.assertTrue(card.endswith(CARD[-4:]), card)
                else:
                    self.assertEqual(card, CARD)
                record = a.record_for(self.proxy, r.header("x-amzn-RequestId"))
                masked_rules = record["additionalEventData"].get("maskedRules", [])
                self.assertEqual(masked_rules, ["mask-cards"] if masked else [], record)

    def test_a_deny_decided_for_one_call_does_not_leak_into_another(self):
        get = ("DynamoDB_20120810.GetItem", {"TableName": "customers", "Key": {"id": {"S": "c1"}}})
        delete = ("DynamoDB_20120810.DeleteItem", {"TableName": "customers", "Key": {"id": {"S": "c1"}}})
        # The GetItem resumes after the DeleteItem was decided (and denied).
        results = self.run_together([(a.BOB,) + get, (a.BOB,) + delete])
        self.assertEqual([r.status for r in results], [200, 400], results)
        self.assertEqual(a.error_type(results[1]), "AccessDeniedException")
        for r in results[:1]:
            self.assertEqual(r.json()["Item"]["card_number"]["S"], CARD)
            record = a.record_for(self.proxy, r.header("x-amzn-RequestId"))
            self.assertNotEqual(record["additionalEventData"].get("outcome"), "denied", record)
            self.assertNotIn("no-deletes", json.dumps(record), record)


if __name__ == "__main__":
    unittest.main()
