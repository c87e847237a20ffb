"""Backups: a checkpoint taken through portraitctl while portraitd runs,
restored by starting a portraitd on it, and the restore procedure of
docs/OPERATIONS.md#backups: a restored backup has lost the revocations made
after it, and resending them (the same SetConsent requests, same request
ids) erases the data again. Run by tests:backup_test with Debian's
/usr/bin/python3:

    backup_test.py PORTRAITD_BINARY PORTRAITCTL_PY
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

import grpc

from portrait.v1 import common_pb2
from portrait.v1 import profile_pb2
from portrait_client import PortraitClient

PORTRAITD = None  # Set from argv.
PORTRAITCTL = None


class Server:
    """A portraitd on `data_dir`, plaintext on loopback."""

    def __init__(self, data_dir, log_path):
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(
            [PORTRAITD, "--listen=127.0.0.1:0", "--plaintext_loopback",
             "--data_dir=" + data_dir, "--retrain_after_s=3600"],
            stdout=self.log, stderr=subprocess.STDOUT)
        port = None
        for _ in range(300):
            with open(log_path) as f:
                m = re.search(r'"event":"serving","port":(\d+)', f.read())
            if m:
                port = m.group(1)
                break
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        if port is None:
            with open(log_path) as f:
                raise RuntimeError("portraitd did not start:\n" + f.read())
        self.target = "127.0.0.1:" + port
        self.client = PortraitClient.plaintext(self.target)
        self.client.wait_ready()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()
        return self.process.returncode


class BackupTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.servers = []

    def tearDown(self):
        for server in self.servers:
            if server.process.poll() is None:
                server.stop()
        self.dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def start(self, data_dir):
        server = Server(data_dir, self.path("log-%d" % len(self.servers)))
        self.servers.append(server)
        return server

    def ctl(self, server, *args):
        run = subprocess.run(
            [sys.executable, PORTRAITCTL, "--target=" + server.target] +
            list(args), capture_output=True, text=True, timeout=60)
        return run.returncode, run.stdout, run.stderr

    def events(self, server, user):
        summary = server.client.profile.GetEventSummary(
            profile_pb2.GetEventSummaryRequest(user_id=user), timeout=10)
        return summary.total_events

    def like(self, event_id, user, post):
        return PortraitClient.like(event_id, user, post,
                                   PortraitClient.now_ms() - 60000)

    def test_a_checkpoint_restores_and_resent_revocations_erase_again(self):
        live = self.start(self.path("live"))
        live.client.record_events([self.like("a1", "ann", "p1"),
                                   self.like("a2", "ann", "p2")])
        backup = self.path("backup")
        code, out, err = self.ctl(live, "--json", "admin", "checkpoint",
                                  backup)
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out)["directory"], backup)
        # After the backup: a new user's events, and Ann's STRIP of LIKE.
        live.client.record_events([self.like("b1", "bob", "p1")])
        strip = live.client.revoke("ann", common_pb2.LIKE,
                                   request_id="ann-strip-1")
        self.assertFalse(strip.replayed)
        self.assertEqual(self.events(live, "ann"), 0)
        self.assertEqual(live.stop(), 0)

        # The restore: a server on the checkpoint has what was acknowledged
        # before it, and nothing after, the revocation included.
        restored = self.start(backup)
        self.assertEqual(self.events(restored, "ann"), 2)
        self.assertEqual(self.events(restored, "bob"), 0)
        # Resending the revocations made since the backup, as they were
        # sent: applied again (not a replay, the restored ledger never saw
        # them), and Ann's likes are gone again.
        again = restored.client.revoke("ann", common_pb2.LIKE,
                                       request_id="ann-strip-1")
        self.assertFalse(again.replayed)
        self.assertEqual(self.events(restored, "ann"), 0)
        late = restored.client.record_events([self.like("a3", "ann", "p3")])
        self.assertEqual(late.rejected, 1)

    def test_checkpoint_errors_name_the_directory(self):
        live = self.start(self.path("live"))
        existing = self.path("existing")
        os.mkdir(existing)
        for directory, code, text in (
                ("relative/dir", grpc.StatusCode.INVALID_ARGUMENT,
                 "absolute path"),
                (existing, grpc.StatusCode.ALREADY_EXISTS, existing),
                (self.path("no/such/parent/dir"),
                 grpc.StatusCode.FAILED_PRECONDITION, "no/such/parent")):
            status, out, err = self.ctl(live, "admin", "checkpoint",
                                        directory)
            self.assertEqual(status, 10 + code.value[0], err)
            self.assertIn(text, err)
        self.assertEqual(os.listdir(existing), [])


if __name__ == "__main__":
    PORTRAITD, PORTRAITCTL = sys.argv[1], sys.argv[2]
    del sys.argv[1:3]
    unittest.main(verbosity=2)
