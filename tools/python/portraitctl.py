"""portraitctl: Portrait's operator CLI, one subcommand per RPC.

    portraitctl [connection flags] [--json] COMMAND ...

Readable tables by default; --json prints each response as proto3 JSON
(one object per line for streams and batches). Exit status (docs/PORTRAITCTL.md):

    0            success
    1            a local error: a file unreadable or a line malformed
                 (nothing was sent)
    2            usage: an unknown command, flag or value
    3            ingest (or push feedback) finished, and the server rejected
                 some events
    10 + code    the server answered with gRPC status `code`
                 (13 INVALID_ARGUMENT, 15 NOT_FOUND, 17 PERMISSION_DENIED,
                 19 FAILED_PRECONDITION, 24 UNAVAILABLE, 26 UNAUTHENTICATED, ...)

The Python modules come from //proto/portrait/v1:portrait_py_proto; the
tools/portraitctl wrapper builds them and sets the path.
"""

import argparse
import csv
import json
import os
import sys
import time
import uuid

import grpc
from google.protobuf import json_format
from portrait_client import RouteByUser, TO_SHARD, with_metadata

from portrait.v1 import admin_pb2
from portrait.v1 import admin_pb2_grpc
from portrait.v1 import common_pb2
from portrait.v1 import consent_pb2
from portrait.v1 import consent_pb2_grpc
from portrait.v1 import ingest_pb2
from portrait.v1 import ingest_pb2_grpc
from portrait.v1 import profile_pb2
from portrait.v1 import profile_pb2_grpc
from portrait.v1 import push_pb2
from portrait.v1 import push_pb2_grpc
from portrait.v1 import recommend_pb2
from portrait.v1 import recommend_pb2_grpc

EXIT_LOCAL = 1
EXIT_USAGE = 2
EXIT_REJECTED = 3
EXIT_STATUS_BASE = 10
# The server's limits per request (services/ingest/validation.h).
MAX_EVENTS_PER_REQUEST = 1000
MAX_ITEMS_PER_REQUEST = 1000


class LocalError(Exception):
    """Bad input found before anything was sent."""


# ---- Names on the command line -> enum values -----------------------------

def enum_arg(enum, prefix=""):
    """An argparse type: a value name of `enum`, any case, with or without
    `prefix` (so "strip", "STRIP"; "content" for PUSH_CONTENT)."""
    def parse(text):
        name = text.upper().replace("-", "_")
        for candidate in (name, prefix + name):
            if candidate in enum.keys() and enum.Value(candidate) != 0:
                return enum.Value(candidate)
        choices = ", ".join(n[len(prefix):].lower() if n.startswith(prefix)
                            else n.lower()
                            for n in enum.keys() if enum.Value(n) != 0)
        raise argparse.ArgumentTypeError(
            "%r is not one of: %s" % (text, choices))
    parse.__name__ = enum.DESCRIPTOR.name
    return parse


def name_of(enum, value, prefix=""):
    name = enum.Name(value) if value in enum.values() else str(value)
    return name[len(prefix):] if prefix and name.startswith(prefix) else name


def when(ms):
    if not ms:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms / 1000.0)) + "Z"


# ---- Output ---------------------------------------------------------------

class Output:
    def __init__(self, as_json, stream=sys.stdout):
        self.as_json = as_json
        self.stream = stream

    def message(self, message):
        """One response as compact proto3 JSON."""
        self.stream.write(json_format.MessageToJson(
            message, indent=None, preserving_proto_field_name=True) + "\n")

    def table(self, headers, rows):
        rows = [[str(c) for c in row] for row in rows]
        widths = [len(h) for h in headers]
        for row in rows:
            widths = [max(w, len(c)) for w, c in zip(widths, row)]
        line = lambda cells: "  ".join(
            c.ljust(w) for c, w in zip(cells, widths)).rstrip()
        self.stream.write(line(headers) + "\n")
        for row in rows:
            self.stream.write(line(row) + "\n")

    def fields(self, pairs):
        width = max(len(k) for k, _ in pairs)
        for key, value in pairs:
            self.stream.write("%s  %s\n" % (key.ljust(width), value))


def reasons_text(reasons):
    parts = []
    for reason in reasons:
        text = name_of(recommend_pb2.ReasonSource, reason.source).lower()
        if reason.signals:
            text += "(" + ",".join(name_of(common_pb2.Signal, s).lower()
                                   for s in reason.signals) + ")"
        parts.append(text)
    return " ".join(parts)


def item_text(ref):
    return "%s:%s" % (name_of(common_pb2.ItemKind, ref.kind, "ITEM_").lower(),
                      ref.id)


def print_receipt(out, response):
    """SetConsent, DeleteRecord and DeleteUser answers."""
    if out.as_json:
        out.message(response)
        return
    out.fields([("receipt", response.receipt_id or "-"),
                ("replayed", "yes" if response.replayed else "no")])
    if response.receipt.components:
        out.stream.write("\n")
        print_components(out, response.receipt.components)


def print_components(out, components):
    out.table(["component", "signal", "action", "state", "deadline", "done"],
              [[c.component, name_of(common_pb2.Signal, c.signal),
                name_of(consent_pb2.RevocationAction, c.action),
                name_of(consent_pb2.ErasureState, c.state),
                when(c.deadline_ms), when(c.done_at_ms)]
               for c in components])


# ---- Commands -------------------------------------------------------------

def consent_get(ctl, args):
    response = ctl.consent.GetConsent(
        consent_pb2.GetConsentRequest(user_id=args.user), timeout=ctl.timeout)
    if ctl.out.as_json:
        return ctl.out.message(response)
    c = response.consent
    ctl.out.fields([("user", c.user_id),
                    ("policy version", c.policy_version),
                    ("minor", "yes" if c.minor else "no"),
                    ("guardian consent", "yes" if c.guardian_consent else "no"),
                    ("account deleted", "yes" if c.account_deleted else "no")])
    ctl.out.stream.write("\n")
    ctl.out.table(
        ["signal", "state", "effective", "since", "why not effective"],
        [[name_of(common_pb2.Signal, s.signal),
          name_of(consent_pb2.ConsentState, s.state),
          "yes" if s.effective else "no", when(s.since_ms),
          s.ineffective_reason or "-"] for s in c.signals])
    ctl.out.stream.write("\n")
    ctl.out.table(["purpose", "enabled", "effective"],
                  [[name_of(consent_pb2.Purpose, p.purpose),
                    "yes" if p.enabled else "no",
                    "yes" if p.effective else "no"] for p in c.purposes])
    if c.relationships:
        ctl.out.stream.write("\n")
        ctl.out.table(["relationship", "target"],
                      [[name_of(consent_pb2.Relationship, r.relationship),
                        r.target_id] for r in c.relationships])


def consent_set(ctl, args):
    changes = []
    for signal in args.grant:
        changes.append(consent_pb2.ConsentChange(
            signal=consent_pb2.SignalChange(signal=signal, grant=True)))
    for signal in args.revoke:
        changes.append(consent_pb2.ConsentChange(
            signal=consent_pb2.SignalChange(signal=signal, grant=False,
                                            action=args.action)))
    for purpose, enabled in ([(p, True) for p in args.enable] +
                             [(p, False) for p in args.disable]):
        changes.append(consent_pb2.ConsentChange(
            purpose=consent_pb2.PurposeChange(purpose=purpose,
                                              enabled=enabled)))
    for (relationship, target), add in (
            [(r, True) for r in args.add_relationship] +
            [(r, False) for r in args.remove_relationship]):
        changes.append(consent_pb2.ConsentChange(
            relationship=consent_pb2.RelationshipChange(
                relationship=relationship, target_id=target, add=add)))
    if args.minor is not None:
        changes.append(consent_pb2.ConsentChange(
            minor_status=consent_pb2.MinorStatusChange(
                minor=args.minor == "yes")))
    if args.guardian_consent is not None:
        changes.append(consent_pb2.ConsentChange(
            guardian_consent=consent_pb2.GuardianConsentChange(
                granted=args.guardian_consent == "yes")))
    if not changes:
        ctl.usage("consent set: give at least one change (--grant, --revoke, "
                  "--enable, --disable, --add-relationship, "
                  "--remove-relationship, --minor, --guardian-consent)")
    request_id = args.request_id or str(uuid.uuid4())
    response = ctl.consent.SetConsent(
        consent_pb2.SetConsentRequest(
            user_id=args.user, changes=changes, requester=args.requester,
            caller_id=ctl.caller, request_id=request_id,
            policy_version=args.policy_version),
        timeout=ctl.timeout)
    if not ctl.out.as_json:
        ctl.out.fields([("request id", request_id)])
    print_receipt(ctl.out, response)


def all_pages(ctl, call, request, follow):
    """The pages `call` answers for `request` (with --json, each printed):
    the first, and with `follow` every next one."""
    pages = []
    while True:
        response = call(request, timeout=ctl.timeout)
        if ctl.out.as_json:
            ctl.out.message(response)
        pages.append(response)
        request.page_token = response.next_page_token
        if not request.page_token or not follow:
            return pages


def consent_history(ctl, args):
    pages = all_pages(ctl, ctl.consent.GetConsentHistory,
                      consent_pb2.GetConsentHistoryRequest(
                          user_id=args.user, page_size=args.page_size),
                      args.all)
    if ctl.out.as_json:
        return
    entries = [e for page in pages for e in page.entries]
    ctl.out.table(
        ["seq", "at", "change", "old", "new", "action", "receipt", "caller",
         "authenticated"],
        [[e.sequence, when(e.at_ms), ledger_change(e), e.old_value or "-",
          e.new_value or "-",
          name_of(consent_pb2.RevocationAction, e.action)
          if e.action else "-",
          e.receipt_id or "-", e.caller_id or "-",
          e.authenticated_caller or "-"] for e in entries])
    if pages[-1].next_page_token:
        ctl.out.stream.write("(more: --all)\n")


def ledger_change(entry):
    if entry.account_deletion:
        return "account_deletion"
    if entry.HasField("record_deletion"):
        return "record_deletion"
    if entry.HasField("events_expired"):
        return "events_expired"
    which = entry.change.WhichOneof("change")
    if which == "signal":
        return "signal " + name_of(common_pb2.Signal, entry.change.signal.signal)
    if which == "purpose":
        return "purpose " + name_of(consent_pb2.Purpose,
                                    entry.change.purpose.purpose)
    if which == "relationship":
        r = entry.change.relationship
        return "%s %s" % (name_of(consent_pb2.Relationship, r.relationship),
                          r.target_id)
    return which or "-"


def consent_erasure(ctl, args):
    response = ctl.consent.GetErasureStatus(
        consent_pb2.GetErasureStatusRequest(receipt_id=args.receipt),
        timeout=ctl.timeout)
    if ctl.out.as_json:
        return ctl.out.message(response)
    r = response.receipt
    ctl.out.fields([("receipt", r.receipt_id), ("user", r.user_id),
                    ("created", when(r.created_at_ms)),
                    ("complete", "yes" if response.complete else "no")])
    ctl.out.stream.write("\n")
    print_components(ctl.out, r.components)


def profile_show(ctl, args):
    response = ctl.profile.GetProfile(
        profile_pb2.GetProfileRequest(user_id=args.user), timeout=ctl.timeout)
    if ctl.out.as_json:
        return ctl.out.message(response)
    ctl.out.fields([("user", response.user_id),
                    ("personalised", "yes" if response.personalized else "no")])
    ctl.out.stream.write("\n")
    ctl.out.table(["signal", "state", "effective", "events", "features"],
                  [[name_of(common_pb2.Signal, b.signal),
                    name_of(consent_pb2.ConsentState, b.state),
                    "yes" if b.effective else "no", b.events,
                    len(b.features)] for b in response.blocks])
    rows = []
    for block in response.blocks:
        for f in block.features[:args.features]:
            rows.append([name_of(common_pb2.Signal, block.signal), f.label,
                         "%.3f" % f.weight, f.events, when(f.last_ms)])
    if rows:
        ctl.out.stream.write("\n")
        ctl.out.table(["signal", "feature", "weight", "events", "last"], rows)


def profile_export(ctl, args):
    stream = open(args.out, "w") if args.out else ctl.out.stream
    counts = {}
    try:
        for part in ctl.profile.ExportUserData(
                profile_pb2.ExportUserDataRequest(user_id=args.user),
                timeout=ctl.timeout):
            stream.write(json_format.MessageToJson(
                part, indent=None, preserving_proto_field_name=True) + "\n")
            kind = part.WhichOneof("part")
            counts[kind] = counts.get(kind, 0) + 1
    finally:
        if args.out:
            stream.close()
    if args.out and not ctl.out.as_json:
        ctl.out.table(["part", "count"], sorted(counts.items()))


def profile_delete(ctl, args):
    if args.user != args.confirm:
        ctl.usage("profile delete: deleting an account cannot be undone; "
                  "repeat the user id with --confirm=%s" % args.user)
    response = ctl.profile.DeleteUser(
        consent_pb2.DeleteUserRequest(user_id=args.user,
                                      requester=args.requester,
                                      caller_id=ctl.caller),
        timeout=ctl.timeout)
    print_receipt(ctl.out, response)


def profile_delete_record(ctl, args):
    response = ctl.profile.DeleteRecord(
        consent_pb2.DeleteRecordRequest(user_id=args.user, signal=args.signal,
                                        event_id=args.event_id,
                                        requester=args.requester,
                                        caller_id=ctl.caller),
        timeout=ctl.timeout)
    print_receipt(ctl.out, response)


def recommend(ctl, args):
    response = ctl.recommend.Recommend(
        recommend_pb2.RecommendRequest(user_id=args.user,
                                       surface=args.surface, limit=args.limit),
        timeout=ctl.timeout)
    if ctl.out.as_json:
        return ctl.out.message(response)
    ctl.out.fields([("personalised", "yes" if response.personalized else
                     "no (%s)" % response.non_personalized_reason),
                    ("models", ", ".join(response.model_versions) or "-")])
    ctl.out.stream.write("\n")
    ctl.out.table(["#", "item", "score", "reasons"],
                  [[i + 1, item_text(it.item), "%.4f" % it.score,
                    reasons_text(it.reasons)]
                   for i, it in enumerate(response.items)])


def push_candidates(ctl, args):
    response = ctl.push.GetPushCandidates(
        push_pb2.GetPushCandidatesRequest(user_ids=args.users,
                                          purpose=args.purpose,
                                          limit_per_user=args.limit),
        timeout=ctl.timeout)
    if ctl.out.as_json:
        return ctl.out.message(response)
    print_push_users(ctl, response.users)

def profile_summary(ctl, args):
    response = ctl.profile.GetEventSummary(
        profile_pb2.GetEventSummaryRequest(user_id=args.user),
        timeout=ctl.timeout)
    if ctl.out.as_json:
        return ctl.out.message(response)
    ctl.out.table(["signal", "events", "oldest", "newest"],
                  [[name_of(common_pb2.Signal, s.signal), s.count,
                    when(s.oldest_ms), when(s.newest_ms)]
                   for s in response.signals])
    ctl.out.stream.write("total %d\n" % response.total_events)


def profile_history(ctl, args):
    pages = all_pages(ctl, ctl.profile.GetHistory,
                      profile_pb2.GetHistoryRequest(
                          user_id=args.user, signal=args.signal,
                          page_size=args.page_size),
                      args.all)
    if ctl.out.as_json:
        return
    entries = [e for page in pages for e in page.entries]
    ctl.out.fields([("signal state", name_of(consent_pb2.ConsentState,
                                             pages[-1].signal_state))])
    ctl.out.stream.write("\n")
    ctl.out.table(["event", "at", "item", "query"],
                  [[e.event_id, when(e.occurred_at_ms),
                    item_text(e.item) if e.HasField("item") else "-",
                    e.query or "-"] for e in entries])
    if pages[-1].next_page_token:
        ctl.out.stream.write("(more: --all)\n")


def item_ref(text):
    """An argparse type: "post:p1", "brand:b1", "user:u1"."""
    kind, _, item_id = text.partition(":")
    if not item_id:
        raise argparse.ArgumentTypeError(
            "%r is not KIND:ID (post:p1, brand:b1, user:u1)" % text)
    return common_pb2.ItemRef(
        kind=enum_arg(common_pb2.ItemKind, "ITEM_")(kind), id=item_id)


def items_upsert(ctl, args):
    items = read_jsonl(args.file, ingest_pb2.Item)
    upserted = 0
    for begin in range(0, len(items), MAX_ITEMS_PER_REQUEST):
        response = ctl.ingest.UpsertItems(
            ingest_pb2.UpsertItemsRequest(
                items=items[begin:begin + MAX_ITEMS_PER_REQUEST]),
            timeout=ctl.timeout)
        upserted += response.upserted
    if ctl.out.as_json:
        ctl.out.message(ingest_pb2.UpsertItemsResponse(upserted=upserted))
    else:
        ctl.out.fields([("upserted", upserted)])


def items_delete(ctl, args):
    response = ctl.ingest.DeleteItems(
        ingest_pb2.DeleteItemsRequest(items=args.items), timeout=ctl.timeout)
    if ctl.out.as_json:
        return ctl.out.message(response)
    ctl.out.fields([("deleted", response.deleted)])


def print_push_users(ctl, users):
    rows = []
    for user in users:
        hold = (name_of(push_pb2.PushHold, user.hold, "HOLD_")
                if user.hold else "-")
        if not user.candidates:
            rows.append([user.user_id, hold, "-", "-", "-"])
        for it in user.candidates:
            rows.append([user.user_id, hold, item_text(it.item),
                         "%.4f" % it.score, reasons_text(it.reasons)])
    ctl.out.table(["user", "hold", "item", "score", "reasons"], rows)


def push_segment(text):
    """An argparse type: all, active-since:MS or cell:LAT,LON."""
    kind, _, value = text.partition(":")
    try:
        if kind == "all" and not value:
            return push_pb2.PushSegment(all_users=True)
        if kind == "active-since":
            return push_pb2.PushSegment(active_since_ms=int(value))
        if kind == "cell" and value:
            return push_pb2.PushSegment(last_seen_cell=value)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(
        "%r is not all, active-since:MS or cell:CELL" % text)


def push_stream(ctl, args):
    request = push_pb2.StreamPushCandidatesRequest(
        segment=args.segment, purpose=args.purpose,
        limit_per_user=args.limit, cursor=args.cursor,
        include_empty=args.include_empty)
    users = []
    call = ctl.push.StreamPushCandidates(request, timeout=ctl.timeout)
    for user in call:
        if ctl.out.as_json:
            ctl.out.message(user)
        users.append(user)
        if args.max and len(users) >= args.max:
            call.cancel()
            break
    if not ctl.out.as_json:
        print_push_users(ctl, users)
        if users:
            ctl.out.stream.write("resume with --cursor=%s\n" % users[-1].cursor)


def push_record(ctl, args):
    pushes = read_jsonl(args.file, push_pb2.SentPush)
    response = ctl.push.RecordPushes(
        push_pb2.RecordPushesRequest(pushes=pushes), timeout=ctl.timeout)
    if ctl.out.as_json:
        return ctl.out.message(response)
    ctl.out.fields([("recorded", response.recorded),
                    ("duplicates", response.duplicates)])


def push_feedback(ctl, args):
    events = read_jsonl(args.file, ingest_pb2.Event)
    response = ctl.push.RecordPushFeedback(
        push_pb2.RecordPushFeedbackRequest(events=events),
        timeout=ctl.timeout)
    return print_ingest_summary(ctl, len(events), [response])


def check_in(ctl, args):
    response = ctl.push.CheckIn(
        push_pb2.CheckInRequest(user_id=args.user, merchant_id=args.merchant,
                                latitude=args.latitude,
                                longitude=args.longitude,
                                check_in_id=args.id or str(uuid.uuid4())),
        timeout=ctl.timeout)
    if ctl.out.as_json:
        return ctl.out.message(response)
    ctl.out.fields([("within radius", "yes" if response.within_radius
                     else "no"),
                    ("stored", name_of(push_pb2.CheckInStored,
                                       response.stored)),
                    ("stored cell", response.stored_cell or "-")])


def admin_checkpoint(ctl, args):
    response = ctl.admin.CreateCheckpoint(
        admin_pb2.CreateCheckpointRequest(directory=args.directory),
        timeout=ctl.timeout)
    if ctl.out.as_json:
        return ctl.out.message(response)
    ctl.out.fields([("checkpoint", response.directory),
                    ("taken", when(response.created_at_ms))])


# ---- Ingest ---------------------------------------------------------------

CSV_COLUMNS = ("event_id", "user_id", "signal", "target_kind", "target_id",
               "occurred_at_ms")


def open_input(path):
    try:
        return sys.stdin if path == "-" else open(path, newline="")
    except OSError as e:
        raise LocalError("%s: %s" % (path, e.strerror))


def read_jsonl(path, message_type, f=None):
    """Every message of a JSON-lines file (proto3 JSON, one a line), or
    LocalError naming the line."""
    messages = []
    with (f or open_input(path)) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                messages.append(json_format.Parse(line, message_type()))
            except json_format.ParseError as e:
                raise LocalError("%s line %d: %s" % (path, n, e))
    return messages


def read_events(path, fmt):
    """Every event of the file, or LocalError naming the line and field."""
    if fmt == "auto":
        fmt = "csv" if path.endswith(".csv") else "jsonl"
    f = open_input(path)
    if fmt == "jsonl":
        return read_jsonl(path, ingest_pb2.Event, f)
    events = []
    with f:
        reader = csv.DictReader(f)
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise LocalError("%s: header lacks %s (columns: %s[,weight])"
                             % (path, ", ".join(missing), ",".join(CSV_COLUMNS)))
        for row in reader:
            events.append(csv_event(path, reader.line_num, row))
    return events


def csv_event(path, line, row):
    def fail(field, problem):
        raise LocalError("%s line %d: %s %s" % (path, line, field, problem))
    event = ingest_pb2.Event(event_id=row["event_id"], user_id=row["user_id"])
    try:
        event.signal = enum_arg(common_pb2.Signal)(row["signal"])
    except argparse.ArgumentTypeError as e:
        fail("signal", str(e))
    if row["target_kind"] or row["target_id"]:
        try:
            event.target.kind = enum_arg(common_pb2.ItemKind, "ITEM_")(
                row["target_kind"])
        except argparse.ArgumentTypeError as e:
            fail("target_kind", str(e))
        event.target.id = row["target_id"]
    try:
        event.occurred_at_ms = int(row["occurred_at_ms"])
    except (TypeError, ValueError):
        fail("occurred_at_ms", "is %r; must be an integer (ms since the epoch)"
             % row["occurred_at_ms"])
    if row.get("weight"):
        try:
            event.weight = float(row["weight"])
        except ValueError:
            fail("weight", "is %r; must be a number" % row["weight"])
    return event


def ingest(ctl, args):
    if not 1 <= args.batch <= MAX_EVENTS_PER_REQUEST:
        ctl.usage("ingest: --batch is %d; must be 1 to %d"
                  % (args.batch, MAX_EVENTS_PER_REQUEST))
    events = read_events(args.file, args.format)
    batches = [events[b:b + args.batch]
               for b in range(0, len(events), args.batch)]
    progress = Progress(len(events), sys.stderr.isatty() and not args.quiet)
    if args.stream:
        def requests():
            for batch in batches:
                yield ingest_pb2.StreamEventsRequest(events=batch)
                progress.add(len(batch))
        responses = [ctl.ingest.StreamEvents(requests(), timeout=ctl.timeout)]
    else:
        responses = []
        for batch in batches:
            responses.append(ctl.ingest.RecordEvents(
                ingest_pb2.RecordEventsRequest(events=batch),
                timeout=ctl.timeout))
            progress.add(len(batch))
    progress.done()
    return print_ingest_summary(ctl, len(events), responses)


class Progress:
    """A bar on standard error while events go out (only on a terminal)."""

    def __init__(self, total, shown):
        self.total, self.shown, self.sent = total, shown, 0

    def add(self, n):
        self.sent += n
        if self.shown and self.total:
            bar = "#" * (30 * self.sent // self.total)
            sys.stderr.write("\r[%-30s] %d/%d events" % (bar, self.sent,
                                                         self.total))
            sys.stderr.flush()

    def done(self):
        if self.shown:
            sys.stderr.write("\n")


def print_ingest_summary(ctl, sent, responses):
    """RecordEvents, StreamEvents and RecordPushFeedback answers: stored,
    duplicates, rejected by reason. EXIT_REJECTED if any was rejected."""
    stored = duplicates = 0
    rejected = {}
    for response in responses:
        stored += response.stored
        duplicates += response.duplicates
        results = (response.rejections if hasattr(response, "rejections")
                   else response.results)
        for result in results:
            if result.outcome != ingest_pb2.REJECTED:
                continue
            reason = name_of(ingest_pb2.RejectReason, result.reason)
            rejected[reason] = rejected.get(reason, 0) + 1
            if ctl.out.as_json:
                ctl.out.message(result)
    summary = {"events": sent, "stored": stored, "duplicates": duplicates,
               "rejected": sum(rejected.values()),
               "rejected_by_reason": rejected}
    if ctl.out.as_json:
        ctl.out.stream.write(json.dumps({"summary": summary}) + "\n")
    else:
        ctl.out.fields([("events", sent), ("stored", stored),
                        ("duplicates", duplicates),
                        ("rejected", sum(rejected.values()))])
        if rejected:
            ctl.out.stream.write("\n")
            ctl.out.table(["rejected because", "events"],
                          sorted(rejected.items()))
    return EXIT_REJECTED if rejected else 0


# ---- Command line ---------------------------------------------------------

class Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write("%s: error: %s\n" % (self.prog, message))
        sys.exit(EXIT_USAGE)


def command_group(commands, name, help):
    """A command with subcommands (consent get, consent set, ...)."""
    group = commands.add_parser(name, help=help)
    subcommands = group.add_subparsers(dest="subcommand",
                                       metavar="SUBCOMMAND",
                                       parser_class=Parser)
    subcommands.required = True
    return subcommands


def build_parser():
    signal = enum_arg(common_pb2.Signal)
    requester = enum_arg(consent_pb2.Requester, "REQUESTER_")
    p = Parser(prog="portraitctl",
               description="Portrait's operator CLI: one subcommand per RPC.",
               epilog="Exit status: 0 success; 1 local error (nothing sent); "
                      "2 usage; 3 ingest with rejected events; 10 + the gRPC "
                      "status code of a server error (docs/PORTRAITCTL.md).")
    p.add_argument("--target", default=os.environ.get(
        "PORTRAIT_TARGET", "127.0.0.1:50051"),
        help="host:port of portraitd (default $PORTRAIT_TARGET or "
             "127.0.0.1:50051)")
    p.add_argument("--ca", help="CA certificate (PEM) for mutual TLS")
    p.add_argument("--cert", help="client certificate (PEM) for mutual TLS")
    p.add_argument("--key", help="client private key (PEM) for mutual TLS")
    p.add_argument("--json", action="store_true",
                   help="print responses as proto3 JSON, one per line")
    p.add_argument("--timeout", type=float, default=30.0,
                   help="seconds per call (default 30)")
    p.add_argument("--route-by-user", action="store_true",
                   help="through a cluster's HAProxy (docs/SCALING.md): send "
                        "each call's user in x-portrait-user")
    p.add_argument("--to-shard", metavar="NAME",
                   help="through a cluster's HAProxy: address the call to "
                        "shard NAME (catalog writes, push streams of a "
                        "segment, checkpoints)")
    p.add_argument("--caller", default="portraitctl",
                   help="caller_id recorded in the ledger (default "
                        "portraitctl)")
    commands = p.add_subparsers(dest="command", metavar="COMMAND",
                                parser_class=Parser)
    commands.required = True

    consent_commands = command_group(commands, "consent",
                                     "consent and erasure")
    c = consent_commands.add_parser("get", help="a user's consent (GetConsent)")
    c.add_argument("user")
    c.set_defaults(run=consent_get)
    c = consent_commands.add_parser(
        "set", help="change a user's consent (SetConsent)",
        description="Apply the changes in one SetConsent call. Repeat the "
                    "flags for several changes. Prints the erasure receipt "
                    "of a revocation.")
    c.add_argument("user")
    c.add_argument("--grant", type=signal, action="append", default=[],
                   metavar="SIGNAL")
    c.add_argument("--revoke", type=signal, action="append", default=[],
                   metavar="SIGNAL")
    c.add_argument("--action", type=enum_arg(consent_pb2.RevocationAction),
                   default=0, help="strip or freeze (default: the policy's)")
    purpose = enum_arg(consent_pb2.Purpose)
    c.add_argument("--enable", type=purpose, action="append", default=[],
                   metavar="PURPOSE")
    c.add_argument("--disable", type=purpose, action="append", default=[],
                   metavar="PURPOSE")
    relationship = enum_arg(consent_pb2.Relationship)
    for flag in ("--add-relationship", "--remove-relationship"):
        c.add_argument(flag, nargs=2, action="append", default=[],
                       metavar=("RELATIONSHIP", "TARGET"))
    c.add_argument("--minor", choices=["yes", "no"])
    c.add_argument("--guardian-consent", choices=["yes", "no"])
    c.add_argument("--requester", type=requester,
                   default=consent_pb2.REQUESTER_PRIVACY_DESK,
                   help="user, guardian or privacy_desk (default "
                        "privacy_desk)")
    c.add_argument("--request-id",
                   help="idempotency key (default: a new UUID, printed); "
                        "reuse it to retry safely")
    c.add_argument("--policy-version", type=int, required=True,
                   help="the consent policy version the user was shown "
                        "(GetConsent prints the current one)")
    c.set_defaults(run=consent_set, relationship_type=relationship)
    c = consent_commands.add_parser(
        "history", help="a user's consent ledger (GetConsentHistory)")
    c.add_argument("user")
    c.add_argument("--page-size", type=int, default=100)
    c.add_argument("--all", action="store_true", help="follow every page")
    c.set_defaults(run=consent_history)
    c = consent_commands.add_parser(
        "erasure", help="an erasure receipt's state (GetErasureStatus)")
    c.add_argument("receipt")
    c.set_defaults(run=consent_erasure)

    profile_commands = command_group(commands, "profile",
                                     "profiles and user data")
    c = profile_commands.add_parser("show", help="a profile (GetProfile)")
    c.add_argument("user")
    c.add_argument("--features", type=int, default=5,
                   help="features listed per block (default 5)")
    c.set_defaults(run=profile_show)
    c = profile_commands.add_parser(
        "export", help="everything held on a user, JSON lines "
                       "(ExportUserData)")
    c.add_argument("user")
    c.add_argument("--out", help="file to write (default standard output)")
    c.set_defaults(run=profile_export)
    c = profile_commands.add_parser(
        "delete", help="delete an account (DeleteUser); cannot be undone")
    c.add_argument("user")
    c.add_argument("--confirm", required=True, metavar="USER",
                   help="the same user id again")
    c.add_argument("--requester", type=requester,
                   default=consent_pb2.REQUESTER_PRIVACY_DESK,
                   help="user, guardian or privacy_desk (default "
                        "privacy_desk)")
    c.set_defaults(run=profile_delete)
    c = profile_commands.add_parser(
        "delete-record", help="delete one stored event (DeleteRecord)")
    c.add_argument("user")
    c.add_argument("signal", type=signal)
    c.add_argument("event_id")
    c.add_argument("--requester", type=requester,
                   default=consent_pb2.REQUESTER_PRIVACY_DESK,
                   help="user, guardian or privacy_desk (default "
                        "privacy_desk)")
    c.set_defaults(run=profile_delete_record)

    c = profile_commands.add_parser(
        "summary", help="event counts by signal (GetEventSummary)")
    c.add_argument("user")
    c.set_defaults(run=profile_summary)
    c = profile_commands.add_parser(
        "history", help="a user's stored events of one signal (GetHistory)")
    c.add_argument("user")
    c.add_argument("signal", type=signal)
    c.add_argument("--page-size", type=int, default=100)
    c.add_argument("--all", action="store_true", help="follow every page")
    c.set_defaults(run=profile_history)

    items_commands = command_group(commands, "items", "the catalog")
    c = items_commands.add_parser(
        "upsert", help="posts, brands and people from JSON lines, one "
                       "portrait.v1.Item a line (UpsertItems)")
    c.add_argument("file", help="the file, or - for standard input")
    c.set_defaults(run=items_upsert)
    c = items_commands.add_parser("delete", help="delete items (DeleteItems)")
    c.add_argument("items", nargs="+", type=item_ref, metavar="KIND:ID")
    c.set_defaults(run=items_delete)

    c = commands.add_parser("recommend", help="a user's feed (Recommend)")
    c.add_argument("user")
    c.add_argument("--surface", type=enum_arg(recommend_pb2.Surface),
                   default=recommend_pb2.FEED, help="feed, brands or people")
    c.add_argument("--limit", type=int, default=10)
    c.set_defaults(run=recommend)

    push_commands = command_group(commands, "push", "push candidates")
    c = push_commands.add_parser(
        "candidates", help="push candidates of users (GetPushCandidates)")
    c.add_argument("users", nargs="+", metavar="USER")
    c.add_argument("--purpose", type=enum_arg(push_pb2.PushPurpose, "PUSH_"),
                   default=push_pb2.PUSH_CONTENT,
                   help="content, people or nearby")
    c.add_argument("--limit", type=int, default=0,
                   help="per user (default: the server's)")
    c.set_defaults(run=push_candidates)

    c = push_commands.add_parser(
        "stream", help="push candidates over a segment "
                       "(StreamPushCandidates)")
    c.add_argument("--segment", type=push_segment,
                   default=push_pb2.PushSegment(all_users=True),
                   help="all (default), active-since:MS or cell:CELL")
    c.add_argument("--purpose", type=enum_arg(push_pb2.PushPurpose, "PUSH_"),
                   default=push_pb2.PUSH_CONTENT,
                   help="content, people or nearby")
    c.add_argument("--limit", type=int, default=0,
                   help="per user (default: the server's)")
    c.add_argument("--cursor", default="",
                   help="resume after the message that carried it")
    c.add_argument("--include-empty", action="store_true",
                   help="also users held or without candidates")
    c.add_argument("--max", type=int, default=0,
                   help="stop after this many users (default: all)")
    c.set_defaults(run=push_stream)
    c = push_commands.add_parser(
        "record", help="report sent pushes from JSON lines, one "
                       "portrait.v1.SentPush a line (RecordPushes)")
    c.add_argument("file", help="the file, or - for standard input")
    c.set_defaults(run=push_record)
    c = push_commands.add_parser(
        "feedback", help="report opened / dismissed pushes from JSON lines "
                         "of PUSH_FEEDBACK events (RecordPushFeedback)")
    c.add_argument("file", help="the file, or - for standard input")
    c.set_defaults(run=push_feedback)

    admin_commands = command_group(commands, "admin", "the server itself")
    c = admin_commands.add_parser(
        "checkpoint", help="a consistent copy of the database on the "
                           "server's machine (CreateCheckpoint)",
        description="Writes a RocksDB checkpoint into DIRECTORY (absolute, "
                    "not existing yet, on the server's machine). See "
                    "docs/OPERATIONS.md#backups before restoring one.")
    c.add_argument("directory")
    c.set_defaults(run=admin_checkpoint)

    c = commands.add_parser(
        "checkin", help="is the user within the merchant's radius (CheckIn)")
    c.add_argument("user")
    c.add_argument("merchant")
    c.add_argument("latitude", type=float)
    c.add_argument("longitude", type=float)
    c.add_argument("--id", help="check-in id (default: a new UUID)")
    c.set_defaults(run=check_in)

    c = commands.add_parser(
        "ingest", help="record events from CSV or JSON lines (RecordEvents; "
                       "StreamEvents with --stream)",
        description="Reads the whole file first (a malformed line stops "
                    "everything before anything is sent), then sends it in "
                    "batches. JSON lines: one portrait.v1.Event a line, "
                    "proto3 JSON. CSV: a header with %s and optionally "
                    "weight." % ",".join(CSV_COLUMNS))
    c.add_argument("file", help="the file, or - for standard input")
    c.add_argument("--format", choices=["auto", "csv", "jsonl"],
                   default="auto", help="default: by the file name")
    c.add_argument("--batch", type=int, default=500,
                   help="events per call, 1 to %d" % MAX_EVENTS_PER_REQUEST)
    c.add_argument("--stream", action="store_true",
                   help="one StreamEvents call instead of a RecordEvents "
                        "call per batch")
    c.add_argument("--quiet", action="store_true", help="no progress bar")
    c.set_defaults(run=ingest)
    return p


class ToShard(grpc.UnaryUnaryClientInterceptor,
              grpc.UnaryStreamClientInterceptor,
              grpc.StreamUnaryClientInterceptor):
    """Adds x-portrait-to-shard to every call."""

    def __init__(self, shard):
        self.shard = shard

    def _to(self, details):
        return with_metadata(details, list(details.metadata or []) +
                             [(TO_SHARD, self.shard)])

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._to(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._to(details), request)

    def intercept_stream_unary(self, continuation, details, requests):
        return continuation(self._to(details), requests)


class Ctl:
    def __init__(self, args, parser):
        self.parser = parser
        self.out = Output(args.json)
        self.timeout = args.timeout
        self.caller = args.caller
        tls = [args.ca, args.cert, args.key]
        if any(tls) and not all(tls):
            self.usage("--ca, --cert and --key go together")
        if all(tls):
            try:
                ca, cert, key = [open(f, "rb").read() for f in tls]
            except OSError as e:
                raise LocalError("%s: %s" % (e.filename, e.strerror))
            channel = grpc.secure_channel(
                args.target, grpc.ssl_channel_credentials(
                    root_certificates=ca, private_key=key,
                    certificate_chain=cert))
        else:
            channel = grpc.insecure_channel(args.target)
        if args.to_shard:
            channel = grpc.intercept_channel(
                channel, ToShard(args.to_shard))
        if args.route_by_user:
            channel = grpc.intercept_channel(channel, RouteByUser())
        self.consent = consent_pb2_grpc.ConsentServiceStub(channel)
        self.profile = profile_pb2_grpc.ProfileServiceStub(channel)
        self.ingest = ingest_pb2_grpc.IngestServiceStub(channel)
        self.recommend = recommend_pb2_grpc.RecommendServiceStub(channel)
        self.push = push_pb2_grpc.PushServiceStub(channel)
        self.admin = admin_pb2_grpc.AdminServiceStub(channel)

    def usage(self, message):
        self.parser.error(message)


def main(argv):
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "relationship_type", None):
        try:
            args.add_relationship = [(args.relationship_type(r), t)
                                     for r, t in args.add_relationship]
            args.remove_relationship = [(args.relationship_type(r), t)
                                        for r, t in args.remove_relationship]
        except argparse.ArgumentTypeError as e:
            parser.error(str(e))
    try:
        ctl = Ctl(args, parser)
        return args.run(ctl, args) or 0
    except LocalError as e:
        sys.stderr.write("portraitctl: %s\n" % e)
        return EXIT_LOCAL
    except grpc.RpcError as e:
        sys.stderr.write("portraitctl: %s: %s\n" % (e.code().name,
                                                     e.details()))
        return EXIT_STATUS_BASE + e.code().value[0]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
