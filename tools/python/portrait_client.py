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
Through the HAProxy of a sharded cluster (docs/SCALING.md),
PortraitClient.cluster(proxy_target, shard_names): each call is routed by
the user it is about, catalog writes go to every shard, and events are sent
one user per call.
"""

import collections
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


# The metadata a cluster's proxy routes by (services/grpc/shard_guard.h).
ROUTED_USER = "x-portrait-user"
TO_SHARD = "x-portrait-to-shard"


def user_of(message):
    """The first user_id (or user_ids entry) in `message`, at any depth, or
    the user of its receipt_id ("user/sequence"); None if it has none."""
    found = _first_user(message)
    receipt = getattr(message, "receipt_id", "")
    if found is None and "/" in receipt:
        found = receipt.rsplit("/", 1)[0]
    return found


def _first_user(message):
    for field, value in message.ListFields():
        if field.name in ("user_id", "user_ids"):
            if isinstance(value, str):
                return value
            if len(value) > 0:
                return value[0]
        elif field.message_type is not None:
            values = value if field.label == field.LABEL_REPEATED else [value]
            for sub in values:
                found = _first_user(sub)
                if found is not None:
                    return found
    return None


class _CallDetails(
        collections.namedtuple(
            "_CallDetails", ("method", "timeout", "metadata", "credentials",
                             "wait_for_ready", "compression")),
        grpc.ClientCallDetails):
    pass


def with_metadata(details, metadata):
    """`details` (grpc.ClientCallDetails) with `metadata` instead."""
    return _CallDetails(details.method, details.timeout, metadata,
                        details.credentials, details.wait_for_ready,
                        details.compression)


class RouteByUser(grpc.UnaryUnaryClientInterceptor,
                  grpc.UnaryStreamClientInterceptor):
    """Adds x-portrait-user, from the request (user_of), to calls that have
    neither it nor x-portrait-to-shard."""

    @staticmethod
    def _routed(details, request):
        metadata = list(details.metadata or [])
        user = user_of(request)
        if user is not None and not any(key in (ROUTED_USER, TO_SHARD)
                                        for key, _ in metadata):
            metadata.append((ROUTED_USER, user))
        return with_metadata(details, metadata)

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._routed(details, request), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._routed(details, request), request)


class PortraitClient:
    """One channel and a stub per service. Calls raise grpc.RpcError."""

    def __init__(self, channel, timeout_s=10.0, shards=()):
        self.channel = channel
        self.timeout_s = timeout_s
        # The shard names of a cluster; empty for one server.
        self.shards = list(shards)
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

    @classmethod
    def cluster(cls, proxy_target, shards, **kwargs):
        """The HAProxy of a cluster whose shards are named `shards`."""
        channel = grpc.intercept_channel(grpc.insecure_channel(proxy_target),
                                         RouteByUser())
        return cls(channel, shards=shards, **kwargs)

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
        return self.upsert_items([ingest_pb2.Item(post=ingest_pb2.Post(
            post_id=p, created_at_ms=created_at_ms, tags=list(tags)))
                                  for p in post_ids])

    def upsert_items(self, items):
        """UpsertItems of `items` (ingest_pb2.Item), to every shard of a
        cluster."""
        request = ingest_pb2.UpsertItemsRequest(items=items)
        if not self.shards:
            return self.ingest.UpsertItems(request, timeout=self.timeout_s)
        # Every shard holds the whole catalog; an upsert is idempotent, so
        # after a failure the whole call can be repeated.
        for shard in self.shards:
            response = self.ingest.UpsertItems(
                request, metadata=[(TO_SHARD, shard)], timeout=self.timeout_s)
        return response

    def record_events(self, events):
        """One call, or in a cluster one call per user (in the order each
        user first appears): the counts summed, the results in call order."""
        if not self.shards:
            return self.ingest.RecordEvents(
                ingest_pb2.RecordEventsRequest(events=events),
                timeout=self.timeout_s)
        by_user = {}
        for event in events:
            by_user.setdefault(event.user_id, []).append(event)
        total = ingest_pb2.RecordEventsResponse()
        for user_events in by_user.values():
            response = self.ingest.RecordEvents(
                ingest_pb2.RecordEventsRequest(events=user_events),
                timeout=self.timeout_s)
            total.stored += response.stored
            total.duplicates += response.duplicates
            total.rejected += response.rejected
            total.results.extend(response.results)
        return total

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
