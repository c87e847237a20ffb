"""A cluster on loopback, as docs/SCALING.md describes it: three portraitd
shards behind Debian's HAProxy 2.6 (h2c, consistent hashing on
x-portrait-user), each summing the others' popularity and co-engagement
counts (--peers) and serving one trained model of every shard's users
(trained in rounds driven by s0), driven through the proxy by the Python
client, with the shipped ranking. Checks
that each user's data lives on exactly one shard, that the shards share the
load, that one shard's users move the other shards' answers, that a STRIP
through the proxy leaves every answer on every shard equal to a cluster
that never saw the data, and that with one shard killed (kill -9) the other
shards' users are served while the dead shard's users get UNAVAILABLE.

Run by tests:cluster_test with Debian's /usr/bin/python3:

    cluster_test.py PORTRAITD_BINARY HAPROXY_CONFIG_PY RANKING_TEXTPROTO \
        PORTRAITCTL_PY
"""

import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import grpc

from portrait.v1 import common_pb2
from portrait.v1 import consent_pb2
from portrait.v1 import ingest_pb2
from portrait.v1 import profile_pb2
from portrait.v1 import profile_pb2_grpc
from portrait.v1 import recommend_pb2
from portrait.v1 import shard_pb2
from portrait.v1 import shard_pb2_grpc
from portrait_client import PortraitClient, ROUTED_USER
from portraitd_process import Portraitd

PORTRAITD = HAPROXY_CONFIG = RANKING = PORTRAITCTL = None  # Set from argv.
SHARDS = ["s0", "s1", "s2"]
USERS = ["u%02d" % i for i in range(30)]
POSTS = ["p%02d" % i for i in range(24)]
STRIPPED = "u03"
NOW_MS = PortraitClient.now_ms()
# Train (over every shard, driven by s0) about a second after data changes.
MODEL_FLAGS = ["--retrain_after_s=1", "--maintenance_interval_s=1"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metric(process, series):
    """The value of `series` (e.g. 'portrait_x{peer="s1"}') on the metrics
    page of `process` (a Portraitd); None if absent."""
    url = "http://127.0.0.1:%d/metrics" % process.metrics_port
    with urllib.request.urlopen(url, timeout=10) as page:
        for line in page.read().decode().splitlines():
            if line.startswith(series + " "):
                return float(line.split()[-1])
    return None


def settle_model(process, timeout_s=30):
    """Waits until one server serves a model trained on its current data."""
    deadline = time.time() + timeout_s
    while metric(process, "portrait_model_current") != 1:
        if time.time() > deadline:
            raise AssertionError("no model of the current data")
        time.sleep(0.1)


class Cluster:
    """Shards named `names` (by default SHARDS) and HAProxy, in `directory`
    (each shard's data in `directory`/NAME, kept from an earlier cluster
    there)."""

    def __init__(self, directory, names=SHARDS):
        os.makedirs(directory, exist_ok=True)
        self.directory = directory
        self.names = list(names)
        self.ports = {name: free_port() for name in self.names}
        self.shards = {}
        for name in self.names:
            self.start_shard(name)
        self.port = free_port()
        config = subprocess.run(
            [sys.executable, HAPROXY_CONFIG,
             "--listen=127.0.0.1:%d" % self.port] +
            ["%s=%s" % (name, shard.target)
             for name, shard in self.shards.items()],
            check=True, capture_output=True, text=True).stdout
        config_path = os.path.join(directory, "haproxy-%d.cfg" % self.port)
        with open(config_path, "w") as f:
            f.write(config)
        self.haproxy_log = open(
            os.path.join(directory, "haproxy-%d.log" % self.port), "w")
        self.haproxy = subprocess.Popen(
            ["haproxy", "-f", config_path, "-db"], stdout=self.haproxy_log,
            stderr=subprocess.STDOUT)
        self.client = PortraitClient.cluster("127.0.0.1:%d" % self.port,
                                             self.names)
        self.client.wait_ready()

    def direct(self, name, user):
        """GetEventSummary of `user` asked of shard `name` itself."""
        channel = grpc.insecure_channel(self.shards[name].target)
        try:
            return profile_pb2_grpc.ProfileServiceStub(channel).GetEventSummary(
                profile_pb2.GetEventSummaryRequest(user_id=user),
                metadata=[("x-portrait-shard", name), (ROUTED_USER, user)],
                timeout=10).total_events
        finally:
            channel.close()

    def start_shard(self, name, log_suffix=""):
        """Starts shard `name` on its port and data directory (again, after
        it was killed)."""
        if name in self.shards:
            self.shards[name].log.close()
        peers = ",".join("%s=127.0.0.1:%d" % (peer, self.ports[peer])
                         for peer in self.names if peer != name)
        self.shards[name] = Portraitd(
            PORTRAITD, os.path.join(self.directory, name),
            os.path.join(self.directory, name + log_suffix + ".log"),
            "--listen=127.0.0.1:%d" % self.ports[name],
            "--shard_name=" + name, "--peers=" + peers, "--peer_sync_ms=100",
            "--metrics_listen=127.0.0.1:0", "--ranking=" + RANKING,
            *MODEL_FLAGS)

    def metric(self, name, series):
        """The value of `series` on shard `name`'s metrics page."""
        return metric(self.shards[name], series)

    def contribution(self, name, applied=None):
        """Shard `name`'s contribution, whole, or since `applied` (an
        earlier contribution of it)."""
        request = shard_pb2.GetContributionRequest(shard="cluster-test")
        if applied is not None:
            request.applied_instance = applied.instance
            request.applied_version = applied.version
        channel = grpc.insecure_channel(self.shards[name].target)
        try:
            return shard_pb2_grpc.ShardServiceStub(channel).GetContribution(
                request, timeout=10)
        finally:
            channel.close()

    def settle(self, timeout_s=30):
        """Waits until every shard serves every other shard's current
        counts, then until every shard serves one model version trained on
        its current data."""
        self.settle_counts(timeout_s)
        deadline = time.time() + timeout_s
        while True:
            models = {name: (self.metric(name, "portrait_model_version"),
                             self.metric(name, "portrait_model_current"))
                      for name in self.names}
            if (len({version for version, _ in models.values()}) == 1 and
                    all(current == 1 for _, current in models.values())):
                return
            if time.time() > deadline:
                raise AssertionError("no model of the current data: %s"
                                     % models)
            time.sleep(0.1)

    def settle_counts(self, timeout_s):
        """Waits until every shard serves every other shard's current
        counts."""
        # A shard answers with its last build for one peer interval (0.1 s):
        # builds asked for after that hold every change made before.
        time.sleep(0.2)
        deadline = time.time() + timeout_s
        while True:
            seen = {name: self.contribution(name) for name in self.names}
            versions = {name: c.version for name, c in seen.items()}
            if all({a.shard: a.version for a in c.applied} ==
                   {peer: versions[peer] for peer in self.names
                    if peer != name}
                   for name, c in seen.items()):
                return
            if time.time() > deadline:
                raise AssertionError("the shards did not settle: %s" % seen)
            time.sleep(0.05)

    def owners(self, users=USERS):
        """For each of `users`, the shards that hold events of theirs."""
        return {user: [name for name in self.names
                       if self.direct(name, user) > 0]
                for user in users}

    def feed(self, user, surface=recommend_pb2.FEED, limit=10):
        answer = self.client.recommend(user, surface=surface, limit=limit)
        return [(item.item.kind, item.item.id) for item in answer.items]

    def stop(self):
        self.haproxy.terminate()
        self.haproxy.wait(timeout=10)
        self.haproxy_log.close()
        for shard in self.shards.values():
            if shard.running():
                shard.stop()


def world(client, with_stripped_likes):
    """The same catalog and events in any cluster; the STRIPPED user's likes
    only if asked."""
    rng = random.Random(7)
    for i, post in enumerate(POSTS):
        client.upsert_posts([post], NOW_MS - 3600_000 + i * 1000,
                            tags=["t%d" % (i % 4)])
    events = []
    for user in USERS:
        for post in rng.sample(POSTS, 6):
            at_ms = NOW_MS - rng.randrange(1, 3000_000)  # Drawn for all.
            if user == STRIPPED and not with_stripped_likes:
                continue
            events.append(PortraitClient.like(
                "%s-%s" % (user, post), user, post, at_ms))
    response = client.record_events(events)
    assert response.rejected == 0, response


def strip_likes(client):
    return client.revoke(STRIPPED, common_pb2.LIKE,
                         request_id=STRIPPED + "-strip")


class ClusterTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.clusters = []
        cls.saw = cls.start("saw")
        cls.never = cls.start("never")
        world(cls.saw.client, with_stripped_likes=True)
        world(cls.never.client, with_stripped_likes=False)
        cls.saw.settle()
        cls.never.settle()
        # One server of every user, for what the cluster's sums must equal.
        cls.single = Portraitd(PORTRAITD, os.path.join(cls.dir.name, "one"),
                               os.path.join(cls.dir.name, "one.log"),
                               "--ranking=" + RANKING,
                               "--metrics_listen=127.0.0.1:0", *MODEL_FLAGS)
        cls.single.client = PortraitClient.plaintext(cls.single.target)
        cls.single.client.wait_ready()
        world(cls.single.client, with_stripped_likes=True)
        cls.owner = cls.saw.owners()
        cls.extra_events = {}  # By user: events beyond the world's six.
        cls.never_owner = cls.never.owners()

    @classmethod
    def start(cls, name):
        cluster = Cluster(os.path.join(cls.dir.name, name))
        cls.clusters.append(cluster)
        return cluster

    @classmethod
    def tearDownClass(cls):
        cls.single.stop()
        for cluster in cls.clusters:
            cluster.stop()
        cls.dir.cleanup()

    def test_a_each_users_data_lives_on_one_shard(self):
        for user in USERS:
            self.assertEqual(len(self.owner[user]), 1,
                             "%s is on %s" % (user, self.owner[user]))
        load = {name: sum(1 for user in USERS if self.owner[user] == [name])
                for name in SHARDS}
        for name in SHARDS:
            self.assertGreater(load[name], 0, load)
        # The ring depends on the shards' names and order only: a cluster
        # of other processes on other ports places every user alike.
        never_owner = dict(self.never_owner)
        never_owner[STRIPPED] = self.owner[STRIPPED]  # Has no events there.
        self.assertEqual(never_owner, self.owner)
        # A catalog write must name its shard.
        with self.assertRaises(grpc.RpcError) as caught:
            self.saw.client.ingest.UpsertItems(
                ingest_pb2.UpsertItemsRequest(), timeout=10)
        self.assertEqual(caught.exception.code(),
                         grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("x-portrait-to-shard: must name one of s0 s1 s2",
                      caught.exception.details())
        # The proxy routes each call about a user to that user's shard.
        for user in USERS:
            summary = self.saw.client.profile.GetEventSummary(
                profile_pb2.GetEventSummaryRequest(user_id=user), timeout=10)
            self.assertEqual(summary.total_events, 6, user)

    def single_feed(self, user, surface=recommend_pb2.FEED, limit=10):
        settle_model(self.single)
        answer = self.single.client.recommend(user, surface=surface,
                                              limit=limit)
        return [(item.item.kind, item.item.id) for item in answer.items]

    def test_b_a_strip_answers_as_if_never_seen(self):
        # Summed over the shards, the counts are one server's: every feed
        # is the one a single server of all users gives.
        for user in USERS:
            self.assertEqual(self.saw.feed(user), self.single_feed(user), user)
        before = self.saw.feed(STRIPPED)
        # The stripped user's likes move answers on the other shards too:
        # they count in every shard's popularity and co-engagement.
        elsewhere = [user for user in USERS
                     if self.owner[user] != self.owner[STRIPPED]]
        self.assertTrue(any(self.saw.feed(user) != self.never.feed(user)
                            for user in elsewhere))
        model_before = self.saw.metric("s0", "portrait_model_version")
        strip = strip_likes(self.saw.client)
        self.assertFalse(strip.replayed)
        type(self).strip_receipt = strip.receipt_id
        strip_likes(self.never.client)
        strip_likes(self.single.client)
        self.saw.settle()
        self.never.settle()
        self.assertEqual(self.saw.direct(self.owner[STRIPPED][0], STRIPPED), 0)
        for user in USERS:
            for surface in (recommend_pb2.FEED, recommend_pb2.PEOPLE):
                self.assertEqual(self.saw.feed(user, surface),
                                 self.never.feed(user, surface),
                                 "%s on %s, surface %d"
                                 % (user, self.owner[user], surface))
            self.assertEqual(self.saw.feed(user), self.single_feed(user), user)
        self.assertNotEqual(before, [], "the stripped user had a feed")
        # The receipt, found on the user's shard through the proxy, says
        # when the other shards stopped serving the stripped likes.
        self.assertEqual(self.peer_state(self.saw, STRIPPED, strip),
                         consent_pb2.DONE)
        # The trained model, trained over every shard's users, forgot too:
        # every shard serves a version trained after the strip (settle()),
        # and the receipt says so.
        self.assertGreater(self.saw.metric("s0", "portrait_model_version"),
                           model_before)
        self.assertEqual(self.peer_state(self.saw, STRIPPED, strip,
                                         component="trained_model"),
                         consent_pb2.DONE)

    def ctl(self, cluster, *args):
        run = subprocess.run(
            [sys.executable, PORTRAITCTL,
             "--target=127.0.0.1:%d" % cluster.port] + list(args),
            capture_output=True, text=True, timeout=60)
        return run.returncode, run.stdout, run.stderr

    def test_b_b_portraitctl_through_the_proxy(self):
        code, out, err = self.ctl(self.saw, "--route-by-user", "--json",
                                  "profile", "summary", "u00")
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out)["total_events"], "6")
        # The receipt's user comes from its id.
        code, out, err = self.ctl(self.saw, "--route-by-user", "--json",
                                  "consent", "erasure", self.strip_receipt)
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out)["receipt"]["user_id"], STRIPPED)
        # Unrouted, a shard refuses it: 10 + INVALID_ARGUMENT.
        code, out, err = self.ctl(self.saw, "profile", "summary", "u00")
        self.assertEqual(code, 13, err)
        self.assertIn("x-portrait-user", err)
        # A checkpoint of one shard, addressed by name.
        target = os.path.join(self.dir.name, "checkpoint-s1")
        code, out, err = self.ctl(self.saw, "--to-shard", "s1", "--json",
                                  "admin", "checkpoint", target)
        self.assertEqual(code, 0, err)
        self.assertTrue(os.path.isdir(target))

    def test_b_c_settings_about_others_reach_every_shard(self):
        # An author's HIDE_MY_POSTS_FROM and a person's exposure are kept on
        # their own shard; the other shards' users must be answered as one
        # server of every user answers them.
        author = USERS[1]
        viewer = next(user for user in USERS
                      if self.owner[user] != self.owner[author])
        person = next(user for user in USERS if user not in (author, viewer)
                      and self.owner[user] != self.owner[viewer])
        post = "by-" + author
        # The fans follow the person and are people too: each is offered to
        # the others ("people who follow what you follow"), across shards.
        fans = [user for user in USERS
                if user not in (author, viewer, person)][:8]
        self.assertGreater(len({tuple(self.owner[fan]) for fan in fans}), 1)
        for client in (self.saw.client, self.single.client):
            people = [ingest_pb2.Item(person=ingest_pb2.Person(user_id=user))
                      for user in [author, person] + fans]
            people.append(ingest_pb2.Item(post=ingest_pb2.Post(
                post_id=post, author_id=author, created_at_ms=NOW_MS)))
            client.upsert_items(people)
            events = [PortraitClient.like("fan-%s" % fan, fan, post, NOW_MS)
                      for fan in fans]
            events += [ingest_pb2.Event(
                event_id="follows-%s" % fan, user_id=fan,
                signal=common_pb2.FOLLOW, occurred_at_ms=NOW_MS,
                target=common_pb2.ItemRef(kind=common_pb2.ITEM_USER,
                                          id=person)) for fan in fans]
            self.assertEqual(client.record_events(events).rejected, 0)
        for fan in fans:  # Two more events each.
            type(self).extra_events[fan] = self.extra_events.get(fan, 0) + 2
        self.saw.settle()
        people_feed = lambda cluster, user: cluster.feed(
            user, recommend_pb2.PEOPLE, 50)
        self.assertIn((common_pb2.ITEM_POST, post), self.saw.feed(viewer,
                                                                   limit=50))
        self.assertIn((common_pb2.ITEM_USER, person),
                      people_feed(self.saw, viewer))
        fan, other = next((a, b) for a in fans for b in fans
                          if self.owner[a] != self.owner[b])
        self.assertIn((common_pb2.ITEM_USER, other), people_feed(self.saw, fan))

        for client in (self.saw.client, self.single.client):
            for user, change in (
                    (author, consent_pb2.ConsentChange(
                        relationship=consent_pb2.RelationshipChange(
                            relationship=consent_pb2.HIDE_MY_POSTS_FROM,
                            target_id=viewer, add=True))),
                    (person, consent_pb2.ConsentChange(
                        purpose=consent_pb2.PurposeChange(
                            purpose=consent_pb2.PEOPLE_YOU_MAY_KNOW_EXPOSURE,
                            enabled=False)))):
                client.consent.SetConsent(consent_pb2.SetConsentRequest(
                    user_id=user, changes=[change],
                    requester=consent_pb2.REQUESTER_USER,
                    caller_id="cluster-test", request_id=user + "-settings",
                    policy_version=1), timeout=10)
        self.saw.settle()
        self.assertNotIn((common_pb2.ITEM_POST, post),
                         self.saw.feed(viewer, limit=50))
        for user in USERS:
            self.assertNotIn((common_pb2.ITEM_USER, person),
                             people_feed(self.saw, user), user)
            self.assertEqual(self.saw.feed(user, limit=50),
                             self.single_feed(user, limit=50), user)
            self.assertEqual(
                people_feed(self.saw, user),
                self.single_feed(user, recommend_pb2.PEOPLE, 50), user)

    def test_b_d_friends_on_other_shards(self):
        # Friends' taste and friends of friends are read from the friend's
        # shard at each answer: every answer equals one server's.
        befrienders = [user for user in USERS if user != STRIPPED][10:22]
        for client in (self.saw.client, self.single.client):
            rng = random.Random(11)
            events = []
            for user in befrienders:
                others = [other for other in USERS
                          if self.owner[other] != self.owner[user]]
                for other in sorted(random.Random(user).sample(others, 3)):
                    events.append(ingest_pb2.Event(
                        event_id="%s-befriends-%s" % (user, other),
                        user_id=user, signal=common_pb2.FRIEND,
                        occurred_at_ms=NOW_MS - rng.randrange(1, 600_000),
                        target=common_pb2.ItemRef(kind=common_pb2.ITEM_USER,
                                                  id=other)))
            self.assertEqual(client.record_events(events).rejected, 0)
        for user in befrienders:
            type(self).extra_events[user] = (
                self.extra_events.get(user, 0) + 3)
        self.saw.settle()
        for user in USERS:
            for surface in (recommend_pb2.FEED, recommend_pb2.PEOPLE):
                self.assertEqual(self.saw.feed(user, surface, 50),
                                 self.single_feed(user, surface, 50),
                                 "%s, surface %d" % (user, surface))
        reasons = set()
        for user in befrienders:
            for surface in (recommend_pb2.FEED, recommend_pb2.PEOPLE):
                answer = self.saw.client.recommend(user, surface=surface,
                                                   limit=50)
                reasons |= {reason.source for item in answer.items
                            for reason in item.reasons}
        # Every friend is on another shard than the user.
        self.assertIn(recommend_pb2.FRIENDS_ENGAGED, reasons)
        self.assertIn(recommend_pb2.FRIENDS_OF_FRIENDS, reasons)

    def test_b_e_a_shard_sends_what_changed(self):
        # A peer that serves an earlier version of a shard's counts gets
        # only what changed since: one more like gives a delta of a few
        # entries, against the whole contribution's thousands of pairs.
        user = next(user for user in USERS if user != STRIPPED)
        name = self.owner[user][0]
        self.saw.settle_counts(30)
        # The other shards, stopped, keep serving this version: the shard
        # keeps the log of what changed after it.
        others = [self.saw.shards[other].process for other in SHARDS
                  if other != name]
        for process in others:
            process.send_signal(signal.SIGSTOP)
        try:
            whole = self.saw.contribution(name)
            self.assertEqual(whole.since, 0)
            event = PortraitClient.like("%s-more" % user, user, POSTS[-1],
                                        NOW_MS - 1000)
            self.assertEqual(self.saw.client.record_events([event]).rejected,
                             0)
            type(self).extra_events[user] = self.extra_events.get(user, 0) + 1
            delta = self.saw.contribution(name, applied=whole)
        finally:
            for process in others:
                process.send_signal(signal.SIGCONT)
        self.assertEqual(delta.since, whole.version)
        self.assertGreater(delta.version, whole.version)
        self.assertEqual([c.label for c in delta.popularity],
                         ["post:" + POSTS[-1]])
        self.assertLess(len(delta.co_pairs), len(whole.co_pairs))
        self.assertGreater(len(delta.co_pairs), 0)
        # Once every other shard serves the like, the log up to it is
        # trimmed: an asker still at the old version gets a whole one.
        self.saw.settle_counts(30)
        again = self.saw.contribution(name, applied=whole)
        self.assertEqual(again.since, 0)
        self.assertGreater(len(again.co_pairs), len(delta.co_pairs))
        # With nothing changed since every peer fetched, nothing is kept.
        deadline = time.time() + 10
        while self.saw.metric(name, "portrait_change_log_entries") != 0:
            self.assertLess(time.time(), deadline, "the log was not trimmed")
            time.sleep(0.1)
        # Every shard serves it like a whole one: answers equal one server's.
        self.single.client.record_events([event])
        self.saw.settle()
        for other in USERS:
            self.assertEqual(self.saw.feed(other, limit=50),
                             self.single_feed(other, limit=50), other)

    def peer_state(self, cluster, user, revocation, wait_s=10,
                   component="peer_shards"):
        """The state of the receipt's `component`, once DONE or after
        `wait_s`."""
        deadline = time.time() + wait_s
        while True:
            status = cluster.client.consent.GetErasureStatus(
                consent_pb2.GetErasureStatusRequest(
                    receipt_id=revocation.receipt_id),
                metadata=[(ROUTED_USER, user)], timeout=10)
            self.assertEqual(status.receipt.user_id, user)
            found = [c for c in status.receipt.components
                     if c.component == component]
            self.assertEqual(len(found), 1, status)
            if found[0].state == consent_pb2.DONE or time.time() > deadline:
                return found[0].state
            time.sleep(0.05)

    def test_c_a_dead_shard_fails_only_its_users(self):
        dead = self.owner[USERS[0]][0]
        self.saw.shards[dead].process.kill()
        self.saw.shards[dead].process.wait(timeout=10)
        served = failed = 0
        for user in USERS:
            if self.owner[user] == [dead]:
                with self.assertRaises(grpc.RpcError) as caught:
                    self.saw.feed(user)
                self.assertEqual(caught.exception.code(),
                                 grpc.StatusCode.UNAVAILABLE, user)
                self.assertEqual(caught.exception.details(),
                                 "portrait shard %s is unavailable" % dead)
                failed += 1
            else:
                self.assertIsInstance(self.saw.feed(user), list)
                summary = self.saw.client.profile.GetEventSummary(
                    profile_pb2.GetEventSummaryRequest(user_id=user),
                    timeout=10)
                self.assertEqual(
                    summary.total_events,
                    0 if user == STRIPPED else
                    6 + self.extra_events.get(user, 0), user)
                served += 1
        self.assertGreater(failed, 0)
        self.assertGreater(served, 0)
        # A revocation on a live shard: its other components are done, but
        # the dead shard cannot say it forgot, so the receipt says PENDING.
        alive = next(user for user in USERS
                     if self.owner[user] != [dead] and user != STRIPPED)
        strip = self.saw.client.revoke(alive, common_pb2.LIKE,
                                       request_id=alive + "-strip")
        self.assertEqual(self.peer_state(self.saw, alive, strip, wait_s=1),
                         consent_pb2.PENDING)
        # What an operator sees: a live shard's last fetch of the dead one
        # ages, of the other live one it stays recent (fetches run every
        # 0.1 s), and the receipt is pending.
        live = self.owner[alive][0]
        self.assertGreater(self.saw.metric(
            live, 'portrait_peer_fetch_age_seconds{peer="%s"}' % dead), 1.0)
        other = next(name for name in SHARDS if name not in (dead, live))
        self.assertLess(self.saw.metric(
            live, 'portrait_peer_fetch_age_seconds{peer="%s"}' % other), 5.0)
        self.assertGreaterEqual(
            self.saw.metric(live, "portrait_erasure_receipts_pending"), 1)

        # kill -9 of the receipt's shard too: the pending component is in
        # its database. Both restart on their data: every user is served
        # again, and once the other shards serve the receipt's shard's
        # counts as loaded, the receipt is done.
        self.saw.shards[live].process.kill()
        self.saw.shards[live].process.wait(timeout=10)
        self.saw.start_shard(live, log_suffix="-restarted")
        self.assertEqual(self.peer_state(self.saw, alive, strip, wait_s=1),
                         consent_pb2.PENDING)
        self.saw.start_shard(dead, log_suffix="-restarted")
        self.assertEqual(self.peer_state(self.saw, alive, strip, wait_s=30),
                         consent_pb2.DONE)
        for user in USERS:
            self.assertIsInstance(self.saw.feed(user), list)


if __name__ == "__main__":
    PORTRAITD, HAPROXY_CONFIG, RANKING, PORTRAITCTL = sys.argv[1:5]
    unittest.main(argv=sys.argv[:1], verbosity=2)
