#!/usr/bin/env python3
"""Runs a DynamoDB scenario with boto3 and prints one JSON document of
normalized results: for every call the HTTP status, the error code and
message, and the raw response body as received on the wire (captured with
botocore's after-call event, so that what is compared is what the server sent,
not what botocore made of it), minus the fields that differ run to run.

Runs under /usr/bin/python3 (Debian python3-boto3) and the default python3.

  python3 boto3_scenario.py --endpoint URL [--ca-bundle PEM | --no-verify] ...
"""

import argparse
import datetime
import importlib
import os
import sys
import time
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenario_lib as lib  # noqa: E402

import boto3  # noqa: E402
import botocore  # noqa: E402
import botocore.auth  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402


def skew_signing_clock(seconds):
    """Make botocore sign with a wrong clock (for the 'Signature expired' test).
    botocore >= 1.31 reads the time through auth.get_current_datetime, older
    releases through datetime.datetime.utcnow(), in botocore.auth and, when
    awscrt is installed (Debian's python3-botocore), in botocore.crt.auth."""
    delta = datetime.timedelta(seconds=seconds)

    class SkewedDatetime(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return datetime.datetime.utcnow() + delta

        @classmethod
        def now(cls, tz=None):
            return datetime.datetime.now(tz) + delta

    shim = types.ModuleType("datetime")
    shim.__dict__.update(datetime.__dict__)
    shim.datetime = SkewedDatetime
    modules = [botocore.auth]
    try:
        modules.append(importlib.import_module("botocore.crt.auth"))
    except ImportError:
        pass
    for module in modules:
        if hasattr(module, "get_current_datetime"):
            real = module.get_current_datetime
            module.get_current_datetime = lambda *a, _real=real, **k: _real(*a, **k) + delta
        if hasattr(module, "datetime"):
            module.datetime = shim


def snake(op):
    out = []
    for i, c in enumerate(op):
        if c.isupper() and i > 0:
            out.append("_")
        out.append(c.lower())
    return "".join(out)


class Runner:
    def __init__(self, args):
        retries = {}
        if args.max_attempts is not None:
            retries["total_max_attempts"] = args.max_attempts
        if args.retry_mode:
            retries["mode"] = args.retry_mode
        config = Config(
            region_name=args.region,
            connect_timeout=args.connect_timeout,
            read_timeout=args.read_timeout,
            retries=retries or None,
        )
        verify = False if args.no_verify else (args.ca_bundle or True)
        session = boto3.session.Session(
            aws_access_key_id=args.access_key,
            aws_secret_access_key=args.secret_key,
            region_name=args.region,
        )
        self.client = session.client("dynamodb", endpoint_url=args.endpoint, verify=verify, config=config)
        self.last_http = None
        self.client.meta.events.register("after-call.dynamodb", self._after_call)

    def _after_call(self, http_response=None, **_):
        self.last_http = http_response

    def call(self, op, params):
        """One API call -> (result record, parsed response or None)."""
        self.last_http = None
        record = {"op": op}
        parsed = None
        method = getattr(self.client, snake(op))
        try:
            parsed = method(**lib.b64_to_bytes(params))
            record["client_error_code"] = None
            record["retries"] = parsed.get("ResponseMetadata", {}).get("RetryAttempts")
        except ClientError as e:
            record["client_error_code"] = e.response.get("Error", {}).get("Code")
            record["retries"] = e.response.get("ResponseMetadata", {}).get("RetryAttempts")
        except Exception as e:  # connection errors, timeouts: no HTTP response at all
            record["exception"] = type(e).__name__
            record["exception_message"] = str(e)
            return record, None
        http = self.last_http
        if http is None:
            record["status"] = None
            return record, parsed
        raw = http.content
        body = lib.parse_raw_body(raw)
        code, message = lib.error_fields(body)
        headers = {k.lower(): v for k, v in http.headers.items()}
        record.update({
            "status": http.status_code,
            "error_code": code,
            "error_message": message,
            "body": lib.normalize_body(op, body),
            "content_type": headers.get("content-type"),
            "crc32_ok": lib.crc32_ok(raw, headers.get("x-amz-crc32")),
            "has_request_id": "x-amzn-requestid" in headers,
        })
        return record, (body if code is None else None)


def run(args):
    runner = Runner(args)
    steps = lib.load_steps(args)
    results, timings = lib.run_steps(runner.call, steps, wait_active_seconds=20)
    return {
        "client": "boto3 %s (botocore %s, python %s)" % (
            boto3.__version__, botocore.__version__, sys.version.split()[0]),
        "results": results,
        "timings": timings,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    lib.add_common_arguments(parser)
    parser.add_argument("--clock-skew", type=float, default=0.0,
                        help="sign requests as if the clock were off by this many seconds")
    args = parser.parse_args()
    # Never pick up the machine's own AWS configuration.
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    os.environ.pop("AWS_PROFILE", None)
    if args.clock_skew:
        skew_signing_clock(args.clock_skew)
    lib.emit(run(args), args.output)


if __name__ == "__main__":
    main()
