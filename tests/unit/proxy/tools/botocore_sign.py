#!/usr/bin/env python3
"""Signs request cases with botocore's own SigV4 signer, for the C++ cross-check.

Reads a JSON file of cases (see sdk_crosscheck_test.cpp), signs each with
botocore.auth.SigV4Auth at the case's fixed timestamp, and prints one JSON
object per line: the case id, the headers as botocore left them (names in
their original case, repeats kept) and the Authorization header.
"""
import datetime
import json
import sys
from unittest import mock

import botocore.auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def fixed_clock(timestamp):
    when = datetime.datetime.strptime(timestamp, "%Y%m%dT%H%M%SZ")
    # botocore >= 1.31 reads the clock through get_current_datetime(); older
    # releases (Debian's 1.29) call datetime.datetime.utcnow() directly.
    if hasattr(botocore.auth, "get_current_datetime"):
        return mock.patch.object(botocore.auth, "get_current_datetime", return_value=when)

    class FrozenDatetime(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return when

    fake_module = mock.MagicMock(wraps=datetime)
    fake_module.datetime = FrozenDatetime
    return mock.patch.object(botocore.auth, "datetime", fake_module)


def sign(spec, case):
    request = AWSRequest(method=case["method"], url=case["url"], data=case["body"].encode("utf-8"))
    # Assigning twice appends (HTTPHeaders is an email.message.Message), which
    # is how repeated header lines reach the signer.
    for name, value in case["headers"]:
        request.headers[name] = value
    credentials = Credentials(spec["access_key"], spec["secret"], case.get("session_token") or None)
    with fixed_clock(case["timestamp"]):
        SigV4Auth(credentials, spec["service"], spec["region"]).add_auth(request)
    return {
        "id": case["id"],
        "headers": [[name, value] for name, value in request.headers.items()],
        "authorization": request.headers["Authorization"],
    }


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    for case in spec["cases"]:
        print(json.dumps(sign(spec, case)))


if __name__ == "__main__":
    main()
