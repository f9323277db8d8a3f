#!/usr/bin/env python3
"""Writes the seed corpus of http_head_fuzz: raw HTTP/1.1 requests as SDKs
send them to dynaudit, signed by botocore for the key the fuzz target's
verifier knows (AKIDFUZZ) at the instant it verifies them (2024-01-01
00:00:00Z), plus the hostile shapes the request gate refuses.

    python3 tests/fuzz/make_http_head_seeds.py tests/fuzz/corpus/http_head
"""
import datetime
import hashlib
import json
import os
import sys

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

NOW = datetime.datetime(2024, 1, 1, 0, 0, 0)
botocore.auth.get_current_datetime = lambda: NOW  # signatures valid at the fuzzer's clock
CREDENTIALS = Credentials("AKIDFUZZ", "fuzz-secret-never-echoed")
HOST = "127.0.0.1:8000"


def signed(operation, body, target_prefix="DynamoDB_20120810", extra=None, unsigned_target=False):
    """Headers and body of a botocore-signed call, in the order boto3 sends them."""
    data = json.dumps(body)
    headers = {
        "X-Amz-Target": f"{target_prefix}.{operation}",
        "Content-Type": "application/x-amz-json-1.0",
        "User-Agent": "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux lang/python#3.11",
    }
    headers.update(extra or {})
    request = AWSRequest(method="POST", url=f"http://{HOST}/", data=data, headers=headers)
    if unsigned_target:
        target = request.headers["X-Amz-Target"]
        del request.headers["X-Amz-Target"]
    botocore.auth.SigV4Auth(CREDENTIALS, "dynamodb", "us-east-1").add_auth(request)
    if unsigned_target:
        request.headers["X-Amz-Target"] = target
    out = [("Host", HOST)] + [(k, v) for k, v in request.headers.items()]
    out += [("Accept-Encoding", "identity"), ("Content-Length", str(len(data)))]
    return out, data


def render(headers, body, request_line="POST / HTTP/1.1"):
    head = request_line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return (head + body).encode()


def main(folder):
    os.makedirs(folder, exist_ok=True)
    seeds = {}
    card_key = {"TableName": "customers", "Key": {"id": {"S": "c-1"}}}
    seeds["get_item"] = render(*signed("GetItem", {**card_key, "ProjectionExpression": "#n, card_number",
                                                   "ExpressionAttributeNames": {"#n": "name"}}))
    seeds["query_begins_with"] = render(*signed("Query", {
        "TableName": "customers", "KeyConditionExpression": "id = :id",
        "FilterExpression": "begins_with(card_number, :p)",
        "ExpressionAttributeValues": {":id": {"S": "c-1"}, ":p": {"S": "41"}}}))
    seeds["update_copy"] = render(*signed("UpdateItem", {
        **card_key, "UpdateExpression": "SET leak = card_number", "ReturnValues": "UPDATED_NEW"}))
    seeds["execute_statement"] = render(*signed("ExecuteStatement", {
        "Statement": "SELECT * FROM \"customers\" WHERE id = ? AND begins_with(card_number, '41')",
        "Parameters": [{"S": "c-1"}]}))
    seeds["streams_get_records"] = render(*signed("GetRecords", {"ShardIterator": "arn:aws:dynamodb:us-east-1:1:"
                                                                 "table/customers/stream/2024|1|AAAA"},
                                                  target_prefix="DynamoDBStreams_20120810"))
    seeds["old_api_version"] = render(*signed("Scan", {"TableName": "customers"}, target_prefix="DynamoDB_20111205"))
    seeds["unsigned_target"] = render(*signed("Scan", {"TableName": "customers"}, unsigned_target=True))
    seeds["session_token"] = render(*signed("DescribeTable", {"TableName": "customers"},
                                            extra={"X-Amz-Security-Token": "FQoGZXIvYXdzEXAMPLE"}))

    # The JS SDK v3: lower-case names, a body hash header, an invocation id.
    put = {"TableName": "customers", "Item": {"id": {"S": "c-2"}}}
    js_headers, js_body = signed("PutItem", put, extra={
        "x-amz-content-sha256": hashlib.sha256(json.dumps(put).encode()).hexdigest(),
        "amz-sdk-invocation-id": "3b1c", "amz-sdk-request": "attempt=1"})
    seeds["js_sdk_put"] = render([(k.lower(), v) for k, v in js_headers], js_body)

    get_headers, get_body = signed("GetItem", card_key)
    scan_headers, scan_body = signed("Scan", {"TableName": "customers", "Limit": 1})
    seeds["pipelined"] = render(get_headers, get_body) + render(scan_headers, scan_body)

    duplicate = list(get_headers)
    duplicate.insert(2, ("X-Amz-Target", "DynamoDB_20120810.DeleteTable"))
    seeds["duplicate_target"] = render(duplicate, get_body)

    chunked = [(k, v) for k, v in get_headers if k != "Content-Length"] + [("Transfer-Encoding", "chunked")]
    half = len(get_body) // 2
    chunks = f"{half:x}\r\n{get_body[:half]}\r\n{len(get_body) - half:x}\r\n{get_body[half:]}\r\n0\r\n\r\n"
    seeds["chunked_body"] = render(chunked, chunks)
    seeds["both_lengths"] = render(chunked + [("Content-Length", "3")], chunks)
    seeds["http10_keep_alive"] = render(get_headers + [("Connection", "keep-alive")], get_body,
                                        "POST / HTTP/1.0")
    seeds["hop_by_hop_target"] = render(get_headers + [("Connection", "X-Amz-Target, close")], get_body)
    folded = [(k, v.replace(" md/", "\r\n md/") if k == "User-Agent" else v) for k, v in get_headers]
    seeds["obs_fold"] = render(folded + [("X-Folded", "a\r\n\tb")], get_body)
    seeds["absolute_form"] = render(get_headers, get_body, f"POST http://{HOST}/?x=1&X-Amz-Algorithm=AWS4 HTTP/1.1")
    seeds["expect_continue"] = render(get_headers + [("Expect", "100-continue")], get_body)
    seeds["no_auth_get"] = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    seeds["truncated"] = render(get_headers, get_body)[:-5]

    for name, data in seeds.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "http_head"))
