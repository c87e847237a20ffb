"""portraitd's metrics port scraped by a real Prometheus (Debian's
`prometheus`, started on loopback): the page is the text exposition format,
Prometheus scrapes it (`up` is 1), and the counters it stores move when
calls are made. Run by tests:metrics_test with Debian's /usr/bin/python3:

    metrics_test.py PORTRAITD_BINARY
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
import urllib.parse
import urllib.request

from portrait.v1 import common_pb2
from portrait_client import PortraitClient
from portraitd_process import Portraitd

PORTRAITD = None  # Set from argv.
PROMETHEUS = "/usr/bin/prometheus"
RECORD_EVENTS_OK = ('portrait_rpc_requests_total{method="/portrait.v1.'
                    'IngestService/RecordEvents",code="OK"}')


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, read, timeout_s=30.0):
    """Calls read() until it returns something truthy; fails after
    timeout_s naming `what`."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        value = read()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


class MetricsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.server = Portraitd(
            PORTRAITD, os.path.join(cls.dir.name, "db"),
            os.path.join(cls.dir.name, "portraitd.log"),
            "--metrics_listen=127.0.0.1:0", "--retrain_after_s=3600",
            # The on-disk part of an erasure stays pending throughout.
            "--disk_erasure_interval_s=3600")
        cls.client = PortraitClient.plaintext(cls.server.target)
        cls.client.wait_ready()
        metrics_port = cls.server.metrics_port
        cls.metrics_url = "http://127.0.0.1:%d/metrics" % metrics_port

        cls.prometheus_port = free_port()
        config = os.path.join(cls.dir.name, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n"
                    "scrape_configs:\n  - job_name: portrait\n"
                    "    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n" % metrics_port)
        cls.prometheus_log = open(
            os.path.join(cls.dir.name, "prometheus.log"), "w")
        cls.prometheus = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + config,
             "--storage.tsdb.path=" + os.path.join(cls.dir.name, "tsdb"),
             "--web.listen-address=127.0.0.1:%d" % cls.prometheus_port],
            stdout=cls.prometheus_log, stderr=subprocess.STDOUT)

    @classmethod
    def tearDownClass(cls):
        cls.prometheus.terminate()
        cls.prometheus.wait(timeout=30)
        cls.prometheus_log.close()
        cls.server.stop()
        cls.dir.cleanup()

    def query(self, expression):
        """The value of an instant query's single sample, or None."""
        url = ("http://127.0.0.1:%d/api/v1/query?query=%s"
               % (self.prometheus_port, urllib.parse.quote(expression)))
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                answer = json.load(response)
        except OSError:
            return None  # Not listening yet.
        result = answer["data"]["result"]
        return float(result[0]["value"][1]) if result else None

    def page(self):
        with urllib.request.urlopen(self.metrics_url, timeout=5) as response:
            self.assertEqual(response.headers["Content-Type"],
                             "text/plain; version=0.0.4; charset=utf-8")
            return response.read().decode()

    def sample(self, page, series):
        m = re.search("^" + re.escape(series) + r" (\S+)$", page, re.M)
        return float(m.group(1)) if m else None

    def like(self, event_id, user, post):
        return PortraitClient.like(event_id, user, post,
                                   PortraitClient.now_ms() - 60000)

    def test_the_page_is_the_text_format(self):
        page = self.page()
        families = re.findall(r"^# TYPE (\S+) (\S+)$", page, re.M)
        self.assertIn(("portrait_rpc_requests_total", "counter"), families)
        self.assertIn(("portrait_rpc_duration_seconds", "histogram"),
                      families)
        self.assertIn(("portrait_erasure_receipts_pending", "gauge"), families)
        for name, _ in families:
            self.assertRegex(page, r"(?m)^# HELP %s \S" % name)
        for line in page.splitlines():
            if not line.startswith("#"):
                self.assertRegex(line, r'^[a-z_]+(\{[a-z_]+="[^"]*"'
                                       r'(,[a-z_]+="[^"]*")*\})? \S+$')
        self.assertRegex(page, r'(?m)^portrait_rocksdb_sst_bytes'
                               r'\{column="events"\} \d+$')

    def test_prometheus_scrapes_and_the_counters_move(self):
        self.assertTrue(os.access(PROMETHEUS, os.X_OK),
                        "Debian's prometheus is not installed "
                        "(tools/install_deps.sh installs it)")
        wait_for("Prometheus to scrape portraitd (up == 1)",
                 lambda: self.query('up{job="portrait"}') == 1.0)
        self.client.record_events([self.like("m1", "mu1", "p1"),
                                   self.like("m2", "mu1", "p2")])
        before = wait_for("RecordEvents OK in Prometheus",
                          lambda: self.query(RECORD_EVENTS_OK))
        # Two more calls: one stores, one is a self-follow, refused.
        self.client.record_events([self.like("m3", "mu2", "p1")])
        follow = self.like("m4", "mu2", "p1")
        follow.signal = common_pb2.FOLLOW
        follow.target.kind = common_pb2.ITEM_USER
        follow.target.id = "mu2"
        self.client.record_events([follow])
        self.client.revoke("mu1", common_pb2.LIKE, request_id="metrics-strip")
        wait_for("the counter to move in Prometheus",
                 lambda: (self.query(RECORD_EVENTS_OK) or 0) >= before + 2)
        wait_for("the stored events in Prometheus",
                 lambda: self.query('portrait_ingest_events_total'
                                    '{outcome="stored"}') == 3.0)
        page = self.page()
        self.assertEqual(self.sample(
            page, 'portrait_ingest_events_total{outcome="rejected",'
                  'reason="SELF_TARGET"}'), 1)
        self.assertEqual(self.sample(
            page, 'portrait_consent_changes_total{change="signal_revoke",'
                  'action="STRIP"}'), 1)
        self.assertEqual(self.sample(
            page, 'portrait_rpc_duration_seconds_count{method="/portrait.v1.'
                  'IngestService/RecordEvents"}'), 3)
        # The strip's compaction of its files waits for the disk eraser
        # (an hour away here): one receipt pending, as old as the strip.
        self.assertEqual(self.sample(page, "portrait_erasure_receipts_pending"),
                         1)
        age = self.sample(page, "portrait_erasure_oldest_pending_age_seconds")
        self.assertGreater(age, 0)
        self.assertLess(age, 60)
        # The revocation retrains at once: a model version serves.
        version = wait_for(
            "a trained model in the metrics",
            lambda: self.sample(self.page(), "portrait_model_version"))
        self.assertGreaterEqual(version, 1)
        page = self.page()
        self.assertGreaterEqual(
            self.sample(page, "portrait_model_training_seconds"), 0)
        self.assertLess(self.sample(page, "portrait_model_age_seconds"), 60)

    def test_a_metrics_port_taken_stops_the_start(self):
        log_path = os.path.join(self.dir.name, "second.log")
        with open(log_path, "w") as log:
            second = subprocess.run(
                [PORTRAITD, "--listen=127.0.0.1:0", "--plaintext_loopback",
                 "--data_dir=" + os.path.join(self.dir.name, "second"),
                 "--metrics_listen=127.0.0.1:%d" % self.server.metrics_port],
                stdout=log, stderr=subprocess.STDOUT, timeout=60)
        self.assertNotEqual(second.returncode, 0)
        with open(log_path) as f:
            lines = [json.loads(line) for line in f if line.startswith("{")]
        failed = [l for l in lines if l["event"] == "cannot_start"]
        self.assertEqual(len(failed), 1, lines)
        self.assertEqual(failed[0]["code"], 14)  # UNAVAILABLE
        self.assertIn("--metrics_listen", failed[0]["error"])
        self.assertIn(str(self.server.metrics_port), failed[0]["error"])


if __name__ == "__main__":
    PORTRAITD = sys.argv.pop(1)
    unittest.main(verbosity=2)
