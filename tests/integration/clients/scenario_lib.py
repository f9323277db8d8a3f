"""Shared pieces of the Python client drivers: loading a scenario, substituting
captured values, and normalizing responses so that two runs of the same
scenario (directly against dynalite, and through dynaudit) compare equal.

Standard library only; runs under both /usr/bin/python3 and the default python3.
"""

import base64
import copy
import json
import os
import re
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCENARIO = os.path.join(os.path.dirname(HERE), "scenario.json")

# Response fields that differ from one run to the next for reasons unrelated
# to the proxy (clock, random ids). TableArn stays: it is deterministic.
VOLATILE_KEYS = frozenset({
    "CreationDateTime",
    "TableId",
    "LastUpdateToPayPerRequestDateTime",
    "LastIncreaseDateTime",
    "LastDecreaseDateTime",
    "ResponseMetadata",
})

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def load_steps(args):
    """Steps come from --steps-json (inline) or --scenario (a file)."""
    if getattr(args, "steps_json", None):
        doc = json.loads(args.steps_json)
    else:
        with open(args.scenario or DEFAULT_SCENARIO, encoding="utf-8") as f:
            doc = json.load(f)
    return doc["steps"] if isinstance(doc, dict) else doc


def substitute(value, captured):
    if isinstance(value, str):
        def repl(m):
            if m.group(1) not in captured:
                raise KeyError("scenario placeholder ${%s} was never captured" % m.group(1))
            return str(captured[m.group(1)])
        return _PLACEHOLDER.sub(repl, value)
    if isinstance(value, list):
        return [substitute(v, captured) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, captured) for k, v in value.items()}
    return value


def dig(doc, dotted):
    for part in dotted.split("."):
        if not isinstance(doc, dict) or part not in doc:
            return None
        doc = doc[part]
    return doc


def capture(step, body, captured):
    for name, path in (step.get("capture") or {}).items():
        value = dig(body, path) if isinstance(body, dict) else None
        if value is not None:
            captured[name] = value


def b64_to_bytes(value):
    """For boto3: B and BS values are base64 in the scenario, bytes in the SDK."""
    if isinstance(value, list):
        return [b64_to_bytes(v) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "B" and isinstance(v, str):
                out[k] = base64.b64decode(v)
            elif k == "BS" and isinstance(v, list) and all(isinstance(x, str) for x in v):
                out[k] = [base64.b64decode(x) for x in v]
            else:
                out[k] = b64_to_bytes(v)
        return out
    return value


def _strip(value):
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _canon(value):
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def normalize_body(op, body):
    """Drop volatile fields; put unordered collections into a stable order."""
    if not isinstance(body, (dict, list)):
        return body
    body = _strip(copy.deepcopy(body))
    if isinstance(body, dict):
        if op == "BatchGetItem" and isinstance(body.get("Responses"), dict):
            for table, items in body["Responses"].items():
                if isinstance(items, list):
                    body["Responses"][table] = sorted(items, key=_canon)
        if isinstance(body.get("ConsumedCapacity"), list):
            body["ConsumedCapacity"] = sorted(body["ConsumedCapacity"], key=_canon)
        if op == "ListTagsOfResource" and isinstance(body.get("Tags"), list):
            body["Tags"] = sorted(body["Tags"], key=_canon)
    return body


def parse_raw_body(raw):
    """Raw response bytes -> JSON value, or the text when it is not JSON."""
    if raw is None:
        return None
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, (bytes, bytearray)) else raw
    if text == "":
        return ""
    try:
        return json.loads(text)
    except ValueError:
        return {"__raw_text__": text}


def error_fields(body):
    """DynamoDB JSON 1.0 errors: {"__type": "ns#Code", "message": "..."}."""
    if not isinstance(body, dict) or "__type" not in body:
        return None, None
    code = str(body["__type"]).split("#")[-1]
    message = body.get("message", body.get("Message"))
    return code, message


def crc32_ok(raw, header_value):
    if header_value is None:
        return None
    try:
        return (zlib.crc32(raw or b"") & 0xFFFFFFFF) == int(header_value)
    except ValueError:
        return False


def next_page_params(params, body):
    if not isinstance(body, dict) or not body.get("LastEvaluatedKey"):
        return None
    nxt = dict(params)
    nxt["ExclusiveStartKey"] = body["LastEvaluatedKey"]
    return nxt


def table_is_active(desc):
    table = (desc or {}).get("Table") or {}
    if table.get("TableStatus") != "ACTIVE":
        return False
    for index in table.get("GlobalSecondaryIndexes") or []:
        if index.get("IndexStatus") != "ACTIVE":
            return False
    return True


MAX_PAGES = 50


def add_common_arguments(parser):
    parser.add_argument("--endpoint", required=True, help="http(s)://host:port")
    tls = parser.add_mutually_exclusive_group()
    tls.add_argument("--ca-bundle", help="PEM file of the CA that signed the endpoint's certificate")
    tls.add_argument("--no-verify", action="store_true", help="do not verify the endpoint's certificate")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--access-key", default=os.environ.get("AWS_ACCESS_KEY_ID", "AKIDTEST"))
    parser.add_argument("--secret-key", default=os.environ.get("AWS_SECRET_ACCESS_KEY", "testsecret"))
    parser.add_argument("--scenario", help="scenario JSON file (default: scenario.json)")
    parser.add_argument("--steps-json", help="inline JSON list of steps, instead of --scenario")
    parser.add_argument("--max-attempts", type=int, default=None,
                        help="total attempts per call, including the first (default: the client's own)")
    parser.add_argument("--retry-mode", choices=["legacy", "standard", "adaptive"], default=None)
    parser.add_argument("--connect-timeout", type=float, default=5.0)
    parser.add_argument("--read-timeout", type=float, default=30.0)
    parser.add_argument("--output", help="write the result document here instead of stdout")


def emit(doc, output):
    text = json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False)
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        print(text)


def run_steps(call, steps, wait_active_seconds):
    """Runs the scenario's steps through `call(op, params) -> (record, body)`,
    the one part that differs between clients: waits for tables, follows
    pagination, captures values for later steps. Returns (results, timings)."""
    captured = {}
    results, timings = [], []
    for step in steps:
        op = step["op"]
        params = substitute(step.get("params", {}), captured)
        if op == "wait_active":
            deadline = time.monotonic() + wait_active_seconds
            while True:
                rec, body = call("DescribeTable", params)
                if table_is_active(body) or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            if not table_is_active(body):
                results.append(dict(rec, step=step["name"], wait_active="timeout"))
            continue
        page = 0
        while True:
            t0 = time.monotonic()
            rec, body = call(op, params)
            timings.append({"step": step["name"], "page": page, "seconds": round(time.monotonic() - t0, 3)})
            rec["step"] = step["name"]
            if step.get("paginate"):
                rec["page"] = page
            results.append(rec)
            capture(step, body, captured)
            params = next_page_params(params, body) if step.get("paginate") else None
            page += 1
            if params is None or page >= MAX_PAGES:
                break
    return results, timings
