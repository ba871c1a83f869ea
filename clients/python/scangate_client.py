#!/usr/bin/env python3
"""scangate_client.py: a Python client for scangate-server (branch systems, the archive).

The gRPC modules are generated from proto/ at build time, never committed:

    cmake --build build --target scangate_python_gen    # -> build/clients/python/gen

The script imports them from the first of:

    --gen-dir DIR
    $SCANGATE_PYTHON_GEN        (a folder)
    gen/ beside this script     (an installed copy, e.g. the container image)
    build/clients/python/gen    (the repository's default build folder)

It needs only Debian's python3-grpcio and python3-protobuf (run it with
/usr/bin/python3, the interpreter those packages serve).

    scangate_client.py verdict --server HOST:PORT [CONNECTION] (--batch-id ID | --transaction ID) [--json]
        exit 0 accepted and final, 1 rejected or not final, 2 error (NOT_FOUND, ...)
    scangate_client.py follow --server HOST:PORT [CONNECTION] --out DIR [--after N] [--until-idle SECONDS]
        one JSON manifest per final verdict, named and resumed as `scangate follow` does
        a server that becomes unavailable is followed again from the cursor (through
        any server of a list of addresses)
        exit 0 stopped by a signal or idle, 1 the stream was refused, 2 error
    scangate_client.py health --server HOST:PORT [CONNECTION] [--service NAME] [--live]
        grpc.health.v1: exit 0 SERVING (with --live: any answer), 1 otherwise, 2 no answer

CONNECTION is what the C++ `scangate` takes (before or after the command):
TLS unless --plaintext; --tls-ca, --tls-cert/--tls-key, --token-file (sent
as "authorization: Bearer TOKEN"); and --tls-server-name NAME, the name to
check the server's certificate against when it is not the address dialled.
--server may be a comma-separated list of IP:PORT addresses: the channel
balances calls over them round_robin, skipping those that do not answer. A
single target may also be any gRPC name (dns:///NAME:PORT resolves to every
address of NAME, e.g. a Kubernetes headless Service, again round_robin).
"""

import argparse
import hashlib
import ipaddress
import json
import os
import signal
import sys
import threading
import time

PROG = "scangate_client"
# Largest message, as the C++ clients: a 600-dpi A4 colour page plus its envelope.
MAX_MESSAGE = (128 << 20) + (1 << 20)
CURSOR_FILE = ".scangate-cursor"
# Bytes a batch id keeps in its file name (file_name_for).
FILE_NAME_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
# As wire/file_names.h: room for ".json" and the temporary name beside it.
MAX_MAPPED_NAME_BYTES = 200

grpc = None  # imported once the generated modules are on sys.path (see load_modules)
pb = None  # scangate.proto: requests and the service
pb_grpc = None
vpb = None  # verdict.proto: BatchVerdict, Decision, ReasonCode
health_pb = None
health_grpc = None
json_format = None


class ClientError(Exception):
    """A mistake in the flags or files: printed, exit 2."""


def gen_dir_candidates(flag):
    here = os.path.dirname(os.path.abspath(__file__))
    if flag:
        return [flag]
    if os.environ.get("SCANGATE_PYTHON_GEN"):
        return [os.environ["SCANGATE_PYTHON_GEN"]]
    return [os.path.join(here, "gen"),
            os.path.normpath(os.path.join(here, "..", "..", "build", "clients", "python", "gen"))]


def load_modules(gen_dir_flag=None):
    global grpc, pb, pb_grpc, vpb, health_pb, health_grpc, json_format
    if pb is not None:
        return
    candidates = gen_dir_candidates(gen_dir_flag)
    found = next((d for d in candidates
                  if os.path.isfile(os.path.join(d, "scangate", "v1", "scangate_pb2.py"))), None)
    if found is None:
        raise ClientError("no generated modules in %s: build them with `cmake --build BUILD "
                          "--target scangate_python_gen` and give --gen-dir BUILD/clients/python/gen "
                          "or SCANGATE_PYTHON_GEN" % " or ".join(candidates))
    sys.path.insert(0, os.path.abspath(found))
    import grpc as grpc_module
    from google.protobuf import json_format as json_format_module
    from scangate.v1 import scangate_pb2, scangate_pb2_grpc, verdict_pb2
    import health_pb2
    import health_pb2_grpc
    grpc, json_format = grpc_module, json_format_module
    pb, pb_grpc, vpb = scangate_pb2, scangate_pb2_grpc, verdict_pb2
    health_pb, health_grpc = health_pb2, health_pb2_grpc


# --- the channel ---------------------------------------------------------------

def channel_target(server):
    """The gRPC target for --server: one address or name as given, or a list
    of IP:PORT addresses as one ipv4:/ipv6: target (gRPC's static resolver)."""
    if server.startswith(("ipv4:", "ipv6:")):
        return server  # already gRPC's list syntax: ipv4:A:P,B:P
    addresses = [a.strip() for a in server.split(",") if a.strip()]
    if not addresses:
        raise ClientError("--server: no address")
    if len(addresses) == 1:
        return addresses[0]
    families = set()
    for address in addresses:
        host, sep, port = address.rpartition(":")
        if not sep or not port.isdigit():
            raise ClientError("--server %s: each address of a list is IP:PORT" % address)
        try:
            ip = ipaddress.ip_address(host[1:-1] if host.startswith("[") else host)
        except ValueError:
            raise ClientError("--server %s: a list takes IP addresses; for a name with several "
                              "addresses give one dns:///NAME:PORT" % address) from None
        families.add(ip.version)
    if len(families) != 1:
        raise ClientError("--server: a list is all IPv4 or all IPv6")
    return ("ipv4:" if families == {4} else "ipv6:") + ",".join(addresses)


def read_file(flag, path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ClientError("%s %s: cannot be read (%s)" % (flag, path, e.strerror)) from None
    if not data:
        raise ClientError("%s %s: cannot be read (empty)" % (flag, path))
    return data


def open_channel(args):
    """The channel --server and the connection flags ask for; ClientError on
    contradicting flags or unreadable files."""
    target = channel_target(args.server)
    options = [
        ("grpc.max_receive_message_length", MAX_MESSAGE),
        ("grpc.max_send_message_length", MAX_MESSAGE),
        # Every call goes to the next address that answers: a list (or a
        # name with several addresses) spreads the load, and an address that
        # does not answer is skipped.
        ("grpc.service_config", json.dumps({"loadBalancingConfig": [{"round_robin": {}}]})),
    ]
    if args.plaintext:
        if args.tls_ca or args.tls_cert or args.tls_key or args.token_file or args.tls_server_name:
            raise ClientError("--plaintext cannot be combined with --tls-ca, --tls-cert, --tls-key, "
                              "--tls-server-name or --token-file (a token is never sent without TLS)")
        return grpc.insecure_channel(target, options=options)
    if bool(args.tls_cert) != bool(args.tls_key):
        raise ClientError("--tls-cert and --tls-key go together")
    credentials = grpc.ssl_channel_credentials(
        root_certificates=read_file("--tls-ca", args.tls_ca) if args.tls_ca else None,
        private_key=read_file("--tls-key", args.tls_key) if args.tls_key else None,
        certificate_chain=read_file("--tls-cert", args.tls_cert) if args.tls_cert else None)
    if args.token_file:
        first = read_file("--token-file", args.token_file).decode("utf-8", "replace")
        token = first.splitlines()[0].rstrip(" \t") if first.splitlines() else ""
        if not token:
            raise ClientError("--token-file %s: the first line is empty" % args.token_file)
        # Sent as "authorization: Bearer TOKEN" on every call of the channel.
        credentials = grpc.composite_channel_credentials(
            credentials, grpc.access_token_call_credentials(token))
    if args.tls_server_name:
        # The name the server's certificate must carry when it differs from
        # the address dialled (a probe inside the pod dials 127.0.0.1).
        options.append(("grpc.ssl_target_name_override", args.tls_server_name))
    return grpc.secure_channel(target, credentials, options=options)


def status_text(error):
    code = error.code()
    return "%s: %s" % (code.name if code else "UNKNOWN", error.details() or "")


# --- verdict -------------------------------------------------------------------

def to_json(message):
    # The same mapping as the C++ clients: proto field names, defaults printed.
    return json_format.MessageToJson(message, preserving_proto_field_name=True,
                                     including_default_value_fields=True, indent=None)


def run_verdict(args):
    request = pb.GetBatchVerdictRequest()
    if args.batch_id is not None:
        request.batch_id = args.batch_id
    else:
        request.transaction_id = args.transaction
    with open_channel(args) as channel:
        stub = pb_grpc.ScangateStub(channel)
        try:
            verdict = stub.GetBatchVerdict(request, timeout=args.timeout)
        except grpc.RpcError as e:
            print("%s verdict: %s" % (PROG, status_text(e)), file=sys.stderr)
            return 2
    if args.json:
        print(to_json(verdict))
    else:
        line = "batch %s: %s (%s), %d pages, %d counted" % (
            verdict.batch_id, vpb.Decision.Name(verdict.decision),
            "final" if verdict.final else "not final", verdict.page_count, verdict.counted_pages)
        if verdict.transaction_id:
            line += ", transaction " + verdict.transaction_id
        print(line)
        for reason in verdict.reasons:
            text = "  - " + vpb.ReasonCode.Name(reason.code)
            if reason.HasField("page"):
                text += " (page %d)" % reason.page
            print(text + ": " + reason.detail)
    return 0 if verdict.final and verdict.decision == vpb.ACCEPT else 1


# --- follow --------------------------------------------------------------------

def file_name_for(name):
    """One file name for a batch id, and a different one for every other id:
    wire/file_names.h's FileNameFor, byte for byte. Safe bytes stay (a
    leading '.' excepted), every other byte of the UTF-8 becomes %XX, the
    empty id "%"; past 200 bytes, a prefix, '~' and the id's SHA-256."""
    data = name.encode("utf-8", "surrogateescape")
    if not data:
        return "%"
    out = "".join(chr(b) if b in FILE_NAME_SAFE and not (i == 0 and b == ord("."))
                  else "%%%02X" % b for i, b in enumerate(data))
    if len(out) <= MAX_MAPPED_NAME_BYTES:
        return out
    digest = hashlib.sha256(data).hexdigest()
    keep = MAX_MAPPED_NAME_BYTES - 1 - len(digest)
    if out[keep - 1] == "%":  # never half an escape
        keep -= 1
    elif out[keep - 2] == "%":
        keep -= 2
    return out[:keep] + "~" + digest


def manifest_name(batch_id):
    """As `scangate follow`: the batch id escaped into a file name of its own."""
    return file_name_for(batch_id) + ".json"


def manifest_path(out, verdict):
    """As `scangate follow`: version 1 at OUT/NAME.json, a correction's
    version N at OUT/versions/NAME.vN.json, so no version replaces another's."""
    name = manifest_name(verdict.batch_id)
    if verdict.version <= 1:
        return os.path.join(out, name)
    return os.path.join(out, "versions", "%s.v%d.json" % (name[:-len(".json")], verdict.version))


def write_durably(path, text):
    """Temporary file, fsync, rename, fsync of the folder: a crash leaves the
    old file or the new one, never a part."""
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, "." + name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        data = text.encode("utf-8")
        while data:
            data = data[os.write(fd, data):]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, path)
    dir_fd = os.open(folder or ".", os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_cursor(out):
    try:
        with open(os.path.join(out, CURSOR_FILE)) as f:
            text = f.read().split()
        return int(text[0]) if text else 0
    except (OSError, ValueError):
        return 0


def run_follow(args):
    out = args.out
    try:
        os.makedirs(out, exist_ok=True)
    except OSError:
        pass
    if not os.path.isdir(out):
        print("%s follow: %s is not a folder" % (PROG, out), file=sys.stderr)
        return 2
    after = args.after if args.after is not None else read_cursor(out)
    channel = open_channel(args)
    stub = pb_grpc.ScangateStub(channel)

    lock = threading.Lock()
    state = {"last_news": time.monotonic(), "stopped_by_us": False, "done": False, "call": None}
    signalled = threading.Event()
    stopping = threading.Event()

    def stop():
        with lock:
            state["stopped_by_us"] = True
            call = state["call"]
        stopping.set()
        if call is not None:
            call.cancel()

    # Signals stop the follower between manifests: the handler only flags
    # it, the watchdog cancels the call, and a manifest being written is
    # finished first.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: signalled.set())

    def watchdog():
        while True:
            signalled.wait(0.1)
            with lock:
                if state["done"]:
                    return
                idle = time.monotonic() - state["last_news"]
            if signalled.is_set() or (args.until_idle and idle > args.until_idle):
                stop()
                return

    watcher = threading.Thread(target=watchdog, daemon=True)
    watcher.start()

    written = 0
    exit_code = 0
    ended = None
    attempt = 0
    try:
        # A server that goes away (killed, restarted, drained) is not the
        # end: the follower opens a new stream from its cursor, through
        # whichever server of the list answers, so nothing is skipped.
        while True:
            call = stub.WatchVerdicts(pb.WatchVerdictsRequest(after_sequence=after))
            with lock:
                state["call"] = call
                stopped = state["stopped_by_us"]
            if stopped:
                call.cancel()
            ended = None
            try:
                for event in call:
                    with lock:
                        state["last_news"] = time.monotonic()
                    attempt = 0
                    verdict = vpb.BatchVerdict()
                    verdict.CopyFrom(event.verdict)
                    verdict.sequence = event.sequence
                    manifest = manifest_path(out, verdict)
                    try:
                        os.makedirs(os.path.dirname(manifest), exist_ok=True)
                        write_durably(manifest, to_json(verdict) + "\n")
                        write_durably(os.path.join(out, CURSOR_FILE), "%d\n" % event.sequence)
                    except OSError as e:
                        print("%s follow: cannot write into %s: %s" % (PROG, out, e), file=sys.stderr)
                        exit_code = 2
                        stop()
                        break
                    after = event.sequence
                    written += 1
                    print("sequence %d: %s %s" % (event.sequence, os.path.relpath(manifest, out),
                                                  vpb.Decision.Name(verdict.decision)), flush=True)
            except grpc.RpcError as e:
                ended = e
            with lock:
                stopped = state["stopped_by_us"]
            # Gone away (refused while draining, cancelled by its shutdown,
            # not reachable): follow again. Anything else (refused access, a
            # bad request) would only be refused again.
            gone = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED, grpc.StatusCode.ABORTED)
            if stopped or exit_code or ended is None or ended.code() not in gone:
                break
            print("%s follow: %s; following again from sequence %d"
                  % (PROG, status_text(ended), after), file=sys.stderr, flush=True)
            attempt += 1
            stopping.wait(min(0.25 * 2 ** min(attempt, 4), 3.0))
    finally:
        with lock:
            state["done"] = True
        watcher.join()
        channel.close()
    print("%d manifests written; cursor at %d" % (written, read_cursor(out)), flush=True)
    if exit_code:
        return exit_code
    if state["stopped_by_us"]:
        return 0
    print("%s follow: the stream ended: %s" % (PROG, status_text(ended) if ended else "by the server"),
          file=sys.stderr)
    return 1


# --- health --------------------------------------------------------------------

def run_health(args):
    with open_channel(args) as channel:
        stub = health_grpc.HealthStub(channel)
        try:
            answer = stub.Check(health_pb.HealthCheckRequest(service=args.service),
                                timeout=args.timeout)
        except grpc.RpcError as e:
            print("%s health: %s" % (PROG, status_text(e)), file=sys.stderr)
            return 2
    status = health_pb.HealthCheckResponse.ServingStatus.Name(answer.status)
    print(status)
    return 0 if args.live or answer.status == health_pb.HealthCheckResponse.SERVING else 1


# --- the command line ----------------------------------------------------------

def add_connection_flags(parser, defaults):
    """The connection flags, taken before or after the command (`scangate
    verdict --server ...` as with the C++ client). Only the main parser sets
    defaults, so a command's parser never overwrites a flag given before it."""
    value = (lambda v: v) if defaults else (lambda v: argparse.SUPPRESS)
    group = parser.add_argument_group("connection (as the C++ scangate; before or after COMMAND)")
    group.add_argument("--server", default=value(None), metavar="HOST:PORT[,HOST:PORT...]",
                       help="the scangate-server; a comma-separated list of IP:PORT "
                            "addresses is balanced round_robin")
    group.add_argument("--plaintext", action="store_true", default=value(False),
                       help="no TLS: a server started with --plaintext")
    group.add_argument("--tls-ca", default=value(None), metavar="FILE",
                       help="PEM CA that signed the server's certificate "
                            "(default: the system's roots)")
    group.add_argument("--tls-cert", default=value(None), metavar="FILE",
                       help="this client's certificate (mutual TLS), with --tls-key")
    group.add_argument("--tls-key", default=value(None), metavar="FILE",
                       help="this client's private key")
    group.add_argument("--token-file", default=value(None), metavar="FILE",
                       help="bearer token (first line of FILE), sent over TLS only")
    group.add_argument("--tls-server-name", default=value(None), metavar="NAME",
                       help="the name the server's certificate must carry, when it is not "
                            "the address dialled (e.g. a probe dialling 127.0.0.1)")
    group.add_argument("--timeout", type=float, default=value(30.0), metavar="SECONDS",
                       help="deadline of a verdict or health call (default 30)")
    group.add_argument("--gen-dir", default=value(None), metavar="DIR",
                       help="folder of the generated modules (default: $SCANGATE_PYTHON_GEN, "
                            "gen/ beside this script, build/clients/python/gen)")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="scangate_client.py",
        description="Scangate client: batch verdicts for branch systems, the archive's "
                    "manifest follower, and health for probes.",
        epilog="exit codes: see each command's --help")
    add_connection_flags(parser, defaults=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    verdict = commands.add_parser(
        "verdict", help="a batch's verdict from the server's ledger",
        description="A batch's verdict (GetBatchVerdict). Exit 0 accepted and final, "
                    "1 rejected or not final, 2 error (the gRPC status on stderr).")
    key = verdict.add_mutually_exclusive_group(required=True)
    key.add_argument("--batch-id", metavar="ID")
    key.add_argument("--transaction", metavar="ID", help="the transaction number")
    verdict.add_argument("--json", action="store_true",
                         help="protobuf's JSON mapping, proto field names kept")
    add_connection_flags(verdict, defaults=False)
    verdict.set_defaults(run=run_verdict)

    follow = commands.add_parser(
        "follow", help="write a manifest per final batch verdict into a folder",
        description="The archive's feed (WatchVerdicts): one JSON manifest per final batch "
                    "verdict, DIR/BATCH.json, written by temporary file and rename; the cursor "
                    "is kept in DIR/.scangate-cursor so a restart resumes after the last "
                    "manifest written (the files `scangate follow` writes). Exit 0 stopped by a "
                    "signal or idle, 1 the stream ended, 2 error.")
    follow.add_argument("--out", required=True, metavar="DIR")
    follow.add_argument("--after", type=int, metavar="N",
                        help="start after sequence N instead of the cursor kept in DIR")
    follow.add_argument("--until-idle", type=float, metavar="SECONDS",
                        help="exit after SECONDS without a new verdict")
    add_connection_flags(follow, defaults=False)
    follow.set_defaults(run=run_follow)

    health = commands.add_parser(
        "health", help="grpc.health.v1 status (for probes)",
        description="grpc.health.v1 Check. Exit 0 SERVING, 1 any other status, 2 no answer; "
                    "with --live, 0 for any answer (the server is up, perhaps still starting "
                    "or draining).")
    health.add_argument("--service", default="", metavar="NAME",
                        help='"" (the server, default) or scangate.v1.Scangate')
    health.add_argument("--live", action="store_true",
                        help="exit 0 whatever the status, once the server answers")
    add_connection_flags(health, defaults=False)
    health.set_defaults(run=run_health)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.server:
        parser.error("--server is required")
    try:
        load_modules(args.gen_dir)
        return args.run(args)
    except ClientError as e:
        print("%s %s: %s" % (PROG, args.command, e), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
