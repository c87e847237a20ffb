"""portraitctl (tools/python/portraitctl.py) against a real portraitd, run as
an operator runs it: a separate process per command, its output and its
exit status read back. Run by tests:portraitctl_test with Debian's
/usr/bin/python3:

    portraitctl_test.py PORTRAITD_BINARY PORTRAITCTL_PY MAKE_DEV_CERTS_SH
"""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import unittest

PORTRAITD = None  # Set from argv.
PORTRAITCTL = None
MAKE_DEV_CERTS = None

import portraitctl  # For its parser and exit statuses only.
from portraitd_process import Portraitd
from portrait.v1 import admin_pb2
from portrait.v1 import consent_pb2
from portrait.v1 import ingest_pb2
from portrait.v1 import profile_pb2
from portrait.v1 import push_pb2
from portrait.v1 import recommend_pb2


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PortraitctlTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.server = Portraitd(PORTRAITD, os.path.join(cls.dir.name, "db"),
                               os.path.join(cls.dir.name, "portraitd.log"),
                               "--retrain_after_s=3600")
        cls.now_ms = int(time.time() * 1000)
        # The catalog: posts p1..p6 by authors a1 / a2.
        items = cls.write("items.jsonl", "\n".join(
            json.dumps({"post": {"post_id": "p%d" % i,
                                 "author_id": "a%d" % (1 + i % 2),
                                 "created_at_ms": cls.now_ms - 3600000}})
            for i in range(1, 7)) + "\n")
        cls.check_ok("items", "upsert", items)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.dir.cleanup()

    @classmethod
    def write(cls, name, text):
        path = os.path.join(cls.dir.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    @classmethod
    def ctl(cls, *args, target=None):
        """Runs portraitctl; returns (exit status, stdout, stderr)."""
        run = subprocess.run(
            [sys.executable, PORTRAITCTL,
             "--target=" + (target or cls.server.target)] + list(args),
            capture_output=True, text=True, timeout=60)
        return run.returncode, run.stdout, run.stderr

    @classmethod
    def check_ok(cls, *args):
        code, out, err = cls.ctl(*args)
        if code != 0:
            raise AssertionError("portraitctl %s: exit %d\n%s%s"
                                 % (" ".join(args), code, out, err))
        return out

    def json_lines(self, *args):
        return [json.loads(line) for line in
                self.check_ok("--json", *args).splitlines()]

    def ingest_csv(self, name, rows, *flags):
        path = self.write(name, "event_id,user_id,signal,target_kind,"
                                "target_id,occurred_at_ms\n" +
                          "".join(",".join(map(str, r)) + "\n" for r in rows))
        return self.ctl("--json", "ingest", path, *flags)

    def likes(self, user, posts, prefix):
        return [("%s-%s-%s" % (prefix, user, p), user, "like", "post", p,
                 self.now_ms - 60000) for p in posts]

    def summary(self, out):
        return json.loads(out.splitlines()[-1])["summary"]

    # ---- The command line itself ----

    def test_every_rpc_has_a_subcommand_and_every_subcommand_a_help(self):
        methods = set()
        for module in (admin_pb2, consent_pb2, ingest_pb2, profile_pb2,
                       push_pb2, recommend_pb2):
            for service in module.DESCRIPTOR.services_by_name.values():
                methods.update(m.name for m in service.methods)
        helps = []

        def walk(parser, words):
            code, out, err = self.ctl(*(words + ["--help"]))
            self.assertEqual(code, 0, words)
            self.assertIn("usage: portraitctl", out)
            helps.append(out)
            for action in parser._actions:
                if hasattr(action, "choices") and isinstance(
                        action.choices, dict):
                    for word, sub in action.choices.items():
                        walk(sub, words + [word])

        walk(portraitctl.build_parser(), [])
        self.assertGreaterEqual(len(helps), 20)
        text = "\n".join(helps)
        for method in sorted(methods):
            self.assertTrue(re.search(r"\b%s\b" % method, text), method)

    def test_usage_errors_exit_2_and_send_nothing(self):
        for args in (["nonsense"], ["consent", "set", "u1", "--revoke",
                                    "NOT_A_SIGNAL", "--policy-version", "1"],
                     ["consent", "set", "u1", "--policy-version", "1"],
                     ["consent", "set", "u1", "--revoke", "like"],
                     ["recommend", "u1", "--surface", "sideways"],
                     ["profile", "delete", "u9", "--confirm", "u8"],
                     ["items", "delete", "p1"],
                     ["ingest", "x.csv", "--batch", "5000"]):
            code, out, err = self.ctl(*args)
            self.assertEqual(code, portraitctl.EXIT_USAGE, (args, err))
            self.assertIn("error:", err)
        code, out, err = self.ctl("profile", "delete", "u9", "--confirm",
                                  "u8")
        self.assertIn("--confirm=u9", err)

    # ---- Server answers ----

    def test_server_errors_exit_10_plus_the_status_code(self):
        code, out, err = self.ctl("consent", "get", "")
        self.assertEqual(code, 10 + 3, err)  # INVALID_ARGUMENT
        self.assertIn("INVALID_ARGUMENT: user_id", err)
        code, out, err = self.ctl("consent", "erasure", "no-such-receipt")
        self.assertEqual(code, 10 + 3, err)
        self.assertIn("receipt_id", err)
        code, out, err = self.ctl("consent", "erasure", "u1/999")
        self.assertEqual(code, 10 + 5, err)  # NOT_FOUND
        code, out, err = self.ctl("profile", "delete-record", "u1", "like",
                                  "never-stored")
        self.assertEqual(code, 10 + 5, err)
        code, out, err = self.ctl("recommend", "u1", "--limit", "100000")
        self.assertEqual(code, 10 + 3, err)
        self.assertIn("limit", err)
        code, out, err = self.ctl("--timeout=2", "consent", "get", "u1",
                                  target="127.0.0.1:%d" % free_port())
        self.assertEqual(code, 10 + 14, err)  # UNAVAILABLE
        self.assertIn("UNAVAILABLE", err)

    def test_ingest_reads_everything_first_and_summarises_by_reason(self):
        # A malformed line stops everything before anything is sent.
        rows = self.likes("in1", ["p1", "p2"], "bad")
        rows.append(("bad-x", "in1", "like", "post", "p3", "yesterday"))
        code, out, err = self.ingest_csv("bad.csv", rows)
        self.assertEqual(code, portraitctl.EXIT_LOCAL, err)
        self.assertIn("line 4: occurred_at_ms", err)
        self.assertEqual(
            self.json_lines("profile", "summary", "in1")[0].get(
                "total_events", "0"), "0")
        code, out, err = self.ctl("ingest", os.path.join(self.dir.name,
                                                         "missing.csv"))
        self.assertEqual(code, portraitctl.EXIT_LOCAL)
        self.assertIn("missing.csv", err)
        # Stored, then duplicates; a self-follow rejected by reason (exit 3).
        rows = self.likes("in1", ["p1", "p2", "p3"], "ok")
        rows.append(("self", "in1", "follow", "user", "in1",
                     self.now_ms - 1000))
        code, out, err = self.ingest_csv("ok.csv", rows)
        self.assertEqual(code, portraitctl.EXIT_REJECTED, err)
        self.assertEqual(self.summary(out),
                         {"events": 4, "stored": 3, "duplicates": 0,
                          "rejected": 1,
                          "rejected_by_reason": {"SELF_TARGET": 1}})
        code, out, err = self.ingest_csv("ok.csv", rows[:3], "--stream")
        self.assertEqual(code, 0, err)
        self.assertEqual(self.summary(out)["duplicates"], 3)
        events = self.json_lines("profile", "summary", "in1")[0]
        self.assertEqual(events["total_events"], "3")
        # Search history (GetHistory keeps SEARCH and BROWSE): a page of
        # 2, then every page.
        searches = self.write("searches.jsonl", "".join(json.dumps({
            "event_id": "hs-%d" % i, "user_id": "in1", "signal": "SEARCH",
            "occurred_at_ms": self.now_ms - 10000 * i,
            "search": {"query": "red shoes %d" % i}}) + "\n"
            for i in range(1, 4)))
        self.check_ok("ingest", searches)
        page = self.check_ok("profile", "history", "in1", "search",
                             "--page-size", "2")
        self.assertEqual(len(re.findall(r"(?m)^hs-\d", page)), 2)
        self.assertIn("(more: --all)", page)
        every = self.check_ok("profile", "history", "in1", "search",
                              "--page-size", "2", "--all")
        self.assertEqual(len(re.findall(r"(?m)^hs-\d", every)), 3)
        self.assertNotIn("(more", every)
        pages = self.json_lines("profile", "history", "in1", "search",
                                "--page-size", "2", "--all")
        self.assertEqual([len(p["entries"]) for p in pages], [2, 1])
        # The readable summary.
        text = self.check_ok("ingest", self.write(
            "more.jsonl", json.dumps({
                "event_id": "j1", "user_id": "in1", "signal": "LIKE",
                "occurred_at_ms": self.now_ms - 5000,
                "target": {"kind": "ITEM_POST", "id": "p4"}}) + "\n"))
        self.assertRegex(text, r"stored\s+1")

    def test_feed_push_and_a_strip_with_its_receipt(self):
        for user, posts in (("f1", ["p1", "p2"]), ("f2", ["p1", "p2", "p3"]),
                            ("f3", ["p2", "p3", "p4"])):
            code, out, err = self.ingest_csv(
                "feed-%s.csv" % user, self.likes(user, posts, "feed"))
            self.assertEqual(code, 0, err)
        feed = self.json_lines("recommend", "f1", "--limit", "3")[0]
        self.assertTrue(feed["personalized"])
        self.assertIn("p3", [i["item"]["id"] for i in feed["items"]])
        table = self.check_ok("recommend", "f1", "--limit", "3")
        self.assertRegex(table, r"#\s+item\s+score\s+reasons")
        self.assertIn("post:p3", table)
        push = self.json_lines("push", "candidates", "f1", "f2")[0]
        self.assertEqual([u["user_id"] for u in push["users"]], ["f1", "f2"])
        streamed = self.json_lines("push", "stream", "--max", "2",
                                   "--include-empty")
        self.assertEqual(len(streamed), 2)
        self.assertTrue(all(u["cursor"] for u in streamed))

        request_id = "strip-f1"
        answer = self.json_lines("consent", "set", "f1", "--revoke", "like",
                                 "--action", "strip", "--request-id",
                                 request_id, "--policy-version", "1")[0]
        receipt = answer["receipt_id"]
        self.assertTrue(receipt)
        self.assertIn("STRIP", {c["action"]
                                for c in answer["receipt"]["components"]})
        again = self.json_lines("consent", "set", "f1", "--revoke", "like",
                                "--action", "strip", "--request-id",
                                request_id, "--policy-version", "1")[0]
        self.assertTrue(again["replayed"])
        self.assertEqual(again["receipt_id"], receipt)
        status = self.check_ok("consent", "erasure", receipt)
        self.assertIn("receipt   %s" % receipt, status)
        self.assertIn("STRIP", status)
        history = self.check_ok("consent", "history", "f1", "--all")
        self.assertIn("signal LIKE", history)
        self.assertIn(receipt, history)
        consent = self.check_ok("consent", "get", "f1")
        self.assertRegex(consent, r"LIKE\s+STRIPPED\s+no")
        self.assertEqual(self.json_lines("profile", "summary", "f1")[0]
                         .get("total_events", "0"), "0")
        late = self.ingest_csv("late.csv", self.likes("f1", ["p5"], "late"))
        self.assertEqual(late[0], portraitctl.EXIT_REJECTED)
        self.assertEqual(self.summary(late[1])["rejected_by_reason"],
                         {"SIGNAL_STRIPPED": 1})

    def test_export_and_account_deletion(self):
        code, out, err = self.ingest_csv("del.csv",
                                         self.likes("d1", ["p1"], "del"))
        self.assertEqual(code, 0, err)
        path = os.path.join(self.dir.name, "d1.jsonl")
        table = self.check_ok("profile", "export", "d1", "--out", path)
        self.assertRegex(table, r"event\s+1")
        with open(path) as f:
            parts = [json.loads(line) for line in f]
        self.assertIn("header", parts[0])
        self.assertIn("trailer", parts[-1])
        deleted = self.json_lines("profile", "delete", "d1", "--confirm",
                                  "d1")[0]
        self.assertTrue(deleted["receipt_id"])
        code, out, err = self.ctl("consent", "set", "d1", "--grant", "like",
                                  "--policy-version", "1")
        self.assertEqual(code, 10 + 9, err)  # FAILED_PRECONDITION
        self.assertRegex(self.check_ok("consent", "get", "d1"),
                         r"account deleted\s+yes")


class PortraitctlTlsTest(unittest.TestCase):
    """portraitctl with client certificates against a server with mutual
    TLS: each role reaches its own methods only."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.certs = os.path.join(cls.dir.name, "certs")
        subprocess.run([MAKE_DEV_CERTS, cls.certs], check=True,
                       capture_output=True, timeout=60)
        cls.server = Portraitd(PORTRAITD, os.path.join(cls.dir.name, "db"),
                               os.path.join(cls.dir.name, "portraitd.log"),
                               certs=cls.certs)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.dir.cleanup()

    def ctl_as(self, who, *args):
        tls = ["--ca=%s/ca.pem" % self.certs,
               "--cert=%s/%s.pem" % (self.certs, who),
               "--key=%s/%s.key" % (self.certs, who)]
        run = subprocess.run(
            [sys.executable, PORTRAITCTL, "--target=" + self.server.target] +
            tls + list(args), capture_output=True, text=True, timeout=60)
        return run.returncode, run.stdout, run.stderr

    def test_each_role_reaches_its_own_methods(self):
        code, out, err = self.ctl_as("privacy-desk", "consent", "get", "u1")
        self.assertEqual(code, 0, err)
        self.assertRegex(out, r"user\s+u1")
        code, out, err = self.ctl_as("privacy-desk", "recommend", "u1")
        self.assertEqual(code, 10 + 7, err)  # PERMISSION_DENIED
        self.assertIn("Recommend", err)
        self.assertIn("ROLE_PRIVACY_DESK", err)
        code, out, err = self.ctl_as("feed", "recommend", "u1")
        self.assertEqual(code, 0, err)
        backup = os.path.join(self.dir.name, "backup")
        code, out, err = self.ctl_as("privacy-desk", "admin", "checkpoint",
                                     backup)
        self.assertEqual(code, 10 + 7, err)
        self.assertFalse(os.path.exists(backup))
        code, out, err = self.ctl_as("admin", "admin", "checkpoint", backup)
        self.assertEqual(code, 0, err)
        self.assertTrue(os.path.isdir(backup))
        code, out, err = self.ctl_as("stranger", "consent", "get", "u1")
        self.assertEqual(code, 10 + 16, err)  # UNAUTHENTICATED

    def test_certificate_flag_mistakes_are_local(self):
        run = subprocess.run(
            [sys.executable, PORTRAITCTL, "--target=" + self.server.target,
             "--ca=%s/ca.pem" % self.certs, "consent", "get", "u1"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, portraitctl.EXIT_USAGE, run.stderr)
        self.assertIn("--ca, --cert and --key go together", run.stderr)
        code, out, err = self.ctl_as("nobody", "consent", "get", "u1")
        self.assertEqual(code, portraitctl.EXIT_LOCAL, err)
        self.assertIn("nobody.pem", err)


if __name__ == "__main__":
    PORTRAITD, PORTRAITCTL, MAKE_DEV_CERTS = sys.argv[1:4]
    del sys.argv[1:4]
    unittest.main()
