#!/usr/bin/env python3
"""Runs a DynamoDB scenario with the AWS CLI (v2 by default: /usr/bin/aws),
one `aws dynamodb <operation> --cli-input-json ...` process per call, and
prints one JSON document of normalized results: the exit code, the error code,
message and retry count the CLI reported on stderr, and the JSON it printed on
stdout (what a user of the CLI sees), minus the fields that differ run to run.

  python3 awscli_scenario.py --endpoint URL [--ca-bundle PEM | --no-verify] [--aws /usr/bin/aws]
"""

import argparse
import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenario_lib as lib  # noqa: E402

ERROR_RE = re.compile(
    r"An error occurred \((?P<code>[^)]*)\) when calling the (?P<op>\w+) operation"
    r"(?: \(reached max retries: (?P<retries>\d+)\))?(?::\s*(?P<message>.*))?$",
    re.DOTALL,
)


def kebab(op):
    return re.sub(r"(?<!^)(?=[A-Z])", "-", op).lower()


class Runner:
    def __init__(self, args):
        self.args = args
        self.home = tempfile.mkdtemp(prefix="dynaudit-awscli-")
        atexit.register(shutil.rmtree, self.home, True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({
            "AWS_ACCESS_KEY_ID": args.access_key,
            "AWS_SECRET_ACCESS_KEY": args.secret_key,
            "AWS_DEFAULT_REGION": args.region,
            # Hermetic: never read the machine's ~/.aws.
            "AWS_CONFIG_FILE": os.path.join(self.home, "config"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(self.home, "credentials"),
            "AWS_PAGER": "",
            "HOME": self.home,
        })
        if args.max_attempts is not None:
            env["AWS_MAX_ATTEMPTS"] = str(args.max_attempts)
        if args.retry_mode:
            env["AWS_RETRY_MODE"] = args.retry_mode
        self.env = env
        self.version = subprocess.run(
            [args.aws, "--version"], env=env, capture_output=True, text=True, timeout=60
        ).stdout.strip()

    def call(self, op, params):
        a = self.args
        cmd = [a.aws, "dynamodb", kebab(op), "--cli-input-json", json.dumps(params),
               "--endpoint-url", a.endpoint, "--region", a.region, "--output", "json",
               "--cli-connect-timeout", str(max(1, round(a.connect_timeout))),
               "--cli-read-timeout", str(max(1, round(a.read_timeout)))]
        if op in ("Query", "Scan", "ListTables", "ListTagsOfResource", "BatchGetItem", "BatchWriteItem"):
            cmd.append("--no-paginate")  # the driver follows LastEvaluatedKey itself
        if a.ca_bundle:
            cmd += ["--ca-bundle", a.ca_bundle]
        elif a.no_verify:
            cmd.append("--no-verify-ssl")
        try:
            proc = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=a.process_timeout)
        except subprocess.TimeoutExpired:
            return {"op": op, "exception": "TimeoutExpired"}, None
        record = {"op": op, "rc": proc.returncode}
        stderr = "\n".join(l for l in proc.stderr.splitlines()
                           if "InsecureRequestWarning" not in l and "urllib3" not in l).strip()
        body = None
        if proc.returncode == 0:
            out = proc.stdout.strip()
            body = json.loads(out) if out else ""
            record.update({"error_code": None, "error_message": None, "retries": None,
                           "output": lib.normalize_body(op, body)})
        else:
            m = ERROR_RE.search(stderr)
            if m:
                record.update({
                    "error_code": m.group("code"),
                    "error_message": (m.group("message") or "").strip() or None,
                    "retries": int(m.group("retries")) if m.group("retries") else 0,
                })
            else:
                record.update({"error_code": None, "stderr": stderr})
        return record, body


def run(args):
    runner = Runner(args)
    steps = lib.load_steps(args)
    results, timings = lib.run_steps(runner.call, steps, wait_active_seconds=30)
    return {"client": runner.version, "results": results, "timings": timings}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    lib.add_common_arguments(parser)
    parser.add_argument("--aws", default="/usr/bin/aws", help="the aws executable (default: AWS CLI v2)")
    parser.add_argument("--process-timeout", type=float, default=120.0)
    args = parser.parse_args()
    lib.emit(run(args), args.output)


if __name__ == "__main__":
    main()
