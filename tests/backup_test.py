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
import subprocess
import sys
import tempfile
import unittest

import grpc

from portrait.v1 import common_pb2
from portrait.v1 import profile_pb2
from portrait_client import PortraitClient
from portraitd_process import Portraitd

PORTRAITD = None  # Set from argv.
PORTRAITCTL = None


class BackupTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.servers = []

    def tearDown(self):
        for server in self.servers:
            if server.running():
                server.stop()
        self.dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def start(self, data_dir):
        server = Portraitd(PORTRAITD, data_dir,
                           self.path("log-%d" % len(self.servers)),
                           "--retrain_after_s=3600")
        server.client = PortraitClient.plaintext(server.target)
        server.client.wait_ready()
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
