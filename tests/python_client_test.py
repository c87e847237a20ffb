"""The Python client (tools/python/portrait_client.py) against a real
portraitd: an independent implementation of the wire contract ingests,
revokes, gets a feed and push candidates, and sees the documented status
codes. And portraitd's log, read as its operators would: one JSON object a
line, an access line per call with the caller's request id, and none of the
sensitive values the test planted in requests. Run by
tests:python_client_test with Debian's /usr/bin/python3:

    python_client_test.py PORTRAITD_BINARY
"""

import json
import os
import sys
import tempfile
import time
import unittest

import grpc

from portrait.v1 import common_pb2
from portrait.v1 import consent_pb2
from portrait.v1 import ingest_pb2
from portrait.v1 import recommend_pb2
from portrait_client import PortraitClient
from portraitd_process import Portraitd

PORTRAITD = None  # Set from argv.


class PythonClientTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.log_path = os.path.join(cls.dir.name, "portraitd.log")
        cls.server = Portraitd(PORTRAITD, os.path.join(cls.dir.name, "db"),
                               cls.log_path, "--retrain_after_s=3600")
        cls.client = PortraitClient.plaintext(cls.server.target)
        cls.client.wait_ready()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.dir.cleanup()

    def test_ingest_revoke_recommend_push(self):
        c = self.client
        now = c.now_ms()
        posts = ["py-p%d" % i for i in range(6)]
        self.assertEqual(c.upsert_posts(posts, now - 3600_000).upserted, 6)
        events = []
        # Everyone likes p0..p2; "pyann" also p3; the others p4 and p5.
        for u, user in enumerate(["pyann", "pybob", "pycid", "pydee"]):
            liked = posts[:3] + (posts[3:4] if user == "pyann" else posts[4:])
            for p in liked:
                events.append(c.like("%s-%s" % (user, p), user, p,
                                     now - 60_000 + u))
        recorded = c.record_events(events)
        self.assertEqual(recorded.stored, len(events))
        # Idempotent: the same events again are duplicates.
        self.assertEqual(c.record_events(events).duplicates, len(events))

        feed = c.recommend("pyann")
        self.assertTrue(feed.personalized)
        self.assertGreater(len(feed.items), 0)
        liked_reasons = [s for item in feed.items for r in item.reasons
                         for s in r.signals if s == common_pb2.LIKE]
        self.assertTrue(liked_reasons, "the feed cites LIKE before the strip")

        revoked = c.revoke("pyann", common_pb2.LIKE, request_id="py-r1")
        self.assertTrue(revoked.receipt_id)
        self.assertEqual(
            revoked.consent.signals[common_pb2.LIKE - 1].state,
            consent_pb2.STRIPPED)
        # The retry is answered from the first call.
        self.assertTrue(
            c.revoke("pyann", common_pb2.LIKE, request_id="py-r1").replayed)
        after = c.recommend("pyann")
        for item in after.items:
            for reason in item.reasons:
                self.assertNotIn(common_pb2.LIKE, reason.signals)
        # A late like of the stripped signal is refused, not stored.
        late = c.record_events([c.like("pyann-late", "pyann", posts[4],
                                       c.now_ms())])
        self.assertEqual(late.results[0].outcome, ingest_pb2.REJECTED)
        self.assertEqual(late.results[0].reason, ingest_pb2.SIGNAL_STRIPPED)

        push = c.push_candidates(["pybob", "pyann"])
        self.assertEqual([u.user_id for u in push.users], ["pybob", "pyann"])
        for user in push.users:
            for item in user.candidates:
                if user.user_id == "pyann":
                    for reason in item.reasons:
                        self.assertNotIn(common_pb2.LIKE, reason.signals)

    def test_errors_carry_the_documented_codes(self):
        c = self.client
        with self.assertRaises(grpc.RpcError) as bad:
            c.recommend("not valid!")
        self.assertEqual(bad.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("user_id", bad.exception.details())
        with self.assertRaises(grpc.RpcError) as no_surface:
            c.recommend("pyann", surface=recommend_pb2.SURFACE_UNSPECIFIED)
        self.assertEqual(no_surface.exception.code(),
                         grpc.StatusCode.INVALID_ARGUMENT)
        with self.assertRaises(grpc.RpcError) as unknown:
            c.consent.GetErasureStatus(
                consent_pb2.GetErasureStatusRequest(receipt_id="pyann/999"),
                timeout=10)
        self.assertEqual(unknown.exception.code(), grpc.StatusCode.NOT_FOUND)


    def test_logs_are_json_and_hold_no_sensitive_value(self):
        c = self.client
        now = c.now_ms()
        planted = ["planted-query-7391", "31.987654", "121.123456",
                   "planted comment 5521", "13912345678", "planted@example.org"]
        post = common_pb2.ItemRef(kind=common_pb2.ITEM_POST, id="py-p0")
        events = [
            ingest_pb2.Event(event_id="log-1", user_id="pylog",
                             signal=common_pb2.SEARCH, occurred_at_ms=now,
                             search=ingest_pb2.SearchPayload(query=planted[0])),
            ingest_pb2.Event(event_id="log-2", user_id="pylog",
                             signal=common_pb2.LOCATION, occurred_at_ms=now,
                             location=ingest_pb2.LocationPayload(
                                 latitude=31.987654, longitude=121.123456)),
            ingest_pb2.Event(event_id="log-3", user_id="pylog",
                             signal=common_pb2.COMMENT, occurred_at_ms=now,
                             target=post,
                             comment=ingest_pb2.CommentPayload(text=planted[3])),
        ]
        c.record_events(events)
        # Contacts (this server has no contact key: refused, naming the field).
        contacts = ingest_pb2.Event(
            event_id="log-4", user_id="pylog", signal=common_pb2.CONTACTS,
            occurred_at_ms=now, contacts=ingest_pb2.ContactsPayload(
                contacts=["+86 139 1234 5678", planted[5]]))
        with self.assertRaises(grpc.RpcError):
            c.record_events([contacts])
        # A malformed search that a careless log would echo.
        too_long = ingest_pb2.Event(
            event_id="log-5", user_id="pylog", signal=common_pb2.SEARCH,
            occurred_at_ms=now,
            search=ingest_pb2.SearchPayload(query=planted[0] * 40))
        with self.assertRaises(grpc.RpcError):
            c.record_events([too_long])
        c.recommend_stub.Recommend(
            recommend_pb2.RecommendRequest(user_id="pylog",
                                           surface=recommend_pb2.FEED),
            metadata=[("x-request-id", "py-req-42")], timeout=10)

        time.sleep(0.2)  # The access line is written as the status is sent.
        with open(self.log_path) as f:
            lines = f.read().splitlines()
        calls = []
        for line in lines:
            record = json.loads(line)  # Every line is one JSON object.
            self.assertIn("event", record)
            self.assertIn("ts", record)
            if record["event"] == "call":
                calls.append(record)
        for value in planted:
            for line in lines:
                self.assertNotIn(value, line)
        tagged = [r for r in calls if r["request_id"] == "py-req-42"]
        self.assertEqual(len(tagged), 1)
        self.assertEqual(tagged[0]["method"],
                         "/portrait.v1.RecommendService/Recommend")
        self.assertEqual(tagged[0]["code"], 0)
        refused = [r for r in calls
                   if r["method"] == "/portrait.v1.IngestService/RecordEvents"
                   and r["code"] != 0]
        self.assertGreaterEqual(len(refused), 2)
        self.assertTrue(all(r["request_id"] for r in calls))


if __name__ == "__main__":
    PORTRAITD = sys.argv.pop(1)
    unittest.main(verbosity=2)
