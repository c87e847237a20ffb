"""A small Python client of Portrait's gRPC API, on Debian's python3-grpcio.

The wire contract is proto/portrait/v1; the Python modules are generated from
it by //proto/portrait/v1:portrait_py_proto (put bazel-bin/proto on
PYTHONPATH). This client is written from the .proto files alone, as an
integrator in another language would: it shares no code with the server.

    client = PortraitClient.plaintext("127.0.0.1:50051")
    client.record_events([client.like("e1", "ann", "p1", at_ms)])
    client.revoke("ann", portrait_pb.LIKE, request_id="r1")
    client.recommend("ann")

With mutual TLS (docs/SECURITY.md), PortraitClient.tls(target, ca, cert, key).
"""

import time

import grpc

from portrait.v1 import common_pb2
from portrait.v1 import consent_pb2
from portrait.v1 import consent_pb2_grpc
from portrait.v1 import ingest_pb2
from portrait.v1 import ingest_pb2_grpc
from portrait.v1 import profile_pb2_grpc
from portrait.v1 import push_pb2
from portrait.v1 import push_pb2_grpc
from portrait.v1 import recommend_pb2
from portrait.v1 import recommend_pb2_grpc


class PortraitClient:
    """One channel and a stub per service. Calls raise grpc.RpcError."""

    def __init__(self, channel, timeout_s=10.0):
        self.channel = channel
        self.timeout_s = timeout_s
        self.ingest = ingest_pb2_grpc.IngestServiceStub(channel)
        self.consent = consent_pb2_grpc.ConsentServiceStub(channel)
        self.profile = profile_pb2_grpc.ProfileServiceStub(channel)
        self.recommend_stub = recommend_pb2_grpc.RecommendServiceStub(channel)
        self.push = push_pb2_grpc.PushServiceStub(channel)

    @classmethod
    def plaintext(cls, target, **kwargs):
        """A server started with --plaintext_loopback."""
        return cls(grpc.insecure_channel(target), **kwargs)

    @classmethod
    def tls(cls, target, ca_pem, cert_pem, key_pem, **kwargs):
        """A server with mutual TLS; the arguments are PEM bytes."""
        credentials = grpc.ssl_channel_credentials(
            root_certificates=ca_pem, private_key=key_pem,
            certificate_chain=cert_pem)
        return cls(grpc.secure_channel(target, credentials), **kwargs)

    def wait_ready(self, timeout_s=10.0):
        grpc.channel_ready_future(self.channel).result(timeout=timeout_s)

    @staticmethod
    def now_ms():
        return int(time.time() * 1000)

    @staticmethod
    def like(event_id, user_id, post_id, occurred_at_ms):
        """A LIKE event of a post."""
        return ingest_pb2.Event(
            event_id=event_id, user_id=user_id, signal=common_pb2.LIKE,
            occurred_at_ms=occurred_at_ms,
            target=common_pb2.ItemRef(kind=common_pb2.ITEM_POST, id=post_id))

    def upsert_posts(self, post_ids, created_at_ms, tags=()):
        items = [ingest_pb2.Item(post=ingest_pb2.Post(
            post_id=p, created_at_ms=created_at_ms, tags=list(tags)))
                 for p in post_ids]
        return self.ingest.UpsertItems(
            ingest_pb2.UpsertItemsRequest(items=items), timeout=self.timeout_s)

    def record_events(self, events):
        return self.ingest.RecordEvents(
            ingest_pb2.RecordEventsRequest(events=events),
            timeout=self.timeout_s)

    def revoke(self, user_id, signal, request_id, action=consent_pb2.STRIP,
               caller_id="python-client"):
        change = consent_pb2.ConsentChange(signal=consent_pb2.SignalChange(
            signal=signal, grant=False, action=action))
        return self.consent.SetConsent(
            consent_pb2.SetConsentRequest(
                user_id=user_id, changes=[change],
                requester=consent_pb2.REQUESTER_USER, caller_id=caller_id,
                request_id=request_id, policy_version=1),
            timeout=self.timeout_s)

    def recommend(self, user_id, surface=recommend_pb2.FEED, limit=10):
        return self.recommend_stub.Recommend(
            recommend_pb2.RecommendRequest(user_id=user_id, surface=surface,
                                           limit=limit),
            timeout=self.timeout_s)

    def push_candidates(self, user_ids, purpose=push_pb2.PUSH_CONTENT,
                        limit_per_user=3):
        return self.push.GetPushCandidates(
            push_pb2.GetPushCandidatesRequest(
                user_ids=user_ids, purpose=purpose,
                limit_per_user=limit_per_user),
            timeout=self.timeout_s)
