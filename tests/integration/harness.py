"""Test harness for dynaudit's integration tests: real processes on 127.0.0.1.

- Dynalite: our dynalite_server.js (loopback only, port 0, optional TLS and
  on-disk data), stop by pid, kill() for crash tests, restart on the same port.
- TestCA: a throwaway CA and a server certificate for 127.0.0.1/localhost made
  with the openssl CLI.
- Dynaudit: writes a config (JSON, which is valid YAML) to a temp folder, starts
  the binary with --ready-file, reads the real ports from the ready file,
  collects its stderr log lines, stops it with SIGTERM and checks it exits 0.
- run_client(): runs one of the client drivers in clients/ as a subprocess.
- signed_request(): a hand-made SigV4-signed request (botocore's signer) over a
  raw socket, for the tests that need exact control of the bytes sent.

Standard library only (botocore is imported lazily, for signing).
"""

import copy
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
CLIENTS = os.path.join(HERE, "clients")
NODE = shutil.which("node") or "/usr/bin/node"
DEBIAN_PYTHON = "/usr/bin/python3"
AWSCLI_V2 = "/usr/bin/aws"
REGION = "us-east-1"

# Keys used across the tests. The client-side ones are only meaningful to a
# dynaudit in verify mode; dynalite accepts any key.
CLIENT_KEY = ("AKIDALICE", "alice-secret")
UPSTREAM_KEY = ("AKIDUPSTREAM", "upstreamsecret")


def dynaudit_bin():
    path = os.environ.get("DYNAUDIT_BIN") or os.path.join(REPO_ROOT, "build", "bin", "dynaudit")
    if not os.access(path, os.X_OK):
        raise RuntimeError(
            "dynaudit binary not found at %s: build it (./dev build) or set DYNAUDIT_BIN" % path)
    return path


def free_port():
    """A port that was free a moment ago (for restarts on a fixed port, demos)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def wait_until(predicate, timeout, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("timed out after %.1fs waiting for %s" % (timeout, what))


class _Process:
    """A child process we own: started in its own process group, stopped by pid."""

    def __init__(self, name, argv, workdir, env=None, stdout=subprocess.DEVNULL):
        self.name = name
        self.argv = argv
        self.stderr_path = os.path.join(workdir, "%s.stderr" % name)
        self._stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=self._stderr,
            env=env, cwd=workdir, start_new_session=True)
        self.pid = self.proc.pid

    def running(self):
        return self.proc.poll() is None

    def stderr_text(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def signal(self, sig):
        if self.running():
            os.kill(self.pid, sig)

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=15.0):
        """SIGTERM, then SIGKILL if it does not exit in time. Returns the exit code."""
        if self.running():
            os.kill(self.pid, signal.SIGTERM)
            if self.wait(timeout) is None:
                os.kill(self.pid, signal.SIGKILL)
                self.wait(10)
        self._close()
        return self.proc.returncode

    def kill(self):
        if self.running():
            os.kill(self.pid, signal.SIGKILL)
            self.wait(10)
        self._close()

    def _close(self):
        if self.proc.stdout:
            self.proc.stdout.close()
        if not self._stderr.closed:
            self._stderr.close()


class Dynalite:
    """dynalite on 127.0.0.1. With persist=True the tables live on disk, so a
    restart() (same port) finds them again."""

    def __init__(self, workdir, tls=None, persist=False, name="dynalite"):
        self.workdir = workdir
        self.tls = tls  # a TestCA, or None
        self.name = name
        self.data_dir = os.path.join(workdir, name + "-data") if persist else None
        self.port = 0
        self.process = None

    def start(self, timeout=20.0):
        argv = [NODE, os.path.join(HERE, "dynalite_server.js"), "--port", str(self.port)]
        if self.data_dir:
            os.makedirs(self.data_dir, exist_ok=True)
            argv += ["--path", self.data_dir]
        if self.tls:
            argv += ["--ssl-cert", self.tls.server_cert, "--ssl-key", self.tls.server_key]
        env = dict(os.environ, NODE_PATH=os.path.join(REPO_ROOT, "node_modules"))
        self.process = _Process(self.name, argv, self.workdir, env=env, stdout=subprocess.PIPE)
        line = _read_line_with_timeout(self.process.proc.stdout, timeout)
        if not line:
            self.process.kill()
            raise RuntimeError("dynalite did not start: %s" % self.process.stderr_text())
        info = json.loads(line)
        self.port = info["port"]
        return self

    @property
    def endpoint(self):
        return "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)

    @property
    def pid(self):
        return self.process.pid if self.process else None

    def stop(self):
        if self.process:
            self.process.stop()

    def kill(self):
        """Crash it (SIGKILL): in-flight requests see the connection drop."""
        if self.process:
            self.process.kill()

    def restart(self, timeout=20.0):
        """Start again on the same port (after stop() or kill())."""
        if self.process and self.process.running():
            self.process.stop()
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.start(timeout=timeout)
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


def _read_line_with_timeout(stream, timeout):
    result = []

    def reader():
        try:
            result.append(stream.readline())
        except ValueError:
            pass

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    t.join(timeout)
    if not result:
        return None
    return result[0].decode("utf-8", errors="replace").strip() if result[0] else None


class TestCA:
    """A CA and a server certificate (SAN IP:127.0.0.1, DNS:localhost), EC P-256,
    made with the openssl CLI in a temp folder."""

    def __init__(self, workdir, name="ca"):
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.ca_cert = os.path.join(self.dir, "ca.crt")
        self.ca_key = os.path.join(self.dir, "ca.key")
        self.server_cert = os.path.join(self.dir, "server.crt")
        self.server_key = os.path.join(self.dir, "server.key")
        ext = os.path.join(self.dir, "server.ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=critical,CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth\n"
                    "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        run = lambda *args: subprocess.run(  # noqa: E731
            ["openssl", *args], check=True, capture_output=True, timeout=60, cwd=self.dir)
        run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", self.ca_key, "-out", self.ca_cert, "-days", "2", "-subj", "/CN=dynaudit test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        csr = os.path.join(self.dir, "server.csr")
        run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", self.server_key, "-out", csr, "-subj", "/CN=localhost")
        run("x509", "-req", "-in", csr, "-CA", self.ca_cert, "-CAkey", self.ca_key, "-CAcreateserial",
            "-out", self.server_cert, "-days", "2", "-extfile", ext)

    def ssl_context(self):
        return ssl.create_default_context(cafile=self.ca_cert)


def deep_merge(base, override):
    out = copy.deepcopy(base)
    for k, v in (override or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        elif v is None:
            out.pop(k, None)
        else:
            out[k] = copy.deepcopy(v)
    return out


def write_credentials(path, keys):
    """keys: [(access_key_id, secret, principal, [groups])]."""
    doc = {"keys": [
        {"access_key_id": k, "secret_access_key": s, "principal": p, "groups": list(g)}
        for (k, s, p, g) in keys]}
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    return path


class Dynaudit:
    """One dynaudit process. Listeners: 'http' always, 'https' when tls (a
    TestCA) is given. upstream: a Dynalite, another Dynaudit, or a URL."""

    def __init__(self, workdir, upstream, name="dynaudit", mode="trust", tls=None,
                 credentials=None, upstream_key=UPSTREAM_KEY, upstream_ca=None,
                 overrides=None, extra_args=(), wrapper=()):
        self.workdir = os.path.join(workdir, name)
        os.makedirs(self.workdir, exist_ok=True)
        self.name = name
        self.tls = tls
        if isinstance(upstream, (Dynalite, Dynaudit)):
            upstream_url = upstream.endpoint
        else:
            upstream_url = upstream
        listeners = [{"name": "http", "address": "127.0.0.1", "port": 0}]
        if tls:
            listeners.append({"name": "https", "address": "127.0.0.1", "port": 0,
                              "tls": {"cert_file": tls.server_cert, "key_file": tls.server_key}})
        auth = {"mode": mode, "allowed_regions": [REGION], "max_clock_skew": "5m"}
        if credentials is not None:
            auth["credentials_file"] = write_credentials(
                os.path.join(self.workdir, "credentials.yaml"), credentials)
        upstream_cfg = {
            "endpoint": upstream_url,
            "region": REGION,
            "connect_timeout": "3s",
            "response_timeout": "30s",
            "credentials": {"source": "static", "access_key_id": upstream_key[0],
                            "secret_access_key": upstream_key[1]},
        }
        if upstream_ca:
            upstream_cfg["ca_file"] = upstream_ca
        config = {
            "listeners": listeners,
            "admin": {"address": "127.0.0.1", "port": 0},
            "workers": 2,
            "auth": auth,
            "upstream": upstream_cfg,
            "shutdown": {"drain_timeout": "5s"},
        }
        self.config = deep_merge(config, overrides)
        self.config_path = os.path.join(self.workdir, "dynaudit.yaml")
        with open(self.config_path, "w") as f:
            json.dump(self.config, f, indent=1)
        self.ready_path = os.path.join(self.workdir, "ready.json")
        self.extra_args = list(extra_args)
        self.wrapper = list(wrapper)  # argv before the binary: ["prlimit", "--nofile=256:256"]
        self.process = None
        self.ready = None

    def start(self, timeout=30.0):
        if os.path.exists(self.ready_path):
            os.unlink(self.ready_path)
        argv = [*self.wrapper, dynaudit_bin(), "serve", "--config", self.config_path,
                "--ready-file", self.ready_path, *self.extra_args]
        self.process = _Process(self.name, argv, self.workdir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.process.running():
                raise RuntimeError("%s exited with %s before it was ready; stderr:\n%s" % (
                    self.name, self.process.proc.returncode, self.process.stderr_text()[-4000:]))
            if os.path.exists(self.ready_path):
                try:
                    with open(self.ready_path) as f:
                        self.ready = json.load(f)
                    return self
                except ValueError:
                    pass  # written atomically, so this should not happen; retry
            time.sleep(0.05)
        self.process.kill()
        raise RuntimeError("%s did not write its ready file within %.0fs; stderr:\n%s" % (
            self.name, timeout, self.process.stderr_text()[-4000:]))

    def listener(self, name):
        for listener in self.ready["listeners"]:
            if listener["name"] == name:
                return listener
        raise KeyError("no listener named %r in ready file %s" % (name, self.ready))

    def port(self, name="http"):
        return self.listener(name)["port"]

    def url(self, name="http"):
        listener = self.listener(name)
        return "%s://127.0.0.1:%d" % ("https" if listener.get("tls") else "http", listener["port"])

    @property
    def endpoint(self):
        return self.url("http")

    @property
    def https_endpoint(self):
        return self.url("https")

    @property
    def admin_port(self):
        return self.ready["admin"]["port"]

    @property
    def pid(self):
        return self.process.pid if self.process else None

    def stderr_text(self):
        return self.process.stderr_text() if self.process else ""

    def log_records(self):
        """The JSON lines of its stderr (other lines are skipped)."""
        out = []
        for line in self.stderr_text().splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def stop(self, timeout=30.0):
        """SIGTERM; returns the exit code (None if it had to be killed)."""
        if not self.process or not self.process.running():
            return self.process.proc.returncode if self.process else None
        self.process.signal(signal.SIGTERM)
        rc = self.process.wait(timeout)
        if rc is None:
            self.process.kill()
            return None
        self.process._close()
        return rc

    def kill(self):
        """Crash it (SIGKILL) and wait until it is gone (crash tests)."""
        if self.process:
            self.process.kill()

    @property
    def audit_path(self):
        """The audit store folder: audit.path resolved against the config
        file's folder, as dynaudit resolves it."""
        path = (self.config.get("audit") or {}).get("path", "dynaudit-audit")
        return path if os.path.isabs(path) else os.path.join(os.path.dirname(self.config_path), path)

    def admin_get(self, path, timeout=5.0):
        conn = http.client.HTTPConnection("127.0.0.1", self.admin_port, timeout=timeout)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()


# ---- client drivers --------------------------------------------------------

CLIENT_KINDS = ("awscli-v2", "boto3-debian", "boto3-default", "js-sdk-v3")


def client_available(kind):
    if kind == "awscli-v2":
        return os.access(AWSCLI_V2, os.X_OK) and os.access(DEBIAN_PYTHON, os.X_OK)
    if kind == "boto3-debian":
        return subprocess.run([DEBIAN_PYTHON, "-c", "import boto3"], capture_output=True,
                              timeout=60).returncode == 0
    if kind == "boto3-default":
        return True
    if kind == "js-sdk-v3":
        return os.path.isdir(os.path.join(REPO_ROOT, "node_modules", "@aws-sdk", "client-dynamodb"))
    raise ValueError(kind)


def client_command(kind):
    if kind == "awscli-v2":
        return [DEBIAN_PYTHON, os.path.join(CLIENTS, "awscli_scenario.py"), "--aws", AWSCLI_V2]
    if kind == "boto3-debian":
        return [DEBIAN_PYTHON, os.path.join(CLIENTS, "boto3_scenario.py")]
    if kind == "boto3-default":
        return [sys.executable, os.path.join(CLIENTS, "boto3_scenario.py")]
    if kind == "js-sdk-v3":
        return [NODE, os.path.join(CLIENTS, "js_scenario.mjs")]
    raise ValueError(kind)


def run_client(kind, endpoint, ca_bundle=None, key=CLIENT_KEY, steps=None, scenario=None,
               extra_args=(), timeout=300.0):
    """Run a driver; return its result document (dict with client, results, timings)."""
    fd, out_path = tempfile.mkstemp(prefix="dynaudit-%s-" % kind, suffix=".json")
    os.close(fd)
    argv = client_command(kind) + ["--endpoint", endpoint, "--access-key", key[0],
                                   "--secret-key", key[1], "--region", REGION, "--output", out_path]
    if ca_bundle:
        argv += ["--ca-bundle", ca_bundle]
    if steps is not None:
        argv += ["--steps-json", json.dumps(steps)]
    elif scenario:
        argv += ["--scenario", scenario]
    argv += list(extra_args)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["NODE_NO_WARNINGS"] = "1"
    if ca_bundle:
        env["NODE_EXTRA_CA_CERTS"] = ca_bundle
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, cwd=HERE)
        if proc.returncode != 0:
            raise AssertionError("%s driver failed (rc=%d):\n%s\n%s" % (
                kind, proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
        with open(out_path, encoding="utf-8") as f:
            return json.load(f)
    finally:
        os.unlink(out_path)


def results_only(doc):
    return doc["results"]


# ---- hand-made requests ----------------------------------------------------

def sign_headers(url, body, target, key=CLIENT_KEY, region=REGION, when=None, extra_headers=None):
    """SigV4-sign a DynamoDB JSON request with botocore's signer; returns the
    header dict to send. `when` (a naive UTC datetime) signs at another time."""
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target}
    headers.update(extra_headers or {})
    req = AWSRequest(method="POST", url=url, data=body, headers=headers)
    signer = botocore.auth.SigV4Auth(Credentials(key[0], key[1]), "dynamodb", region)
    if when is not None:
        if hasattr(botocore.auth, "get_current_datetime"):
            saved = botocore.auth.get_current_datetime
            botocore.auth.get_current_datetime = lambda *a, **k: when
            try:
                signer.add_auth(req)
            finally:
                botocore.auth.get_current_datetime = saved
        else:
            import datetime as _dt
            import types

            class Fixed(_dt.datetime):
                @classmethod
                def utcnow(cls):
                    return when
            shim = types.ModuleType("datetime")
            shim.__dict__.update(_dt.__dict__)
            shim.datetime = Fixed
            saved = botocore.auth.datetime
            botocore.auth.datetime = shim
            try:
                signer.add_auth(req)
            finally:
                botocore.auth.datetime = saved
    else:
        signer.add_auth(req)
    return dict(req.headers.items())


class RawResponse:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value)
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "RawResponse(%d %s, %r, %r)" % (self.status, self.reason, self.headers, self.body[:500])


def post(url, body, headers, timeout=10.0, ssl_context=None):
    """One POST / with http.client; returns RawResponse."""
    from urllib.parse import urlsplit
    u = urlsplit(url)
    if u.scheme == "https":
        conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=timeout, context=ssl_context)
    else:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        r = conn.getresponse()
        return RawResponse(r.status, r.reason, r.getheaders(), r.read())
    finally:
        conn.close()


def signed_post(url, payload, target, key=CLIENT_KEY, when=None, timeout=10.0, ssl_context=None,
                extra_headers=None):
    body = payload if isinstance(payload, (bytes, bytearray)) else json.dumps(payload).encode()
    headers = sign_headers(url, body, target, key=key, when=when, extra_headers=extra_headers)
    return post(url, body, headers, timeout=timeout, ssl_context=ssl_context)


# ---- a scripted upstream ---------------------------------------------------

class CaptureUpstream:
    """An in-process HTTP/1.1 upstream on 127.0.0.1 that records each request
    (method, target, header list, body) and answers from a queue of scripted
    responses (status, [(name, value)], body); the last one repeats."""

    def __init__(self, responses, delay=0.0, by_target=None):
        import http.server
        self.delay = delay  # seconds to wait before answering (drain tests)
        self.requests = []
        self.responses = list(responses)
        # {X-Amz-Target: response}: answered without taking from the queue
        # (the proxy's own DescribeTable, say).
        self.by_target = dict(by_target or {})
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                outer.requests.append({"method": self.command, "target": self.path,
                                       "headers": list(self.headers.items()), "body": body})
                target = self.headers.get("X-Amz-Target")
                if target in outer.by_target:
                    status, headers, rbody = outer.by_target[target]
                else:
                    status, headers, rbody = outer.responses[0] if len(outer.responses) == 1 else outer.responses.pop(0)
                if outer.delay:
                    time.sleep(outer.delay)
                self.send_response_only(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(rbody)))
                self.end_headers()
                self.wfile.write(rbody)

            do_GET = do_POST

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

    def header(self, index, name):
        for k, v in self.requests[index]["headers"]:
            if k.lower() == name.lower():
                return v
        return None

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def dynamodb_response(status, body, request_id="REQID0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789AB", extra=()):
    import zlib
    headers = [("x-amzn-RequestId", request_id), ("x-amz-crc32", str(zlib.crc32(body) & 0xFFFFFFFF)),
               ("Content-Type", "application/x-amz-json-1.0"), ("Date", "Sun, 29 Nov 2026 12:00:00 GMT")]
    return status, headers + list(extra), body


# ---- test base class ---------------------------------------------------------

class IntegrationTest(unittest.TestCase):
    """Gives each test a temp folder and stops every process it started, by pid."""

    maxDiff = None

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="dynaudit-it-")
        self.addCleanup(self._remove_tmp)

    def _remove_tmp(self):
        if os.environ.get("DYNAUDIT_KEEP_TMP"):
            sys.stderr.write("kept %s\n" % self.tmp)
            return
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start_dynalite(self, tls=None, persist=False, name="dynalite"):
        d = Dynalite(self.tmp, tls=tls, persist=persist, name=name)
        self.addCleanup(d.stop)  # cleanup runs even if start() fails half way
        return d.start()

    def start_dynaudit(self, upstream, check_exit=True, **kwargs):
        d = Dynaudit(self.tmp, upstream, **kwargs)
        self.addCleanup(self._stop_dynaudit, d, check_exit)
        return d.start()

    def _stop_dynaudit(self, d, check_exit):
        if not d.process:
            return
        rc = d.stop()
        if check_exit:
            self.assertEqual(rc, 0, "%s (pid %d) did not exit 0 on SIGTERM (rc=%r); stderr tail:\n%s" % (
                d.name, d.pid, rc, d.stderr_text()[-3000:]))

    def start_capture_upstream(self, responses, delay=0.0, by_target=None):
        u = CaptureUpstream(responses, delay=delay, by_target=by_target)
        self.addCleanup(u.stop)
        return u

    def make_ca(self, name="ca"):
        return TestCA(self.tmp, name=name)


# ---- the audit store (for the test_audit_* files) ---------------------------

def tamper_bin():
    """tests/tools/audit_tamper: edits a store's RocksDB behind dynaudit's back."""
    path = os.environ.get("DYNAUDIT_TAMPER") or os.path.join(REPO_ROOT, "build", "bin", "audit_tamper")
    if not os.access(path, os.X_OK):
        raise RuntimeError("audit_tamper not found at %s: build it (ninja audit_tamper) or set DYNAUDIT_TAMPER" % path)
    return path


def audit_cli(*args, timeout=300.0):
    """Runs `dynaudit audit ARGS...`; returns the CompletedProcess (text)."""
    return subprocess.run([dynaudit_bin(), "audit", *[str(a) for a in args]], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def audit_records(store, *filters, timeout=300.0):
    """Every record `dynaudit audit query --format jsonl` returns, as dicts."""
    proc = audit_cli("query", "--store", store, "--format", "jsonl", *filters, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError("audit query failed (rc=%d): %s" % (proc.returncode, proc.stderr))
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def audit_verify(store, *args, timeout=300.0):
    return audit_cli("verify", "--store", store, *args, timeout=timeout)


# ---- alert receivers (for test_alerts / test_rules) -------------------------

class WebhookReceiver:
    """A real HTTP/1.1 server on 127.0.0.1 that records every POST (path,
    headers, parsed JSON body) and answers `status`."""

    def __init__(self, status=200):
        import http.server
        self.status = status
        self.posts = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                try:
                    parsed = json.loads(body.decode("utf-8"))
                except ValueError:
                    parsed = None
                with outer.lock:
                    outer.posts.append({"path": self.path, "headers": dict(self.headers.items()),
                                        "raw": body, "json": parsed})
                self.send_response_only(outer.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hook"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def received(self, path=None):
        with self.lock:
            return [p for p in self.posts if path is None or p["path"] == path]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never answers: a webhook that hangs."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.stopped = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def url(self):
        return "http://127.0.0.1:%d/hook" % self.port

    def stop(self):
        self.stopped = True
        self.sock.close()
        for c in self.conns:
            c.close()


class SyslogReceiver:
    """RFC 5424 receiver on 127.0.0.1: UDP (one message per datagram) or TCP
    with octet-counting framing (RFC 6587). Collects messages as text."""

    def __init__(self, transport="udp"):
        self.transport = transport
        self.messages = []
        self.lock = threading.Lock()
        self.stopped = False
        kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
        self.sock = socket.socket(socket.AF_INET, kind)
        self.sock.bind(("127.0.0.1", 0))
        if transport == "tcp":
            self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.2)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _add(self, data):
        with self.lock:
            self.messages.append(data.decode("utf-8", "replace"))

    def _run(self):
        while not self.stopped:
            try:
                if self.transport == "udp":
                    data, _ = self.sock.recvfrom(65536)
                    self._add(data)
                else:
                    conn, _ = self.sock.accept()
                    threading.Thread(target=self._read_stream, args=(conn,), daemon=True).start()
            except socket.timeout:
                continue
            except OSError:
                return

    def _read_stream(self, conn):
        buf = b""
        conn.settimeout(0.2)
        while not self.stopped:
            try:
                chunk = conn.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            while b" " in buf:
                length_text, rest = buf.split(b" ", 1)
                if not length_text.isdigit():
                    self._add(b"BAD FRAME: " + buf)
                    buf = b""
                    break
                n = int(length_text)
                if len(rest) < n:
                    break
                self._add(rest[:n])
                buf = rest[n:]
        conn.close()

    def received(self):
        with self.lock:
            return list(self.messages)

    def stop(self):
        self.stopped = True
        self.sock.close()
