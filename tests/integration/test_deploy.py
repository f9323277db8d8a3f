"""deploy/: the Grafana dashboard, the Prometheus alert rules and configs, the
compose and Kubernetes sidecar setups, checked with the real tools.

- promtool accepts the alert rules and the Prometheus configs, and every alert
  fires (and stays quiet) as meant on synthetic series (`promtool test rules`,
  cases below).
- Every alert expression, dashboard query and Grafana variable query names only
  metrics a live dynaudit exposes (its /metrics `# TYPE` lines), plus
  Prometheus' own `up` and one family still being added; every dashboard query
  parses (promtool, as recording rules).
- A real Prometheus scraping a live dynaudit (run with the Kubernetes
  ConfigMap's config) loads the rules with health ok, answers every dashboard
  query with data, has no alert pending while all is well, and turns
  DynauditRulesReloadFailing pending when a rule file is broken.
- The compose and Kubernetes files parse and hold what a sidecar needs (probes on
  the admin port, hardened securityContext, read-only config and secrets, the
  audit store on a volume, preStop and grace period above the drain timeout, no
  secret committed), and the dynaudit configs they mount pass --check-config and
  serve: each is run by the real binary with only its listener ports, bind
  addresses and absolute paths moved into a temp folder, its secrets made by
  deploy/make-secrets.sh, and dynalite as the upstream (--upstream-endpoint); the
  example application's script runs against it with the AWS CLI.

No container engine or Kubernetes API runs here: the images, `docker compose` and
`kubectl apply` themselves are not exercised (deploy/README.md says so).
"""

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse
import urllib.request

import harness as h

DEPLOY = os.path.join(h.REPO_ROOT, "deploy")
ALERTS = os.path.join(DEPLOY, "prometheus", "dynaudit-alerts.yml")
PROMETHEUS_YML = os.path.join(DEPLOY, "prometheus", "prometheus.yml")
K8S_SCRAPE_YML = os.path.join(DEPLOY, "kubernetes", "prometheus-scrape.yml")
DASHBOARD = os.path.join(DEPLOY, "grafana", "dynaudit-dashboard.json")
COMPOSE_DIR = os.path.join(DEPLOY, "compose")
COMPOSE = os.path.join(COMPOSE_DIR, "docker-compose.yml")
K8S = os.path.join(DEPLOY, "kubernetes", "dynaudit-sidecar.yaml")
MAKE_SECRETS = os.path.join(DEPLOY, "make-secrets.sh")
WORKER = os.path.join(COMPOSE_DIR, "app", "orders-worker.sh")
PROMTOOL = "/usr/bin/promtool"
PROMETHEUS = "/usr/bin/prometheus"
TABLE = "orders"

# Names a query may use that a dynaudit's /metrics does not list:
BUILTIN_NAMES = {"up"}  # Prometheus' own, per target

# The alerts the deployment must have, and the metric each one watches.
REQUIRED_ALERTS = {
    "DynauditAuditStoreUnhealthy": "dynaudit_audit_store_healthy",
    "DynauditRefusingCalls": "dynaudit_audit_refusing_calls",
    "DynauditAuditWitnessNotWritten": "dynaudit_audit_witness_healthy",
    "DynauditUnrecordedCalls": "dynaudit_audit_unrecorded_calls_total",
    "DynauditAlertChannelFailing": "dynaudit_alerts_total",
    "DynauditHighErrorRate": "dynaudit_requests_total",
    "DynauditLatencyP99High": "dynaudit_request_duration_seconds_bucket",
    "DynauditRulesReloadFailing": "dynaudit_rules_last_reload_ok",
    "DynauditCertificateExpiresSoon": "dynaudit_tls_certificate_expiry_timestamp_seconds",
    "DynauditTargetDown": "up",
}

# Metric families the dashboard must show (issue 13's panel list).
DASHBOARD_METRICS = {
    "dynaudit_requests_total", "dynaudit_request_duration_seconds_bucket",
    "dynaudit_upstream_duration_seconds_bucket", "dynaudit_errors_total", "dynaudit_auth_failures_total",
    "dynaudit_rule_matches_total", "dynaudit_masked_replies_total", "dynaudit_connections_open",
    "dynaudit_requests_in_flight", "dynaudit_connections_refused_total", "dynaudit_audit_store_healthy",
    "dynaudit_audit_refusing_calls", "dynaudit_audit_witness_healthy", "dynaudit_audit_unrecorded_calls_total",
    "dynaudit_audit_group_commits_total", "dynaudit_rules_loaded", "dynaudit_rules_reloads_total",
    "dynaudit_rules_reload_failures_total", "dynaudit_alerts_total", "process_resident_memory_bytes",
    "process_cpu_seconds_total", "process_open_fds",
}


# ---- YAML ------------------------------------------------------------------

def yaml_load_all(path):
    """Every document of a YAML file. PyYAML when this interpreter has it, else
    Debian's /usr/bin/python3 (python3-yaml) through JSON."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return yaml_load_all_text(text)


def yaml_load_all_text(text):
    try:
        import yaml
    except ImportError:
        proc = subprocess.run(
            [h.DEBIAN_PYTHON, "-c", "import json, sys, yaml; json.dump(list(yaml.safe_load_all(sys.stdin)), sys.stdout)"],
            input=text, capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            raise AssertionError("no PyYAML under %s nor %s: %s" % (sys.executable, h.DEBIAN_PYTHON, proc.stderr))
        return json.loads(proc.stdout)
    return list(yaml.safe_load_all(text))


def yaml_load(path):
    docs = [d for d in yaml_load_all(path) if d is not None]
    assert len(docs) == 1, "%s: expected one YAML document, found %d" % (path, len(docs))
    return docs[0]


def duration_seconds(text):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)", str(text).strip())
    assert m, "not a duration: %r" % text
    return float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m.group(2)]


# ---- PromQL and the exposition -----------------------------------------------

PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
                   "unless", "offset", "inf", "nan", "start", "end", "atan2"}


def promql_metric_names(expr):
    """The metric names a PromQL expression selects. Without a parser: drop
    comments, string literals, {label matchers}, [ranges] and [subqueries],
    by/without/on/ignoring/group_x (label lists), then every identifier that is
    not a keyword, not followed by "(" (a function or aggregation) and not part
    of a number or duration (1e3, 5m) is a metric name."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', " ", expr)
    s = re.sub(r"#[^\n]*", " ", s)
    s = re.sub(r"\{[^{}]*\}", " ", s)
    s = re.sub(r"\[[^\[\]]*\]", " ", s)
    s = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", " ", s)
    names = set()
    for m in re.finditer(r"(?<![\w.:])[a-zA-Z_:][a-zA-Z0-9_:]*", s):
        word = m.group(0)
        if re.match(r"\s*\(", s[m.end():]) or word.lower() in PROMQL_KEYWORDS:
            continue
        names.add(word)
    return names


GRAFANA_VALUES = {
    # the values a query gets in Grafana, in a form Prometheus accepts
    "__rate_interval": "15s", "__interval": "15s", "__range": "1h", "__range_s": "3600",
    "job": "dynaudit", "instance": ".+",
}


def grafana_substitute(expr, values=GRAFANA_VALUES):
    """$var, ${var} and ${var:format} replaced; an unknown variable is an error."""
    def repl(m):
        name = m.group(1) or m.group(2)
        if name not in values:
            raise AssertionError("unknown Grafana variable $%s in %r" % (name, expr))
        return values[name]
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", repl, expr)


def exposition_names(text):
    """Sample names a Prometheus scraping this page stores: from the # TYPE lines
    (counters end in _total, histograms are _bucket/_sum/_count, summaries
    name/_sum/_count), plus every sample line's name."""
    names = set()
    for line in text.splitlines():
        m = re.match(r"# TYPE (\S+) (\S+)$", line)
        if m:
            name, kind = m.groups()
            if kind == "counter":
                names.add(name if name.endswith("_total") else name + "_total")
            elif kind == "histogram":
                names |= {name + "_bucket", name + "_sum", name + "_count"}
            elif kind == "summary":
                names |= {name, name + "_sum", name + "_count"}
            else:
                names.add(name)
        elif line and not line.startswith("#"):
            names.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    return names


def alert_rules():
    doc = yaml_load(ALERTS)
    return [(g["name"], r) for g in doc["groups"] for r in g["rules"]]


def dashboard():
    with open(DASHBOARD, encoding="utf-8") as f:
        return json.load(f)


def dashboard_panels(dash):
    out = []
    for p in dash["panels"]:
        out.append(p)
        out.extend(p.get("panels", []))  # a collapsed row keeps its panels inside
    return out


def dashboard_exprs(dash):
    """[(where, expr)] for every panel target and every query variable."""
    out = []
    for p in dashboard_panels(dash):
        for t in p.get("targets", []):
            out.append(("panel %s %r target %s" % (p["id"], p.get("title"), t.get("refId")), t["expr"]))
    for v in dash["templating"]["list"]:
        if v["type"] != "query":
            continue
        q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
        m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\s*\)\s*", q)
        assert m, "variable %s: only label_values(selector, label) is expected: %r" % (v["name"], q)
        out.append(("variable %s" % v["name"], m.group(1)))
    return out


def run(argv, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, **kwargs)


# ---- the alert rules on synthetic series (promtool test rules) --------------

INST = 'job="dynaudit",instance="orders-0"'
OTHER = 'job="dynaudit",instance="orders-1"'
REQ = 'operation="GetItem",table="orders",decision="allow"'


def _fires(name, at, severity, **labels):
    base = {"severity": severity, "job": "dynaudit", "instance": "orders-0"}
    base.update(labels)
    return {"eval_time": at, "alertname": name, "exp_alerts": [{"exp_labels": base}]}


def _quiet(name, at):
    return {"eval_time": at, "alertname": name, "exp_alerts": []}


# (input series, alert tests): each alert fires when it should, not before its
# `for`, and not on a look-alike that should not page. Series every 15 s.
ALERT_CASES = [
    ([("dynaudit_audit_store_healthy{%s}" % INST, "1 0x20")],
     [_quiet("DynauditAuditStoreUnhealthy", "45s"), _fires("DynauditAuditStoreUnhealthy", "2m", "critical")]),
    ([("dynaudit_audit_refusing_calls{%s}" % INST, "0 1x20"), ("dynaudit_audit_refusing_calls{%s}" % OTHER, "0x20")],
     [_fires("DynauditRefusingCalls", "2m", "critical")]),
    ([("dynaudit_audit_witness_healthy{%s}" % INST, "1 0x20")],
     [_quiet("DynauditAuditWitnessNotWritten", "1m"), _fires("DynauditAuditWitnessNotWritten", "3m", "critical")]),
    ([("dynaudit_audit_unrecorded_calls_total{%s}" % INST, "0 0 0 3x20"),
      ("dynaudit_audit_unrecorded_calls_total{%s}" % OTHER, "0x20")],
     [_quiet("DynauditUnrecordedCalls", "15s"), _fires("DynauditUnrecordedCalls", "1m", "critical")]),
    ([("dynaudit_audit_failed_appends_total{%s}" % INST, "0 0 2x20")],
     [_fires("DynauditAuditAppendsFailing", "1m", "warning")]),
    ([('up{%s}' % INST, "1 0x20"), ('up{job="node",instance="n1"}', "0x20")],
     [_quiet("DynauditTargetDown", "1m"), _fires("DynauditTargetDown", "3m", "critical")]),
    ([('up{job="node",instance="n1"}', "1x60")],
     [{"eval_time": "11m", "alertname": "DynauditTargetMissing",
       "exp_alerts": [{"exp_labels": {"severity": "warning", "job": "dynaudit"}}]}]),
    # 50 % 5xx at 8 calls/s fires after 10 minutes; the same share at 0.067 calls/s
    # (one call every 15 s, every other one failing) and a healthy instance do not.
    ([("dynaudit_requests_total{%s,%s,outcome=\"upstream_error\",code=\"5xx\"}" % (INST, REQ), "0+60x100"),
      ("dynaudit_requests_total{%s,%s,outcome=\"forwarded\",code=\"2xx\"}" % (INST, REQ), "0+60x100"),
      ("dynaudit_requests_total{%s,%s,outcome=\"upstream_error\",code=\"5xx\"}" % (OTHER, REQ), "0+0.5x100"),
      ("dynaudit_requests_total{%s,%s,outcome=\"forwarded\",code=\"2xx\"}" % (OTHER, REQ), "0+0.5x100"),
      ('dynaudit_requests_total{job="dynaudit",instance="orders-2",%s,outcome="forwarded",code="2xx"}' % REQ,
       "0+60x100")],
     [_quiet("DynauditHighErrorRate", "8m"), _fires("DynauditHighErrorRate", "17m", "warning")]),
    # p99 between 250 and 500 ms at 4 calls/s fires; a fast instance does not.
    ([('dynaudit_request_duration_seconds_bucket{%s,operation="GetItem",le="0.1"}' % INST, "0x100"),
      ('dynaudit_request_duration_seconds_bucket{%s,operation="GetItem",le="0.25"}' % INST, "0x100"),
      ('dynaudit_request_duration_seconds_bucket{%s,operation="GetItem",le="0.5"}' % INST, "0+60x100"),
      ('dynaudit_request_duration_seconds_bucket{%s,operation="GetItem",le="+Inf"}' % INST, "0+60x100"),
      ("dynaudit_requests_total{%s,%s,outcome=\"forwarded\",code=\"2xx\"}" % (INST, REQ), "0+60x100"),
      ('dynaudit_request_duration_seconds_bucket{%s,operation="GetItem",le="0.1"}' % OTHER, "0+60x100"),
      ('dynaudit_request_duration_seconds_bucket{%s,operation="GetItem",le="+Inf"}' % OTHER, "0+60x100"),
      ("dynaudit_requests_total{%s,%s,outcome=\"forwarded\",code=\"2xx\"}" % (OTHER, REQ), "0+60x100")],
     [_quiet("DynauditLatencyP99High", "8m"), _fires("DynauditLatencyP99High", "17m", "warning")]),
    ([("dynaudit_rules_last_reload_ok{%s}" % INST, "1 0x20"), ("dynaudit_rules_last_reload_ok{%s}" % OTHER, "1x20")],
     [_quiet("DynauditRulesReloadFailing", "1m"), _fires("DynauditRulesReloadFailing", "3m", "warning")]),
    ([('dynaudit_alerts_total{%s,channel="soc-slack",result="failed"}' % INST, "0 0 1x20"),
      ('dynaudit_alerts_total{%s,channel="soc-slack",result="delivered"}' % INST, "0+5x20"),
      ('dynaudit_alerts_total{%s,channel="security",result="delivered"}' % INST, "0+5x20"),
      ('dynaudit_alerts_total{%s,channel="security",result="suppressed"}' % INST, "0+5x20")],
     [_fires("DynauditAlertChannelFailing", "1m", "warning", channel="soc-slack")]),
    # Evaluation starts at t=0: time() is the eval time. https expires at 10 days,
    # mtls at 1 day, legacy at 30 days.
    ([('dynaudit_tls_certificate_expiry_timestamp_seconds{%s,listener="https"}' % INST, "864000x300"),
      ('dynaudit_tls_certificate_expiry_timestamp_seconds{%s,listener="mtls"}' % INST, "86400x300"),
      ('dynaudit_tls_certificate_expiry_timestamp_seconds{%s,listener="legacy"}' % INST, "2592000x300")],
     [_quiet("DynauditCertificateExpiresSoon", "30m"),
      {"eval_time": "61m", "alertname": "DynauditCertificateExpiresSoon", "exp_alerts": [
          {"exp_labels": {"severity": "warning", "job": "dynaudit", "instance": "orders-0", "listener": "https"}},
          {"exp_labels": {"severity": "warning", "job": "dynaudit", "instance": "orders-0", "listener": "mtls"}}]},
      _fires("DynauditCertificateExpiresVerySoon", "11m", "critical", listener="mtls")]),
]


class StaticDeployTest(unittest.TestCase):
    """The files themselves, with promtool and a YAML parser; no process of ours."""

    maxDiff = None

    def setUp(self):
        self.assertTrue(os.access(PROMTOOL, os.X_OK), "promtool (Debian package prometheus) is installed by ./dev setup")
        self.tmp = tempfile.mkdtemp(prefix="dynaudit-deploy-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    # -- Prometheus ----------------------------------------------------------

    def test_promtool_accepts_the_alert_rules(self):
        p = run([PROMTOOL, "check", "rules", ALERTS])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("SUCCESS: %d rules found" % len(alert_rules()), p.stdout)

    def test_promtool_accepts_the_prometheus_configs(self):
        p = run([PROMTOOL, "check", "config", PROMETHEUS_YML])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("SUCCESS: 1 rule files found", p.stdout)  # dynaudit-alerts.yml, relative to it
        doc = yaml_load(PROMETHEUS_YML)
        self.assertEqual([s["job_name"] for s in doc["scrape_configs"]], ["dynaudit"])
        # Debian's promtool is built without Kubernetes service discovery: check
        # the Kubernetes job with its kubernetes_sd_configs swapped for a static
        # target (everything else, relabelling included, as written).
        k8s = yaml_load(K8S_SCRAPE_YML)
        job = k8s["scrape_configs"][0]
        self.assertEqual(job["job_name"], "dynaudit")
        self.assertEqual(job["kubernetes_sd_configs"][0]["role"], "pod")
        swapped = copy.deepcopy(k8s)
        del swapped["scrape_configs"][0]["kubernetes_sd_configs"]
        swapped["scrape_configs"][0]["static_configs"] = [{"targets": ["127.0.0.1:9901"]}]
        swapped["rule_files"] = [os.path.normpath(os.path.join(os.path.dirname(K8S_SCRAPE_YML), f))
                                 for f in k8s["rule_files"]]
        path = os.path.join(self.tmp, "prometheus-scrape.yml")
        with open(path, "w") as f:
            json.dump(swapped, f)
        p = run([PROMTOOL, "check", "config", path])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_alert_rules_are_complete(self):
        rules = alert_rules()
        names = [r.get("alert") for _, r in rules]
        self.assertEqual(len(names), len(set(names)), "duplicate alert names: %s" % names)
        for group, r in rules:
            with self.subTest(alert=r.get("alert")):
                self.assertIn("alert", r, "%s: only alerting rules here" % group)
                self.assertIn("for", r)
                self.assertIn(r.get("labels", {}).get("severity"), ("critical", "warning"))
                for key in ("summary", "description", "runbook"):
                    self.assertTrue(r.get("annotations", {}).get(key, "").strip(), "annotation %s missing" % key)
        by_name = {r["alert"]: r for _, r in rules}
        for alert, metric in REQUIRED_ALERTS.items():
            with self.subTest(required=alert):
                self.assertIn(alert, by_name)
                self.assertIn(metric, promql_metric_names(by_name[alert]["expr"]))
        self.assertIn("0.25", by_name["DynauditLatencyP99High"]["expr"])           # the 250 ms SLO
        self.assertIn("14 * 86400", by_name["DynauditCertificateExpiresSoon"]["expr"])  # 14 days
        self.assertIn('up{job="dynaudit"} == 0', by_name["DynauditTargetDown"]["expr"])

    def test_alerts_fire_as_meant_on_synthetic_series(self):
        # A copy without annotations: promtool compares them too, and their text
        # is not what these cases are about (check rules validates the templates).
        doc = yaml_load(ALERTS)
        for g in doc["groups"]:
            for r in g["rules"]:
                r.pop("annotations", None)
        with open(os.path.join(self.tmp, "alerts.yml"), "w") as f:
            json.dump(doc, f)
        tests = {"rule_files": ["alerts.yml"], "evaluation_interval": "15s", "tests": [
            {"interval": "15s", "input_series": [{"series": s, "values": v} for s, v in series],
             "alert_rule_test": cases} for series, cases in ALERT_CASES]}
        covered = {c["alertname"] for _, cases in ALERT_CASES for c in cases}
        self.assertEqual(covered, {r["alert"] for _, r in alert_rules()}, "every alert needs a case")
        with open(os.path.join(self.tmp, "alerts.test.yml"), "w") as f:
            json.dump(tests, f, indent=1)
        p = run([PROMTOOL, "test", "rules", "alerts.test.yml"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("SUCCESS", p.stdout)

    # -- the name extractor itself ---------------------------------------------

    def test_promql_name_extraction(self):
        cases = {
            'histogram_quantile(0.99, sum by (le) (rate(a_bucket{job=~"$job",le!="x"}[5m])))': {"a_bucket"},
            'sum(rate(b_total[5m] offset 1h)) by (instance) / ignoring(code) group_left c': {"b_total", "c"},
            '(x_seconds - time()) < 14 * 86400 and on (instance) y == bool 1e3': {"x_seconds", "y"},
            'absent(up{job="dynaudit"})': {"up"},
            'max_over_time(d[1h:5m]) unless e{a="{b}"} or label_replace(f, "dst", "$1", "src", "(.*)")': {"d", "e", "f"},
            'count without (version) (dynaudit_build_info) > Inf': {"dynaudit_build_info"},
            'sum by (le)(rate(nope_bucket[5m]))': {"nope_bucket"},
        }
        for expr, names in cases.items():
            with self.subTest(expr=expr):
                self.assertEqual(promql_metric_names(expr), names)
        self.assertEqual(grafana_substitute('rate(a{job=~"$job",i=~"${instance:regex}"}[$__rate_interval])'),
                         'rate(a{job=~"dynaudit",i=~".+"}[15s])')
        with self.assertRaises(AssertionError):
            grafana_substitute("rate(a[$__nope])")
        names = exposition_names("# TYPE a_total counter\n# TYPE b histogram\n# TYPE c gauge\n"
                                 "# TYPE d counter\nc 1\n")
        self.assertEqual(names, {"a_total", "b_bucket", "b_sum", "b_count", "c", "d_total"})

    # -- Grafana -----------------------------------------------------------------

    def test_dashboard_structure(self):
        dash = dashboard()
        self.assertGreaterEqual(dash["schemaVersion"], 36)
        self.assertTrue(dash["title"] and dash["uid"])
        variables = {v["name"]: v for v in dash["templating"]["list"]}
        self.assertEqual(variables["datasource"]["type"], "datasource")
        self.assertEqual(variables["datasource"]["query"], "prometheus")
        for name in ("job", "instance"):
            self.assertEqual(variables[name]["type"], "query")
            self.assertEqual(variables[name]["datasource"]["uid"], "${datasource}")
        panels = [p for p in dashboard_panels(dash) if p["type"] != "row"]
        ids = [p["id"] for p in dashboard_panels(dash)]
        self.assertEqual(len(ids), len(set(ids)), "panel ids must be unique")
        used = set()
        for p in panels:
            with self.subTest(panel=p.get("title")):
                self.assertTrue(p.get("title", "").strip(), "every panel has a title: %s" % p["id"])
                self.assertTrue(p.get("description", "").strip(), "every panel has a description")
                self.assertEqual(p["datasource"]["uid"], "${datasource}")
                self.assertTrue(p.get("targets"), "a panel without a query")
                for t in p["targets"]:
                    self.assertEqual(t["datasource"]["uid"], "${datasource}")
                    self.assertIn('job=~"$job"', t["expr"])
                    self.assertIn('instance=~"$instance"', t["expr"])
                    if "histogram_quantile" in t["expr"]:
                        self.assertRegex(t["expr"], r"_bucket\{")
                        self.assertRegex(t["expr"], r"by \((?:\w+, )*le\)")
                        self.assertIn("rate(", t["expr"])
                    used |= promql_metric_names(grafana_substitute(t["expr"]))
        self.assertEqual(DASHBOARD_METRICS - used, set(), "metrics the dashboard must show")
        quantiles = " ".join(t["expr"] for p in panels for t in p["targets"])
        for q, metric in [("0.5", "dynaudit_request_duration"), ("0.99", "dynaudit_request_duration"),
                          ("0.5", "dynaudit_upstream_duration"), ("0.99", "dynaudit_upstream_duration")]:
            self.assertRegex(quantiles, r"histogram_quantile\(%s, sum by \(le\) \(rate\(%s_seconds_bucket" % (
                re.escape(q), metric))

    def test_dashboard_queries_parse(self):
        """Each query (variables substituted as Grafana would) as a recording rule:
        promtool parses it with Prometheus' own parser."""
        exprs = dashboard_exprs(dashboard())
        rules = [{"record": "dashboard:query_%d" % i, "expr": grafana_substitute(expr)}
                 for i, (_, expr) in enumerate(exprs)]
        path = os.path.join(self.tmp, "dashboard-queries.yml")
        with open(path, "w") as f:
            json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, f, indent=1)
        p = run([PROMTOOL, "check", "rules", path])
        self.assertEqual(p.returncode, 0, "%s\n%s\nqueries:\n%s" % (
            p.stdout, p.stderr, "\n".join("%d %s: %s" % (i, w, e) for i, (w, e) in enumerate(exprs))))
        self.assertIn("SUCCESS: %d rules found" % len(rules), p.stdout)


# ---- the sidecar configs ---------------------------------------------------------

def k8s_docs():
    return [d for d in yaml_load_all(K8S) if d is not None]


def k8s_one(kind, docs=None):
    found = [d for d in (docs or k8s_docs()) if d["kind"] == kind]
    assert len(found) == 1, "expected one %s in %s, found %d" % (kind, K8S, len(found))
    return found[0]


def k8s_container(deployment, name):
    spec = deployment["spec"]["template"]["spec"]
    for c in spec.get("containers", []) + spec.get("initContainers", []):
        if c["name"] == name:
            return c
    raise AssertionError("no container %r in the Deployment" % name)


def k8s_sidecar():
    """(docs, deployment, dynaudit container, ConfigMap, dynaudit config dict)."""
    docs = k8s_docs()
    deployment = k8s_one("Deployment", docs)
    container = k8s_container(deployment, "dynaudit")
    args = container.get("args", [])
    config_path = args[args.index("--config") + 1]
    configmap = k8s_one("ConfigMap", docs)
    config = yaml_load_all_text(configmap["data"][os.path.basename(config_path)])[0]
    return docs, deployment, container, configmap, config_path, config


def compose_doc():
    return yaml_load(COMPOSE)


def compose_volume(spec):
    """(source, target, read_only) of a short-syntax service volume."""
    parts = spec.split(":")
    return parts[0], parts[1], len(parts) > 2 and "ro" in parts[2].split(",")


def compose_sidecar():
    doc = compose_doc()
    svc = doc["services"]["dynaudit"]
    command = svc["command"]
    config_path = command[command.index("--config") + 1]
    mounts = {target: (src, ro) for src, target, ro in map(compose_volume, svc["volumes"])}
    src, _ = mounts[os.path.dirname(config_path)]
    host_config = os.path.join(COMPOSE_DIR, src, os.path.basename(config_path))
    return doc, svc, config_path, host_config, yaml_load(host_config)


def config_paths(config):
    """{role: [absolute-or-relative path]} of every file or folder a serve config names."""
    audit = config.get("audit", {})
    out = {
        "secret": [p for p in (config.get("auth", {}).get("credentials_file"), audit.get("checkpoint_key_file"),
                               audit.get("seal_key_file"), config.get("masking", {}).get("key_file")) if p],
        "written": [p for p in (audit.get("path"), audit.get("witness", {}).get("file"), audit.get("unrecorded_file"))
                    if p] + [c["path"] for c in config.get("alerts", {}).get("channels", []) if c.get("type") == "file"],
        "config": list(config.get("rules", {}).get("files", [])),
    }
    for listener in config.get("listeners", []):
        out["secret"] += [p for p in (listener.get("tls") or {}).values()]
    return out


def mount_of(path, mounts):
    """The mount (mountPath, read_only, kind) holding path: the longest prefix."""
    best = None
    for m in mounts:
        if path == m[0] or path.startswith(m[0].rstrip("/") + "/"):
            if best is None or len(m[0]) > len(best[0]):
                best = m
    return best


class SidecarFilesTest(unittest.TestCase):
    """What the compose and Kubernetes files say, checked against each other and
    against the dynaudit config they mount."""

    maxDiff = None

    def check_paths_on_mounts(self, config, config_path, mounts):
        """Every path the config names lies on a mount of the right kind: files it
        writes on a writable volume (the root file system is read-only), secrets on
        the read-only secret mount, rule files beside the config."""
        paths = config_paths(config)
        self.assertTrue(paths["secret"] and paths["written"] and paths["config"], paths)
        audit_mount = witness_mount = None
        for role, items in paths.items():
            for p in items:
                full = p if os.path.isabs(p) else os.path.normpath(os.path.join(os.path.dirname(config_path), p))
                m = mount_of(full, mounts)
                with self.subTest(path=full):
                    self.assertIsNotNone(m, "%s is on no mount (the root file system is read-only)" % full)
                    if role == "written":
                        self.assertFalse(m[1], "%s is written but its mount is read-only" % full)
                        self.assertEqual(m[2], "volume", "%s must survive a restart" % full)
                    elif role == "secret":
                        self.assertTrue(m[1], "%s: secrets are mounted read-only" % full)
                        self.assertEqual(m[2], "secret")
                        self.assertIn(os.path.basename(full), ("credentials.yaml", "masking.key", "checkpoint.key"),
                                      "deploy/make-secrets.sh makes these names")
                    else:
                        self.assertTrue(m[1], "%s: config is mounted read-only" % full)
                        self.assertEqual(m[2], "config")
                if p == config.get("audit", {}).get("path"):
                    audit_mount = m
                if p == config.get("audit", {}).get("witness", {}).get("file"):
                    witness_mount = m
        self.assertIsNotNone(audit_mount)
        self.assertIsNotNone(witness_mount, "a witness file is configured")
        self.assertNotEqual(audit_mount[0], witness_mount[0], "the witness lives on another volume than the store")

    def check_config_policy(self, config):
        listeners = config["listeners"]
        self.assertTrue(listeners)
        for listener in listeners:
            self.assertEqual(listener["address"], "127.0.0.1", "the client listener stays on the shared loopback")
        self.assertEqual(config["admin"]["address"], "0.0.0.0", "Prometheus (and the kubelet) reach the admin port")
        self.assertEqual(config["auth"]["mode"], "verify")
        self.assertEqual(config["audit"]["failure_policy"], "fail-closed")
        self.assertTrue(config["metrics"]["enabled"])
        self.assertNotIn("endpoint", config["upstream"], "the region's AWS endpoint")
        creds = config["upstream"]["credentials"]
        self.assertNotIn("secret_access_key", creds, "no upstream secret in the config")
        self.assertIn(creds["source"], ("environment", "chain", "ecs", "imds", "profile"))

    def test_kubernetes_manifest(self):
        docs, deployment, c, configmap, config_path, config = k8s_sidecar()
        kinds = sorted(d["kind"] for d in docs)
        self.assertNotIn("Secret", kinds, "secrets are made by the operator, not committed")
        self.check_config_policy(config)
        spec = deployment["spec"]["template"]["spec"]
        admin_port = config["admin"]["port"]
        listener_port = config["listeners"][0]["port"]

        # the admin port: named, probed, scraped
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}

        def port_of(probe):
            port = probe["httpGet"]["port"]
            return ports[port] if isinstance(port, str) else port
        self.assertEqual(c["readinessProbe"]["httpGet"]["path"], "/readyz")
        self.assertEqual(c["livenessProbe"]["httpGet"]["path"], "/healthz")
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            if probe in c:
                self.assertEqual(port_of(c[probe]), admin_port, probe)
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        self.assertEqual(annotations["prometheus.io/scrape"], "true")
        self.assertEqual(int(annotations["prometheus.io/port"]), admin_port)
        self.assertEqual(annotations["prometheus.io/path"], "/metrics")
        scrape = yaml_load(K8S_SCRAPE_YML)["scrape_configs"][0]
        port_names = [r["regex"] for r in scrape["relabel_configs"]
                      if r.get("source_labels") == ["__meta_kubernetes_pod_container_port_name"]]
        self.assertEqual(port_names, [n for n, p in ports.items() if p == admin_port])
        self.assertNotIn(listener_port, ports.values(), "the client listener is pod-local, not a container port")

        # hardening, both containers
        pod_sc = spec.get("securityContext", {})
        for container in spec["containers"]:
            with self.subTest(container=container["name"]):
                sc = container["securityContext"]
                self.assertTrue(sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")))
                self.assertIs(sc["readOnlyRootFilesystem"], True)
                self.assertIs(sc["allowPrivilegeEscalation"], False)
                self.assertIn("ALL", sc["capabilities"]["drop"])
                self.assertTrue(container["resources"]["requests"]["memory"])
                self.assertTrue(container["resources"]["limits"]["memory"])
        # the image's user is a name: runAsNonRoot needs a numeric runAsUser to check
        self.assertEqual(c["securityContext"].get("runAsUser", pod_sc.get("runAsUser")), 10001)
        self.assertTrue(c["resources"]["requests"]["cpu"] and c["resources"]["limits"]["cpu"])

        # shutdown: preStop, then SIGTERM drains; the grace period covers both
        command = c["lifecycle"]["preStop"]["exec"]["command"]
        self.assertEqual(os.path.basename(command[0]), "sleep")
        pre_stop = float(command[1])
        drain = duration_seconds(config["shutdown"]["drain_timeout"])
        self.assertGreater(spec["terminationGracePeriodSeconds"], pre_stop + drain)

        # volumes: config and secrets read-only, store and witness on claims
        volumes = {v["name"]: v for v in spec["volumes"]}
        claims = {d["metadata"]["name"]: d for d in docs if d["kind"] == "PersistentVolumeClaim"}
        mounts = []
        for vm in c["volumeMounts"]:
            v = volumes[vm["name"]]
            if "configMap" in v:
                kind = "config"
                self.assertEqual(v["configMap"]["name"], configmap["metadata"]["name"])
                self.assertNotIn("subPath", vm, "a subPath mount never sees ConfigMap edits (rule reloads)")
            elif "secret" in v:
                kind = "secret"
            elif "persistentVolumeClaim" in v:
                kind = "volume"
                self.assertIn(v["persistentVolumeClaim"]["claimName"], claims)
            else:
                kind = "other"
            if kind in ("config", "secret"):
                self.assertIs(vm.get("readOnly"), True, "%s must be mounted read-only" % vm["mountPath"])
            mounts.append((vm["mountPath"], bool(vm.get("readOnly")), kind))
        self.assertEqual(mount_of(config_path, mounts)[2], "config")
        for rules_file in config["rules"]["files"]:
            self.assertIn(rules_file, configmap["data"], "the ConfigMap holds the rule files")
        self.check_paths_on_mounts(config, config_path, mounts)
        # one writer per store: a single replica, replaced (not rolled) on update
        self.assertEqual(deployment["spec"]["replicas"], 1)
        self.assertEqual(deployment["spec"]["strategy"]["type"], "Recreate")

        # the application talks to the sidecar on loopback, with a key from a Secret
        app = k8s_container(deployment, "orders")
        env = {e["name"]: e for e in app["env"]}
        self.assertEqual(env["AWS_ENDPOINT_URL_DYNAMODB"]["value"], "http://127.0.0.1:%d" % listener_port)
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            self.assertNotIn("value", env[key], "no literal key in the manifest")
            self.assertIn("secretKeyRef", env[key]["valueFrom"])

        # only Prometheus, only the admin port
        policy = k8s_one("NetworkPolicy", docs)
        self.assertEqual(policy["spec"]["podSelector"]["matchLabels"].items()
                         - deployment["spec"]["template"]["metadata"]["labels"].items(), set())
        self.assertEqual(policy["spec"]["policyTypes"], ["Ingress"])
        allowed = [p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]]
        self.assertEqual(allowed, [admin_port])
        for rule in policy["spec"]["ingress"]:
            self.assertTrue(rule["from"], "an ingress rule without `from` admits everyone")

    def test_compose_file(self):
        doc, svc, config_path, host_config, config = compose_sidecar()
        self.check_config_policy(config)
        services = doc["services"]
        admin_port = config["admin"]["port"]
        listener_port = config["listeners"][0]["port"]

        # built from the repository's Dockerfile
        context = os.path.normpath(os.path.join(COMPOSE_DIR, svc["build"]["context"]))
        self.assertTrue(os.path.isfile(os.path.join(context, svc["build"].get("dockerfile", "Dockerfile"))))
        self.assertEqual(context, h.REPO_ROOT)

        # a sidecar: the application's network namespace, nothing published
        self.assertEqual(svc["network_mode"], "service:orders")
        app = services["orders"]
        self.assertNotIn("ports", svc)
        self.assertNotIn("ports", app, "neither the client nor the admin port is published")
        self.assertEqual(app["environment"]["AWS_ENDPOINT_URL_DYNAMODB"], "http://127.0.0.1:%d" % listener_port)
        src, target, _ = compose_volume(app["volumes"][0])
        self.assertTrue(os.path.isfile(os.path.join(COMPOSE_DIR, src)))
        self.assertIn(target, app["entrypoint"])

        # hardening
        for name in ("orders", "dynaudit", "prometheus"):
            with self.subTest(service=name):
                self.assertIs(services[name]["read_only"], True)
                self.assertIn("ALL", services[name]["cap_drop"])
                self.assertIn("no-new-privileges:true", services[name]["security_opt"])

        # mounts: config read-only, secrets from files the operator makes, store
        # and witness on named volumes
        mounts = []
        for spec in svc["volumes"]:
            source, target, ro = compose_volume(spec)
            if source.startswith("."):
                self.assertTrue(ro, "%s: host folders are mounted read-only" % spec)
                mounts.append((target, True, "config"))
            else:
                self.assertIn(source, doc["volumes"], "%s: a named volume" % spec)
                mounts.append((target, False, "volume"))
        with open(os.path.join(COMPOSE_DIR, ".gitignore")) as f:
            ignored = f.read().split()
        for s in svc["secrets"]:
            source_file = doc["secrets"][s["source"]]["file"]
            self.assertTrue(source_file.startswith("./secrets/"), source_file)
            mounts.append(("/run/secrets/" + s["target"], True, "secret"))
        self.assertIn("secrets/*", ignored)
        self.assertIn(".env", ignored)
        self.check_paths_on_mounts(config, config_path, mounts)
        # the witness volume is handed to uid 10001 before dynaudit starts
        init = services["dynaudit-init"]
        witness_dir = os.path.dirname(config["audit"]["witness"]["file"])
        self.assertIn(witness_dir, init["entrypoint"])
        self.assertIn("10001:10001", init["entrypoint"])
        self.assertEqual(svc["depends_on"]["dynaudit-init"]["condition"], "service_completed_successfully")

        # no secret in the file: every credential is an interpolated variable
        for name, service in services.items():
            for key, value in (service.get("environment") or {}).items():
                if re.search(r"KEY|SECRET|TOKEN|PASSWORD", key) and not key.endswith("_DISABLED"):
                    self.assertRegex(str(value), r"^\$\{\w+(:?[-?][^}]*)?\}$", "%s.%s" % (name, key))
        with open(os.path.join(COMPOSE_DIR, ".env.example")) as f:
            example = f.read()
        with open(COMPOSE) as f:
            compose_text = f.read()
        for var in re.findall(r"\$\{(\w+)", compose_text):
            self.assertIn(var + "=", example, "%s is documented in .env.example" % var)
        self.assertFalse(re.search(r"(?m)^\w*(SECRET|KEY)\w*=\S", example), ".env.example holds no value")

        # SIGTERM drain fits in the stop grace period
        self.assertGreater(duration_seconds(svc["stop_grace_period"]),
                           duration_seconds(config["shutdown"]["drain_timeout"]))

        # Prometheus: the rules and config of deploy/prometheus, scraping the admin port
        prom = services["prometheus"]
        prom_mounts = {t: (s, ro) for s, t, ro in map(compose_volume, prom["volumes"])}
        source, ro = prom_mounts["/etc/prometheus"]
        self.assertTrue(ro)
        self.assertEqual(os.path.normpath(os.path.join(COMPOSE_DIR, source)), os.path.dirname(PROMETHEUS_YML))
        self.assertIn("--config.file=/etc/prometheus/prometheus.yml", prom["command"])
        for published in prom.get("ports", []):
            self.assertTrue(str(published).startswith("127.0.0.1:"), "Prometheus' UI on the host's loopback only")
        targets = [t for sc in yaml_load(PROMETHEUS_YML)["scrape_configs"] for s in sc["static_configs"]
                   for t in s["targets"]]
        self.assertEqual(targets, ["orders:%d" % admin_port])
        self.assertIn("backend", prom["networks"])
        self.assertIn("backend", app["networks"])

    def test_worker_script_is_valid_sh(self):
        p = run(["sh", "-n", WORKER])
        self.assertEqual(p.returncode, 0, p.stderr)
        p = run(["sh", "-n", MAKE_SECRETS])
        self.assertEqual(p.returncode, 0, p.stderr)


# ---- the configs, run --------------------------------------------------------------

class DeployedSidecar:
    """A deploy config, run here: its absolute paths moved under a temp "root",
    its ports 0 on 127.0.0.1, its secrets made by deploy/make-secrets.sh."""

    def __init__(self, test, name, config, config_path, rule_texts):
        self.test = test
        self.root = os.path.join(test.tmp, name + "-root")
        self.original = config

        def under_root(value):
            if isinstance(value, dict):
                return {k: under_root(v) for k, v in value.items()}
            if isinstance(value, list):
                return [under_root(v) for v in value]
            if isinstance(value, str) and value.startswith("/"):
                return self.root + value
            return value
        cfg = under_root(copy.deepcopy(config))
        # The only changes besides the paths: loopback and free ports (this machine
        # binds nothing else). Everything else runs as deployed.
        for listener in cfg["listeners"]:
            listener["address"], listener["port"] = "127.0.0.1", 0
        cfg["admin"]["address"], cfg["admin"]["port"] = "127.0.0.1", 0
        self.config = cfg
        self.config_path = self.root + config_path
        os.makedirs(os.path.dirname(self.config_path), exist_ok=True)
        with open(self.config_path, "w") as f:
            json.dump(cfg, f, indent=1)
        for name_, text in rule_texts.items():
            with open(os.path.join(os.path.dirname(self.config_path), name_), "w") as f:
                f.write(text)
        for p in config_paths(cfg)["written"]:
            os.makedirs(os.path.dirname(p), exist_ok=True)
        # the operator's step: deploy/make-secrets.sh into the secret mount
        secret_dirs = {os.path.dirname(p) for p in config_paths(cfg)["secret"]}
        test.assertEqual(len(secret_dirs), 1, secret_dirs)
        made = run(["sh", MAKE_SECRETS, secret_dirs.pop()], env=dict(os.environ, DYNAUDIT=h.dynaudit_bin()))
        test.assertEqual(made.returncode, 0, made.stdout + made.stderr)
        env = dict(line.split("=", 1) for line in made.stdout.split())
        self.app_key = (env["ORDERS_ACCESS_KEY_ID"], env["ORDERS_SECRET_ACCESS_KEY"])

    def check_config(self):
        return run([h.dynaudit_bin(), "serve", "--config", self.config_path, "--check-config"])

    def start(self, dynalite):
        # Upstream credentials come from the environment (source environment, or
        # chain, whose first step it is); nothing else of ours leaks in.
        wrapper = ["env", "-i", "HOME=" + self.root, "AWS_ACCESS_KEY_ID=%s" % h.UPSTREAM_KEY[0],
                   "AWS_SECRET_ACCESS_KEY=%s" % h.UPSTREAM_KEY[1]]
        d = h.Dynaudit(self.test.tmp, dynalite, name=os.path.basename(self.root) + "-dynaudit", wrapper=wrapper,
                       extra_args=["--upstream-endpoint", dynalite.endpoint])
        d.config_path, d.config = self.config_path, self.config  # run the deploy config, not the harness's
        self.test.addCleanup(self.test._stop_dynaudit, d, True)
        return d.start()


def create_orders_table(dynalite):
    """What the deployment pipeline does (the sidecar's rules refuse it)."""
    r = h.signed_post(dynalite.endpoint, {
        "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "customer_id", "AttributeType": "S"},
                                 {"AttributeName": "order_id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "customer_id", "KeyType": "HASH"},
                      {"AttributeName": "order_id", "KeyType": "RANGE"}]}, "DynamoDB_20120810.CreateTable")
    assert r.status == 200, r

    def active():
        d = h.signed_post(dynalite.endpoint, {"TableName": TABLE}, "DynamoDB_20120810.DescribeTable")
        return d.status == 200 and d.json()["Table"]["TableStatus"] == "ACTIVE"
    h.wait_until(active, timeout=30, what="table ACTIVE")


def drive(test, proxy, key):
    """Calls a sidecar sees: allowed reads and writes, denied ones, failed
    authentication. Returns the /metrics text after them."""
    url = proxy.endpoint
    ok = [
        ({"TableName": TABLE, "Item": {"customer_id": {"S": "c1"}, "order_id": {"S": "o1"},
                                       "customer_email": {"S": "ann@example.com"}}}, "PutItem"),
        ({"TableName": TABLE, "Key": {"customer_id": {"S": "c1"}, "order_id": {"S": "o1"}}}, "GetItem"),
        ({"TableName": TABLE, "KeyConditionExpression": "customer_id = :c",
          "ExpressionAttributeValues": {":c": {"S": "c1"}}}, "Query"),
    ]
    for payload, op in ok:
        r = h.signed_post(url, payload, "DynamoDB_20120810." + op, key=key)
        test.assertEqual(r.status, 200, r)
    denied = [({"TableName": TABLE}, "DeleteTable"), ({"TableName": TABLE}, "Scan")]
    for payload, op in denied:
        r = h.signed_post(url, payload, "DynamoDB_20120810." + op, key=key)
        test.assertEqual(r.status, 400, r)
        test.assertEqual(r.json()["__type"].split("#")[-1], "AccessDeniedException", r)
    for bad in [(key[0], "not-the-secret"), ("AKIDNOBODY", "x")]:
        r = h.signed_post(url, {"TableName": TABLE}, "DynamoDB_20120810.DescribeTable", key=bad)
        test.assertEqual(r.status, 400, r)
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % proxy.admin_port, timeout=5) as r:
        return r.read().decode()


class SidecarRunsTest(h.IntegrationTest):
    """The dynaudit configs of the compose and Kubernetes setups, run by the binary."""

    def run_sidecar(self, name, config, config_path, rule_texts):
        sidecar = DeployedSidecar(self, name, config, config_path, rule_texts)
        check = sidecar.check_config()
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertIn("config OK", check.stdout)
        dynalite = self.start_dynalite(name=name + "-dynalite")
        create_orders_table(dynalite)
        proxy = sidecar.start(dynalite)
        self.assertEqual(proxy.admin_get("/readyz")[0], 200)
        self.assertEqual(proxy.admin_get("/healthz")[0], 200)
        text = drive(self, proxy, sidecar.app_key)
        self.assertIn('dynaudit_requests_total{operation="PutItem",table="orders",decision="allow",'
                      'outcome="forwarded",code="2xx"} 1', text)
        self.assertIn('dynaudit_rule_matches_total{rule="orders-no-table-changes"} 1', text)
        self.assertIn('dynaudit_rule_matches_total{rule="orders-no-full-table-reads"} 1', text)
        self.assertIn('dynaudit_rules_loaded 3', text)
        self.assertIn('dynaudit_audit_store_healthy 1', text)
        cfg = sidecar.config
        # records in the store on the volume, checkpoints in the witness on the other
        self.assertTrue(os.listdir(cfg["audit"]["path"]))
        witness = cfg["audit"]["witness"]["file"]
        h.wait_until(lambda: os.path.exists(witness) and os.path.getsize(witness) > 0, timeout=20,
                     what="a checkpoint in the witness " + witness)
        alerts_file = cfg["alerts"]["channels"][0]["path"]
        h.wait_until(lambda: os.path.exists(alerts_file) and os.path.getsize(alerts_file) > 0, timeout=20,
                     what="the deny rules' alerts in " + alerts_file)
        return sidecar, dynalite, proxy

    def test_kubernetes_configmap_config_serves(self):
        _, _, _, configmap, config_path, config = k8s_sidecar()
        rules = {f: configmap["data"][f] for f in config["rules"]["files"]}
        sidecar, _, proxy = self.run_sidecar("k8s", config, config_path, rules)
        # The example application, as the pod runs it (AWS CLI v2; ./dev setup
        # installs it): two rounds of put-item + query through the sidecar.
        self.assertTrue(os.access(h.AWSCLI_V2, os.X_OK), "awscli is installed by ./dev setup")
        env = {"PATH": os.path.dirname(h.AWSCLI_V2) + ":/usr/bin:/bin", "HOME": self.tmp,
               "AWS_ENDPOINT_URL_DYNAMODB": proxy.endpoint, "AWS_REGION": h.REGION,
               "AWS_ACCESS_KEY_ID": sidecar.app_key[0], "AWS_SECRET_ACCESS_KEY": sidecar.app_key[1],
               "AWS_EC2_METADATA_DISABLED": "true", "ITERATIONS": "2", "INTERVAL": "0"}
        p = subprocess.run(["sh", WORKER], capture_output=True, text=True, timeout=300, env=env,
                           stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stdout.split("\n")[:2], ["round 1 ok", "round 2 ok"])

    def test_compose_config_serves(self):
        _, _, config_path, host_config, config = compose_sidecar()
        rules = {}
        for f in config["rules"]["files"]:
            with open(os.path.join(os.path.dirname(host_config), f)) as fh:
                rules[f] = fh.read()
        self.run_sidecar("compose", config, config_path, rules)

    def test_compose_and_kubernetes_rules_agree(self):
        _, _, _, configmap, _, _ = k8s_sidecar()
        with open(os.path.join(COMPOSE_DIR, "dynaudit", "rules.yaml")) as f:
            compose_rules = yaml_load_all_text(f.read())[0]
        self.assertEqual(yaml_load_all_text(configmap["data"]["rules.yaml"])[0], compose_rules)


class LiveMetricsTest(h.IntegrationTest):
    """The dashboard and the alert rules against a live sidecar (the Kubernetes
    ConfigMap's config) and a real Prometheus."""

    def setUp(self):
        super().setUp()
        _, _, _, configmap, config_path, config = k8s_sidecar()
        rules = {f: configmap["data"][f] for f in config["rules"]["files"]}
        self.sidecar = DeployedSidecar(self, "k8s", config, config_path, rules)
        self.dynalite = self.start_dynalite()
        create_orders_table(self.dynalite)
        self.proxy = self.sidecar.start(self.dynalite)
        self.exposition = drive(self, self.proxy, self.sidecar.app_key)

    def test_every_query_names_an_exported_metric(self):
        exported = exposition_names(self.exposition)
        known = exported | BUILTIN_NAMES
        # the families the task lists must be there (else the check below is hollow)
        for name in ("dynaudit_requests_total", "dynaudit_request_duration_seconds_bucket",
                     "dynaudit_rules_last_reload_ok", "dynaudit_alerts_total", "process_cpu_seconds_total"):
            self.assertIn(name, exported)
        unknown = []
        for _, rule in alert_rules():
            for name in promql_metric_names(rule["expr"]) - known:
                unknown.append("alert %s: %s" % (rule["alert"], name))
        for where, expr in dashboard_exprs(dashboard()):
            names = promql_metric_names(grafana_substitute(expr))
            if not names:
                unknown.append("%s: names no metric: %s" % (where, expr))
            for name in names - known:
                unknown.append("%s: %s" % (where, name))
        for series, _ in ALERT_CASES:
            for s, _ in series:
                for name in promql_metric_names(s) - known:
                    unknown.append("synthetic series %s" % name)
        self.assertEqual(unknown, [], "names no dynaudit exposes (exposition: %s)" % sorted(exported))

    def test_prometheus_loads_the_rules_and_answers_the_dashboard(self):
        self.assertTrue(os.access(PROMETHEUS, os.X_OK), "prometheus (Debian package) is installed by ./dev setup")
        port = h.free_port()
        workdir = os.path.join(self.tmp, "prometheus")
        os.makedirs(workdir)
        config = os.path.join(workdir, "prometheus.yml")
        with open(config, "w") as f:
            json.dump({"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                       "rule_files": [ALERTS],
                       "scrape_configs": [{"job_name": "dynaudit", "static_configs": [
                           {"targets": ["127.0.0.1:%d" % self.proxy.admin_port]}]}]}, f)
        proc = h._Process("prometheus", [PROMETHEUS, "--config.file=" + config,
                                         "--storage.tsdb.path=" + os.path.join(workdir, "data"),
                                         "--web.listen-address=127.0.0.1:%d" % port], workdir)
        self.addCleanup(proc.stop)

        def api(path, **params):
            url = "http://127.0.0.1:%d/api/v1/%s?%s" % (port, path, urllib.parse.urlencode(params))
            with urllib.request.urlopen(url, timeout=10) as r:
                doc = json.load(r)
            self.assertEqual(doc["status"], "success", doc)
            return doc["data"]

        def rules_evaluated():
            try:
                groups = api("rules")["groups"]
            except OSError:
                return None
            rules = [r for g in groups for r in g["rules"]]
            if groups and all(not r["lastEvaluation"].startswith("0001") for r in rules):
                return groups
            return None
        groups = h.wait_until(rules_evaluated, timeout=90, what="Prometheus evaluated the rules\n" +
                              proc.stderr_text()[-2000:])
        self.assertEqual(sorted(g["name"] for g in groups), sorted(g["name"] for g in yaml_load(ALERTS)["groups"]))
        for g in groups:
            for r in g["rules"]:
                self.assertEqual(r["health"], "ok", r)
        self.assertEqual(sorted(r["name"] for g in groups for r in g["rules"]),
                         sorted(r["alert"] for _, r in alert_rules()))

        # Every dashboard query answers, with data: the panel would not be empty.
        # (Only the TLS expiry panel may be: this sidecar has no TLS listener.)
        may_be_empty = {"dynaudit_tls_certificate_expiry_timestamp_seconds"}
        exprs = [(w, grafana_substitute(e)) for w, e in dashboard_exprs(dashboard())]
        pending = dict(exprs)

        def all_answer():
            for where, expr in list(pending.items()):
                if api("query", query=expr)["result"] or promql_metric_names(expr) & may_be_empty:
                    del pending[where]
            return not pending
        try:
            h.wait_until(all_answer, timeout=60, interval=1, what="every dashboard query to have data")
        except TimeoutError:
            self.fail("dashboard queries without data:\n%s" % "\n".join("%s: %s" % kv for kv in pending.items()))
        up = api("query", query='up{job="dynaudit"}')["result"]
        self.assertEqual(up[0]["value"][1], "1")

        # All is well: nothing pending or firing.
        self.assertEqual([(a["labels"]["alertname"], a["state"]) for a in api("alerts")["alerts"]], [])

        # A broken rule file: dynaudit keeps its rules and says so; the alert goes pending.
        with open(os.path.join(os.path.dirname(self.sidecar.config_path), "rules.yaml"), "w") as f:
            f.write("rules:\n  - id: broken\n    when: {operation: GetIten}\n    effect: deny\n")

        def reload_alert():
            return [a for a in api("alerts")["alerts"] if a["labels"]["alertname"] == "DynauditRulesReloadFailing"]
        alerts = h.wait_until(reload_alert, timeout=60, interval=0.5, what="DynauditRulesReloadFailing pending")
        self.assertEqual(alerts[0]["state"], "pending")  # for: 2m
        self.assertEqual(alerts[0]["labels"]["severity"], "warning")
        self.assertEqual(alerts[0]["labels"]["job"], "dynaudit")
        self.assertEqual(self.proxy.admin_get("/readyz")[0], 200, "the old rules keep serving")


if __name__ == "__main__":
    unittest.main()
