"""Adding a shard to a cluster, as docs/SCALING.md#resharding says: three
shards behind HAProxy hold 120 users (likes, pushes, a frozen signal, a
stripped one with its receipt); the cluster stops; tools/cluster/reshard
moves the users the four-shard ring gives the new shard, killed (kill -9)
at growing delays and run again until it finishes; four shards and a new
proxy start on the same directories. Checks that tools/cluster/ring places
every user where the real proxy sent them, that portraitd refuses a
directory whose reshard is unfinished or whose cluster changed, that after
the move each user's data is on exactly the shard the proxy now sends them
to, every user's exported data (consent, ledger, receipts, events, pushes)
is what it was, and every feed equals one server's of all users.

Run by tests:reshard_test with Debian's /usr/bin/python3:

    reshard_test.py PORTRAITD HAPROXY_CONFIG_PY RANKING_TEXTPROTO RESHARD RING
"""

import os
import random
import subprocess
import sys
import tempfile
import time
import unittest

import cluster_test
from cluster_test import Cluster, settle_model
from portrait.v1 import common_pb2
from portrait.v1 import consent_pb2
from portrait.v1 import profile_pb2
from portrait.v1 import push_pb2
from portrait_client import PortraitClient, ROUTED_USER
from portraitd_process import Portraitd

RESHARD = RING = None  # Set from argv.
OLD = ["s0", "s1", "s2"]
NEW = ["s0", "s1", "s2", "s3"]
USERS = ["r%03d" % i for i in range(120)]
POSTS = ["p%02d" % i for i in range(24)]
FROZEN, STRIPPED = "r001", "r002"
NOW_MS = PortraitClient.now_ms()
# What an export holds of the user's own data (not the header's time, the
# profile or the model's contributions).
# The receipt is compared apart: its components progress.
KEPT_PARTS = ("consent", "ledger_entry", "event", "push")


def world(client):
    rng = random.Random(11)
    for i, post in enumerate(POSTS):
        client.upsert_posts([post], NOW_MS - 3600_000 + i * 1000,
                            tags=["t%d" % (i % 4)])
    events = [PortraitClient.like("%s-%s" % (user, post), user, post,
                                  NOW_MS - rng.randrange(1, 3000_000))
              for user in USERS for post in rng.sample(POSTS, 5)]
    assert client.record_events(events).rejected == 0
    for user in USERS[:40:3]:
        client.push.RecordPushes(push_pb2.RecordPushesRequest(pushes=[
            push_pb2.SentPush(
                user_id=user, purpose=push_pb2.PUSH_CONTENT,
                sent_at_ms=NOW_MS - 60_000,
                item=common_pb2.ItemRef(kind=common_pb2.ITEM_POST, id="p01"))
        ]), timeout=10)
    client.revoke(FROZEN, common_pb2.LIKE, request_id="freeze",
                  action=consent_pb2.FREEZE)
    return client.revoke(STRIPPED, common_pb2.LIKE, request_id="strip")


def ring(names, users):
    lines = subprocess.run([RING, "--shards=" + ",".join(names)],
                           input="\n".join(users), capture_output=True,
                           text=True, check=True).stdout.splitlines()
    return dict(line.split() for line in lines)


def export(client, user):
    parts = client.profile.ExportUserData(
        profile_pb2.ExportUserDataRequest(user_id=user), timeout=10)
    return [part.SerializeToString() for part in parts
            if part.WhichOneof("part") in KEPT_PARTS]


def receipt(client, receipt_id):
    """The receipt, once none of its components is PENDING but the on-disk
    erasure (which runs once a minute)."""
    deadline = time.time() + 30
    while True:
        found = client.consent.GetErasureStatus(
            consent_pb2.GetErasureStatusRequest(receipt_id=receipt_id),
            metadata=[(ROUTED_USER, receipt_id.split("/")[0])],
            timeout=10).receipt
        if all(c.state == consent_pb2.DONE for c in found.components
               if c.component != "raw_events_on_disk"):
            return found
        if time.time() > deadline:
            raise AssertionError("receipt still pending: %s" % found)
        time.sleep(0.1)


def feeds(client):
    return {user: [(item.item.kind, item.item.id)
                   for item in client.recommend(user).items]
            for user in USERS}


class ReshardTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.clusters = []
        self.single = None

    def tearDown(self):
        for cluster in self.clusters:
            cluster.stop()
        if self.single is not None:
            self.single.stop()
        self.dir.cleanup()

    def cluster(self, names):
        cluster = Cluster(os.path.join(self.dir.name, "cluster"), names)
        self.clusters.append(cluster)
        return cluster

    def reshard(self, *flags):
        data = ",".join("%s=%s" % (name, os.path.join(
            self.dir.name, "cluster", name)) for name in NEW)
        return subprocess.Popen(
            [RESHARD, "--shards=" + ",".join(NEW), "--data=" + data] +
            list(flags), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)

    def refusal(self, name, names):
        """What portraitd says when shard `name` of the cluster `names`
        cannot start on its directory; None if it starts."""
        try:
            shard = Portraitd(
                cluster_test.PORTRAITD,
                os.path.join(self.dir.name, "cluster", name),
                os.path.join(self.dir.name, "refused-%s.log" % name),
                "--shard_name=" + name, "--peers=" + ",".join(
                    "%s=127.0.0.1:1" % peer for peer in names if peer != name))
        except RuntimeError as refused:
            return str(refused)
        shard.stop()
        return None

    def test_adding_a_shard_moves_its_users_and_changes_no_answer(self):
        old = self.cluster(OLD)
        strip = world(old.client)
        old.settle()
        # The ring tool places every user where the proxy sent them.
        found = {user: shards for user, shards in old.owners(USERS).items()
                 if shards}
        self.assertGreater(len(found), 110)
        placed_old = ring(OLD, USERS)
        self.assertEqual(found, {user: [placed_old[user]] for user in found})
        before = {user: export(old.client, user) for user in USERS}
        receipts = {strip.receipt_id: receipt(old.client, strip.receipt_id)}
        self.single = Portraitd(
            cluster_test.PORTRAITD, os.path.join(self.dir.name, "one"),
            os.path.join(self.dir.name, "one.log"),
            "--ranking=" + cluster_test.RANKING,
            "--metrics_listen=127.0.0.1:0", *cluster_test.MODEL_FLAGS)
        self.single.client = PortraitClient.plaintext(self.single.target)
        world(self.single.client)
        settle_model(self.single)
        single_feeds = feeds(self.single.client)
        self.assertEqual(feeds(old.client), single_feeds)
        old.stop()
        self.clusters.remove(old)

        # A fourth shard without resharding: the old directories refuse.
        self.assertIn("this data directory's users were placed for the "
                      "shards s0 s1 s2; move them with tools/cluster/reshard",
                      self.refusal("s0", NEW))
        plan = self.reshard("--dry_run").communicate(timeout=60)[0]
        placed = ring(NEW, USERS)
        moving = [user for user in USERS if placed[user] != placed_old[user]]
        self.assertTrue(moving)
        self.assertTrue(all(placed[user] == "s3" for user in moving))
        self.assertIn("would move %d users" % len(moving), plan)

        # kill -9 as soon as a run starts moving users: the directories
        # stay marked, and portraitd refuses them.
        run = self.reshard()
        while not run.stdout.readline().startswith("moving "):
            self.assertIsNone(run.poll(), "the run ended before moving")
        run.kill()
        run.communicate(timeout=10)
        self.assertIn("did not finish; run tools/cluster/reshard again",
                      self.refusal("s0", NEW) or "started")
        # Then kill -9 at growing delays until a run finishes by itself.
        delay, cut_marked = 0.01, 0
        while True:
            run = self.reshard()
            time.sleep(delay)
            if run.poll() is not None:
                break
            run.kill()
            run.communicate(timeout=10)
            message = self.refusal("s0", NEW) or ""
            if "did not finish; run tools/cluster/reshard again" in message:
                cut_marked += 1
            delay *= 1.3
        output = run.communicate(timeout=60)[0]
        print("%d more runs cut mid-reshard; the last one said:\n%s"
              % (cut_marked, output))
        self.assertEqual(run.returncode, 0, output)
        # Finished: a run again moves nothing.
        again = self.reshard().communicate(timeout=60)[0]
        self.assertIn("moved 0 users", again)
        self.assertIn("s3: kept %d users" % len(moving), again)

        # The old cluster's layout is refused now.
        self.assertIn("name the shards s0 s1 s2, but this data directory's "
                      "users were placed for the shards s0 s1 s2 s3",
                      self.refusal("s1", OLD))

        new = self.cluster(NEW)
        new.settle()
        # Each user's data is on exactly the shard the proxy sends them to.
        self.assertEqual({user: shards for user, shards in
                          new.owners(USERS).items() if shards},
                         {user: [placed[user]] for user in found})
        # Nothing of any user changed, the receipt included.
        # Nothing of any user changed but the progress of the receipt: a
        # component pending at the move (the on-disk erasure runs once a
        # minute) moved with it and completes on the new shard.
        for user in USERS:
            self.assertEqual(export(new.client, user), before[user], user)
        after = receipt(new.client, strip.receipt_id)
        for then, now in zip(receipts[strip.receipt_id].components,
                             after.components):
            if then.state == consent_pb2.DONE:
                self.assertEqual(now, then)
            else:
                self.assertEqual(now.state, consent_pb2.DONE, now)
        self.assertEqual(len(after.components),
                         len(receipts[strip.receipt_id].components))
        # The new shard got the catalog, and the counts and the model over
        # every shard still equal one server's.
        self.assertEqual(feeds(new.client), single_feeds)


if __name__ == "__main__":
    (cluster_test.PORTRAITD, cluster_test.HAPROXY_CONFIG, cluster_test.RANKING,
     RESHARD, RING) = sys.argv[1:6]
    unittest.main(argv=sys.argv[:1], verbosity=2)
