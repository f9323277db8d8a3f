"""`dynaudit rules check` and `dynaudit rules test` as CI runs them.

The shipped rule sets in examples/rules/ must check clean (no reachability
warning either) and pass their cases files; a deny with another route to the
same data left open must be a `file:line: warning:` (exit 0, or 1 with
--strict); a broken rule file must fail with the file, line and the bad
key or value named for each mistake; a failing case must say which case and
what differed; a malformed cases file is a usage problem (exit 2), not a
failing test (exit 1). No proxy, no upstream: only the binary.
"""

import glob
import os
import re
import subprocess
import tempfile
import textwrap
import unittest

import harness as h

EXAMPLES = os.path.join(h.REPO_ROOT, "examples", "rules")
CASES = os.path.join(EXAMPLES, "tests")


def run(*args):
    return subprocess.run([h.dynaudit_bin(), "rules"] + list(args), capture_output=True, text=True, timeout=60)


def example_rule_files():
    return sorted(glob.glob(os.path.join(EXAMPLES, "*.yaml")))


class RulesCliTest(unittest.TestCase):

    maxDiff = None

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="dynaudit-rules-cli-")
        self.addCleanup(self._tmp.cleanup)
        self.tmp = self._tmp.name

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text).lstrip("\n"))
        return path

    # --- rules check -------------------------------------------------------

    def test_examples_exist_and_each_has_a_cases_file(self):
        files = example_rule_files()
        self.assertGreaterEqual(len(files), 3, files)
        for path in files:
            stem = os.path.splitext(os.path.basename(path))[0]
            self.assertTrue(os.path.isfile(os.path.join(CASES, stem + ".cases.yaml")),
                            "no cases file for %s" % path)

    def test_every_example_checks_clean(self):
        for path in example_rule_files():
            with self.subTest(path=os.path.basename(path)):
                p = run("check", path)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                self.assertRegex(p.stdout, r"^rules OK: \d+ rules \(\d+ shadow, \d+ response-phase\) in 1 file\(s\)")
                self.assertEqual(p.stderr, "")

    def test_the_examples_load_together(self):
        # The proxy loads all its files as one set: ids must be unique across them.
        p = run("check", *example_rule_files())
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("in %d file(s)" % len(example_rule_files()), p.stdout)

    def test_a_broken_file_names_file_line_and_the_bad_value(self):
        path = self.write("broken.yaml", """
            rules:
              - id: typo-op
                when: {operation: GetIten}
                effect: deny
              - id: bad-glob
                when: {table: "orders[abc"}
                effect: deny
              - id: bad-cidr
                when: {source_ip: 10.0.0.0/33}
                effect: deny
              - id: bad-path
                when: {attributes_read: "card..number"}
                effect: deny
              - id: unknown-key
                when: {tabel: orders}
                effect: deny
            """)
        p = run("check", path)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertEqual(p.stdout, "")
        err = p.stderr
        expected = [
            (3, r"operation: unknown operation 'GetIten' \(did you mean GetItem\?\)"),
            (6, r"table: bad glob 'orders\[abc'"),
            (9, r"source_ip: bad CIDR '10\.0\.0\.0/33'"),
            (12, r"attributes_read: unknown attribute path form 'card\.\.number'"),
            (15, r"when: unknown key 'tabel' \(allowed keys: [^)]*\btable\b"),
        ]
        for line, message in expected:
            with self.subTest(line=line):
                self.assertRegex(err, r"(?m)^%s:%d:\d+: %s" % (re.escape(path), line, message))
        # All problems at once, and a count.
        self.assertIn("rules check: 5 error(s)", err)

    def test_a_missing_file_is_an_error_not_a_crash(self):
        missing = os.path.join(self.tmp, "nope.yaml")
        p = run("check", missing)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn(missing + ": cannot read rule file", p.stderr)

    def test_a_usage_error_exits_2(self):
        p = run("check")
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)

    # --- rules check: reachability warnings --------------------------------

    def test_every_example_checks_clean_under_strict(self):
        p = run("check", "--strict", *example_rule_files())
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stderr, "")
        self.assertNotIn("warning", p.stdout)

    def scan_deny(self):
        return self.write("scan.yaml", """
            rules:
              - id: tag-orders
                when: {table: orders}
                tags: ["custom:orders"]
              - id: no-scan
                when: {operation: Scan, table: orders}
                effect: deny
            """)

    def test_a_scan_deny_with_partiql_open_is_a_warning(self):
        path = self.scan_deny()
        p = run("check", path)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stdout, "rules OK: 2 rules (0 shadow, 0 response-phase) in 1 file(s), 1 warning(s)\n")
        lines = p.stderr.splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertRegex(lines[0], r"^%s:5: warning: rule 'no-scan' denies Scan but leaves open "
                                   r"ExecuteStatement \(PartiQL SELECT without a key condition\), " % re.escape(path))
        self.assertIn("GetShardIterator/GetRecords (DynamoDB Streams)", lines[0])
        self.assertIn("ExportTableToPointInTime", lines[0])
        self.assertIn("operation_class: scan-like covers Scan and ", lines[0])

    def test_strict_makes_a_warning_fail_the_check(self):
        path = self.scan_deny()
        p = run("check", "--strict", path)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertRegex(p.stderr, r"(?m)^%s:5: warning: rule 'no-scan' " % re.escape(path))
        self.assertEqual(p.stderr.splitlines()[-1], "rules check: 1 warning(s), failing because of --strict")

    def test_a_getitem_deny_names_the_batch_and_transaction_reads(self):
        path = self.write("get.yaml", """
            rules:
              - id: no-get
                when: {operation: GetItem, table: "cards-*", not: {group: support}}
                effect: deny
            """)
        p = run("check", path)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertRegex(p.stderr, r"^%s:2: warning: rule 'no-get' denies GetItem but leaves open "
                                   r"BatchGetItem, TransactGetItems, " % re.escape(path))
        self.assertIn("operation_class: read covers GetItem and BatchGetItem, TransactGetItems", p.stderr)
        self.assertIn("partiql: \"select *\" covers ExecuteStatement (PartiQL SELECT by key)", p.stderr)

    def test_a_deny_in_another_file_with_the_same_scope_closes_the_gap(self):
        first = self.write("first.yaml", """
            rules:
              - id: no-get
                when: {operation: GetItem, table: "cards-*", not: {group: support}}
                effect: deny
            """)
        rest = """
            rules:
              - id: no-other-reads
                when:
                  table: "%s"
                  not: {group: support}
                  any:
                    - operation_class: read
                    - partiql: "select *"
                    - operation: [ExportTableToPointInTime, EnableKinesisStreamingDestination,
                                  RestoreTableFromBackup, RestoreTableToPointInTime]
                effect: deny
            """
        same = self.write("same.yaml", rest % "cards-*")
        p = run("check", "--strict", first, same)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stderr, "")
        self.assertEqual(p.stdout, "rules OK: 2 rules (0 shadow, 0 response-phase) in 2 file(s)\n")

        # The same rule on another table closes nothing for cards-*.
        other = self.write("other.yaml", rest % "orders")
        p = run("check", "--strict", first, other)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertRegex(p.stderr, r"(?m)^%s:2: warning: rule 'no-get' denies GetItem " % re.escape(first))

    # --- rules test --------------------------------------------------------

    def test_every_example_passes_its_cases(self):
        for path in example_rule_files():
            stem = os.path.splitext(os.path.basename(path))[0]
            cases = os.path.join(CASES, stem + ".cases.yaml")
            with self.subTest(rules=stem):
                p = run("test", path, "--cases", cases, "-v")
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                passed = re.findall(r"(?m)^PASS (?!: )", p.stdout)
                self.assertGreaterEqual(len(passed), 5, p.stdout)
                self.assertLessEqual(len(passed), 20, p.stdout)
                self.assertRegex(p.stdout, r"(?m)^PASS: %d passed, 0 failed$" % len(passed))
                self.assertNotIn("FAIL", p.stdout)

    def test_example_cases_cover_what_the_docs_promise(self):
        # Each cases file exercises allow, deny, shadow, tags, alerts and the
        # response phase, so the examples show every part of a decision.
        for cases in sorted(glob.glob(os.path.join(CASES, "*.cases.yaml"))):
            with open(cases) as f:
                text = f.read()
            with self.subTest(cases=os.path.basename(cases)):
                self.assertRegex(text, r"effect: allow")
                self.assertRegex(text, r"effect: deny")
                self.assertRegex(text, r"shadow: \[[^\]]+\]")
                self.assertRegex(text, r"tags: \[[^\]]+\]")
                self.assertRegex(text, r"alerts: \[[^\]]+\]")
                self.assertRegex(text, r"(?m)^    response:")

    def test_a_failing_case_names_the_case_and_the_difference(self):
        rules = self.write("rules.yaml", """
            rules:
              - id: deny-scan
                when: {operation: Scan, table: "cards*"}
                effect: deny
                tags: ["pci-dss:7.2.2"]
            """)
        cases = self.write("failing.cases.yaml", """
            cases:
              - name: scan-is-allowed
                request:
                  operation: Scan
                  body: {TableName: cards}
                expect:
                  effect: allow
                  rule: ""
                  tags: []
              - name: other-table-allowed
                request:
                  operation: Scan
                  body: {TableName: orders}
                expect: {effect: allow}
            """)
        p = run("test", rules, "--cases", cases)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        out = p.stdout
        self.assertRegex(out, r"(?m)^FAIL scan-is-allowed \(%s:2\)$" % re.escape(cases))
        self.assertRegex(out, r"(?m)^\s+effect: expected allow, got deny$")
        self.assertRegex(out, r"(?m)^\s+rule: expected the default effect, got 'deny-scan'$")
        self.assertRegex(out, r"(?m)^\s+tags: expected \[\], got \[pci-dss:7\.2\.2\]$")
        self.assertNotIn("other-table-allowed", out)  # passing cases are listed only with -v
        self.assertRegex(out, r"(?m)^FAIL: 1 passed, 1 failed$")

    def test_a_failing_example_expectation_is_caught(self):
        # Guard against cases files that pass whatever the rules say: flip one
        # expectation of a shipped cases file and the run must fail.
        with open(os.path.join(CASES, "block-bulk-export.cases.yaml")) as f:
            text = f.read()
        flipped, n = re.subn(r"withheld: true", "withheld: false", text)
        self.assertEqual(n, 1)
        cases = self.write("flipped.cases.yaml", flipped)
        p = run("test", os.path.join(EXAMPLES, "block-bulk-export.yaml"), "--cases", cases)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertRegex(p.stdout, r"(?m)^FAIL response phase - a 1500-item Scan page is withheld ")
        self.assertIn("withheld: expected false", p.stdout)

    def test_a_malformed_cases_file_exits_2(self):
        rules = self.write("rules.yaml", """
            rules:
              - id: deny-scan
                when: {operation: Scan}
                effect: deny
            """)
        cases = self.write("malformed.cases.yaml", """
            cases:
              - name: typo
                request: {operation: Scna}
                expect: {effect: maybe}
                bogus: 1
            """)
        p = run("test", rules, "--cases", cases)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn(cases + ":3: request.operation: unknown operation 'Scna'", p.stderr)
        self.assertIn(cases + ":4: expect.effect: must be allow or deny, not 'maybe'", p.stderr)
        self.assertIn(cases + ":5: case: unknown key 'bogus'", p.stderr)
        self.assertNotIn("PASS", p.stdout)

        not_yaml = self.write("not-yaml.cases.yaml", "cases: [\n")
        p = run("test", rules, "--cases", not_yaml)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn(not_yaml + ":", p.stderr)

    def test_rules_that_do_not_load_fail_the_test_run(self):
        rules = self.write("bad.yaml", "rules:\n  - id: x\n    when: {operation: Scna}\n    effect: deny\n")
        cases = os.path.join(CASES, "pci-dss.cases.yaml")
        p = run("test", rules, "--cases", cases)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn(rules + ":3:", p.stderr)


if __name__ == "__main__":
    unittest.main()
