"""DynamoDB Streams: a mask (or a deny) on a table must also hold for its stream.

GetRecords names only a shard iterator, and an iterator is opaque (its text is
the caller's to write). The proxy learns which table each iterator reads when
it hands one out — GetShardIterator's StreamArn, GetRecords' NextShardIterator
— and looks GetRecords calls up in that table. Attacks by alice:
- GetRecords with an iterator the proxy never handed out (from another
  endpoint, or forged) whose images would come back in clear: refused with
  ExpiredIteratorException (SDKs and the KCL then ask for a new iterator),
  never forwarded;
- an iterator whose text names another, unmasked table: refused the same way.
And the legitimate path: iterators obtained through the proxy, and the
NextShardIterator chain, get masked images; a deny rule on the table covers
GetRecords too. dynalite has no Streams, so a scripted upstream answers with
DynamoDB's own reply shapes.
"""

import json
import unittest

import attack_lib as a
from attack_lib import h

CARD = "4111222233334444"
STREAM_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/customers/stream/2026-12-07T00:00:00.000"
PUBLIC_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/public/stream/2026-12-07T00:00:00.000"
RULES = """
rules:
  - id: mask-cards
    when: {table: customers}
    mask: [{path: card_number, method: partial, keep_last: 4}]
  - id: no-archive-records
    when: {table: archive, operation: GetRecords}
    effect: deny
"""


def images(i):
    item = {"id": {"S": "c%d" % i}, "card_number": {"S": CARD[:-1] + str(i)}}
    return {"Records": [{"eventID": str(i), "eventName": "MODIFY", "eventVersion": "1.1",
                         "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
                         "dynamodb": {"Keys": {"id": item["id"]}, "NewImage": item, "OldImage": item,
                                      "SequenceNumber": str(100 + i), "SizeBytes": 50,
                                      "StreamViewType": "NEW_AND_OLD_IMAGES"}}],
            "NextShardIterator": "opaque-iterator-%d" % (i + 1)}


SHARD = "shardId-00000001700000000000-0123abcd"


def reply(doc, n=[0]):
    n[0] += 1
    return h.dynamodb_response(200, json.dumps(doc).encode(), request_id="REQ%049d" % n[0])


class StreamsTest(a.AttackTest):
    RULES = RULES

    def start(self, replies):
        self.upstream = self.start_capture_upstream([reply(r) for r in replies])
        self.proxy = self.start_proxy(self.upstream.endpoint)

    def streams(self, op, payload, key=a.ALICE):
        return a.call(self.proxy.endpoint, "DynamoDBStreams_20120810." + op, payload, key=key)

    def test_an_iterator_the_proxy_never_handed_out_is_refused(self):
        self.start([images(1)])
        for iterator in ("opaque-from-elsewhere", PUBLIC_ARN + "|1|AAAAAAAAAAE=", STREAM_ARN + "|1|AAAA"):
            with self.subTest(iterator=iterator):
                r = self.streams("GetRecords", {"ShardIterator": iterator})
                self.assert_refused(r, "ExpiredIteratorException")
                self.assertNotIn(CARD[:-1], r.body.decode())
                record = a.record_for(self.proxy, r.header("x-amzn-RequestId"))
                self.assertEqual(record["additionalEventData"]["outcome"], "rejected")
                self.assertNotIn(iterator, json.dumps(record))
        self.assertEqual(self.upstream.requests, [], "an unknown iterator was forwarded")

    def test_iterators_handed_out_through_the_proxy_get_masked_images(self):
        self.start([{"ShardIterator": "opaque-iterator-1"}, images(1), images(2)])
        r = self.streams("GetShardIterator", {"StreamArn": STREAM_ARN, "ShardId": SHARD,
                                              "ShardIteratorType": "TRIM_HORIZON"})
        self.assertEqual(r.status, 200, r)
        iterator = r.json()["ShardIterator"]
        for expected_next in ("opaque-iterator-2", "opaque-iterator-3"):
            r = self.streams("GetRecords", {"ShardIterator": iterator})
            self.assertEqual(r.status, 200, r)
            body = r.json()
            self.assertNotIn(CARD[:-1], r.body.decode())
            self.assertRegex(body["Records"][0]["dynamodb"]["NewImage"]["card_number"]["S"], r"^\*+\d{4}$")
            record = a.record_for(self.proxy, r.header("x-amzn-RequestId"))
            self.assertEqual(record["requestParameters"]["tableName"], "customers")
            self.assertEqual(record["additionalEventData"]["maskedRules"], ["mask-cards"])
            iterator = body["NextShardIterator"]
            self.assertEqual(iterator, expected_next)

    def test_a_deny_on_the_table_covers_its_stream(self):
        self.start([{"ShardIterator": "archive-iterator"}, images(1)])
        arn = STREAM_ARN.replace("/customers/", "/archive/")
        r = self.streams("GetShardIterator", {"StreamArn": arn, "ShardId": SHARD, "ShardIteratorType": "LATEST"})
        self.assertEqual(r.status, 200, r)
        # The iterator's text names no table; the proxy knows it reads archive.
        r = self.streams("GetRecords", {"ShardIterator": r.json()["ShardIterator"]})
        self.assert_refused(r, "AccessDeniedException")
        record = a.record_for(self.proxy, r.header("x-amzn-RequestId"))
        self.assertEqual(record["additionalEventData"]["determiningRule"], "no-archive-records")
        self.assertEqual(len(self.upstream.requests), 1, "GetRecords reached the upstream")

    def test_with_boto3_the_stream_reader_recovers_through_the_proxy(self):
        """The flow a KCL-style reader follows: ExpiredIterator, new iterator, records."""
        self.start([{"ShardIterator": "opaque-iterator-1"}, images(1)])
        import boto3
        from botocore.config import Config
        from botocore.exceptions import ClientError
        client = boto3.session.Session(aws_access_key_id=a.ALICE[0], aws_secret_access_key=a.ALICE[1],
                                       region_name=h.REGION).client(
            "dynamodbstreams", endpoint_url=self.proxy.endpoint, config=Config(retries={"max_attempts": 1}))
        with self.assertRaises(ClientError) as caught:
            client.get_records(ShardIterator="stale-iterator-from-before-a-restart")
        self.assertEqual(caught.exception.response["Error"]["Code"], "ExpiredIteratorException")
        iterator = client.get_shard_iterator(StreamArn=STREAM_ARN, ShardId=SHARD,
                                             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        out = client.get_records(ShardIterator=iterator)
        self.assertNotIn(CARD[:-1], json.dumps(out, default=str))


if __name__ == "__main__":
    unittest.main()
