#!/usr/bin/env python3
"""The Python client (clients/python/scangate_client.py) against real
scangate-server processes, with the C++ `scangate` as the reference: the
same verdicts, the same manifests and cursor, NOT_FOUND as an error, an
address list that skips a dead address and spreads calls round_robin, and
the TLS flags (CA, server name, token, client certificate).

    python3 tests/python_client_test.py --build-dir BUILD [--source-dir SRC] [unittest args]

Every server is started with PR_SET_PDEATHSIG and stopped at the end, so
none outlives the test even when it fails or is killed.
"""

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
OPTIONS = argparse.Namespace(build_dir=None, source_dir=os.path.dirname(HERE))

# Generous: the machine builds other things while the tests run.
START_SECONDS = 180
CALL_SECONDS = 120
TRANSACTION = "SI2026112700042"  # on the sample batch's summary sheet
BRANCH_TOKEN = "branch-7-token-for-the-python-client-test"

RUNNING = []  # processes to stop whatever happens
scangate_client = None  # the client's module, for its file-name mapping (imported in main)


def die_with_parent(argv):
    """`argv` killed if the test dies (PR_SET_PDEATHSIG), set by util-linux's
    setpriv before it execs `argv`: no Python runs between fork and exec
    (a preexec_fn there could deadlock the child on a lock that one of the
    grpc module's threads held at the fork, leaving a server that never
    starts)."""
    return ["setpriv", "--pdeathsig", "KILL", "--"] + list(argv)


def built(relative):
    return os.path.join(OPTIONS.build_dir, relative)


def client_path():
    return os.path.join(OPTIONS.source_dir, "clients", "python", "scangate_client.py")


def run(argv, timeout=CALL_SECONDS):
    return subprocess.run(die_with_parent(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=timeout)


def py(*args, timeout=CALL_SECONDS):
    """The Python client, with the generated modules of this build."""
    return run([sys.executable, client_path(), "--gen-dir", built("clients/python/gen")]
               + list(args), timeout=timeout)


@contextlib.contextmanager
def follower(*args):
    """The Python client's follower as a process of its own (`args` before
    and after the command as given), killed on the way out if still there."""
    process = subprocess.Popen(
        die_with_parent([sys.executable, client_path(), "--gen-dir", built("clients/python/gen"),
                         *args]),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def stop(process):
    """SIGTERM, then its exit and output."""
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=CALL_SECONDS)
    return process.returncode, stdout, stderr


def cpp(*args, timeout=CALL_SECONDS):
    return run([built("clients/scangate")] + list(args), timeout=timeout)


def show(result):
    return "exit %d\nstdout:\n%s\nstderr:\n%s" % (result.returncode, result.stdout, result.stderr)


class Server:
    """scangate-server on 127.0.0.1:0; address is where it listens."""

    def __init__(self, work, name, args, listen="127.0.0.1:0"):
        self.log_path = os.path.join(work, name + ".log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(die_with_parent([built("server/scangate-server"), "--listen",
                                                      listen, "--threads", "2"] + args),
                                     stdout=self.log, stderr=subprocess.STDOUT)
        RUNNING.append(self)
        self.address = None
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline and self.proc.poll() is None:
            found = re.search(r"^scangate-server listening on (\S+)$", self.text(), re.M)
            if found:
                self.address = found.group(1)
                return
            time.sleep(0.1)
        raise AssertionError("scangate-server %s did not start:\n%s" % (name, self.text()))

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def stop_all():
    while RUNNING:
        RUNNING.pop().stop()


def wait_serving(*connection):
    """Until the server's health says SERVING (the self-check has passed)."""
    deadline = time.monotonic() + START_SECONDS
    while True:
        result = py(*connection, "--timeout", "10", "health")
        if result.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError("never SERVING:\n" + show(result))
        time.sleep(0.5)


def reserved_dead_port():
    """A loopback port bound but never listened on: connecting is refused, and
    nobody else can take it while the socket is open."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    return s, s.getsockname()[1]


def snapshot(folder):
    """Every file of a folder with its bytes and modification time."""
    out = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        with open(path, "rb") as f:
            out[name] = (f.read(), os.stat(path).st_mtime_ns)
    return out


def read_json(path):
    with open(path) as f:
        return json.load(f)


class PlaintextServers(unittest.TestCase):
    """One server with two batches streamed by the C++ station."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="scangate-python-client-")
        cls.batch = os.path.join(cls.work, "batch")
        made = run([built("tests/support/scangate-sample-batch"), cls.batch])
        assert made.returncode == 0, show(made)
        cls.files = sorted(os.path.join(cls.batch, f) for f in os.listdir(cls.batch))
        assert len(cls.files) == 6, cls.files
        cls.data = os.path.join(cls.work, "data-a")
        cls.server = Server(cls.work, "server-a",
                            ["--plaintext", "--profiles", os.path.join(OPTIONS.source_dir, "profiles"),
                             "--data-dir", cls.data])
        cls.conn = ("--plaintext", "--server", cls.server.address)
        cls.scanned = []
        wait_serving(*cls.conn)
        # The sample batch: a skewed and a blurred certificate, rejected.
        cls.scan("PY-REJECTED", cls.files, expect=1)
        # Its first four pages (summary sheet, form, ID copy, blank back): accepted.
        cls.scan("PY-ACCEPTED", cls.files[:4], expect=0)

    @classmethod
    def tearDownClass(cls):
        stop_all()
        shutil.rmtree(cls.work, ignore_errors=True)

    @classmethod
    def scan(cls, batch_id, files, expect):
        result = cpp("scan", *cls.conn, "--profile", "pension-claim", "--batch-id", batch_id,
                     "--station", "python-test", "--operator", "tester", *files)
        assert result.returncode == expect, "scan %s: %s" % (batch_id, show(result))
        cls.scanned.append(batch_id)

    def cpp_verdict(self, key):
        result = cpp("verdict", *self.conn, "--json", key)
        self.assertIn(result.returncode, (0, 1), show(result))
        return result.returncode, json.loads(result.stdout)

    # --- verdict ---------------------------------------------------------------

    def test_verdict_by_batch_id_matches_the_cpp_client(self):
        for batch_id, decision, pages, code in (("PY-REJECTED", "REJECT", 6, 1),
                                                ("PY-ACCEPTED", "ACCEPT", 4, 0)):
            with self.subTest(batch_id=batch_id):
                result = py(*self.conn, "verdict", "--batch-id", batch_id, "--json")
                self.assertEqual(result.returncode, code, show(result))
                mine = json.loads(result.stdout)
                cpp_code, theirs = self.cpp_verdict(batch_id)
                self.assertEqual(cpp_code, code)
                self.assertEqual(mine["batch_id"], batch_id)
                self.assertEqual(mine["decision"], decision)
                self.assertEqual(mine["page_count"], pages)
                self.assertTrue(mine["final"])
                self.assertEqual(mine["transaction_id"], TRANSACTION)
                self.assertTrue(mine["signature"] and mine["signing_key_id"])
                self.assertEqual(len(mine["pages"]), pages)
                # The whole verdict, field for field, as the C++ client prints it.
                self.assertEqual(mine, theirs)

    def test_verdict_summary_for_people(self):
        result = py(*self.conn, "verdict", "--batch-id", "PY-REJECTED")
        self.assertEqual(result.returncode, 1, show(result))
        lines = result.stdout.splitlines()
        self.assertEqual(lines[0], "batch PY-REJECTED: REJECT (final), 6 pages, 5 counted, "
                                   "transaction " + TRANSACTION)
        # Each reason on its own line, naming the rejected pages.
        self.assertTrue(any(l.startswith("  - ") and "(page 4)" in l for l in lines[1:]), result.stdout)
        self.assertTrue(any(l.startswith("  - ") and "(page 5)" in l for l in lines[1:]), result.stdout)
        accepted = py(*self.conn, "verdict", "--batch-id", "PY-ACCEPTED")
        self.assertEqual(accepted.returncode, 0, show(accepted))
        self.assertTrue(accepted.stdout.startswith("batch PY-ACCEPTED: ACCEPT (final), 4 pages"),
                        accepted.stdout)

    def test_verdict_by_transaction_matches_the_cpp_client(self):
        result = py(*self.conn, "verdict", "--transaction", TRANSACTION, "--json")
        self.assertIn(result.returncode, (0, 1), show(result))
        mine = json.loads(result.stdout)
        self.assertEqual(mine["transaction_id"], TRANSACTION)
        # Every batch here carries the transaction; the ledger answers with
        # the one updated last, and the C++ client (batch id first, then
        # transaction) must get the same.
        cpp_code, theirs = self.cpp_verdict(TRANSACTION)
        self.assertEqual(mine, theirs)
        self.assertEqual(result.returncode, cpp_code)
        self.assertIn(mine["batch_id"], self.scanned)

    def test_verdict_not_found_is_an_error(self):
        # The C++ client's order: the command, then the connection.
        result = py("verdict", *self.conn, "--batch-id", "PY-NO-SUCH-BATCH")
        self.assertEqual(result.returncode, 2, show(result))
        self.assertEqual(result.stdout, "")
        self.assertIn("NOT_FOUND", result.stderr)
        self.assertIn("no batch 'PY-NO-SUCH-BATCH'", result.stderr)
        result = py(*self.conn, "verdict", "--transaction", "SI0000000000000", "--json")
        self.assertEqual(result.returncode, 2, show(result))
        self.assertIn("NOT_FOUND: no batch for transaction 'SI0000000000000'", result.stderr)
        # The flags: one key, not two.
        result = py(*self.conn, "verdict", "--batch-id", "A", "--transaction", "B")
        self.assertEqual(result.returncode, 2, show(result))

    # --- follow ----------------------------------------------------------------

    def test_follow_writes_the_manifests_and_resumes_after_the_cursor(self):
        mine = os.path.join(self.work, "archive-python")
        theirs = os.path.join(self.work, "archive-cpp")
        result = py(*self.conn, "follow", "--out", mine, "--until-idle", "3")
        self.assertEqual(result.returncode, 0, show(result))
        self.assertIn("2 manifests written", result.stdout)
        self.assertEqual(sorted(os.listdir(mine)),
                         [".scangate-cursor", "PY-ACCEPTED.json", "PY-REJECTED.json"])
        sequences = {}
        for batch_id in ("PY-REJECTED", "PY-ACCEPTED"):
            manifest = read_json(os.path.join(mine, batch_id + ".json"))
            self.assertEqual(manifest["batch_id"], batch_id)
            self.assertTrue(manifest["final"])
            sequences[batch_id] = int(manifest["sequence"])
            self.assertGreater(sequences[batch_id], 0)
        with open(os.path.join(mine, ".scangate-cursor")) as f:
            self.assertEqual(f.read(), "%d\n" % max(sequences.values()))
        # The archive's check: signature and every page's hash, with the images.
        public_key = os.path.join(self.data, "verdict-signing.key.pub")
        verified = cpp("verify", "--public-key", public_key,
                       os.path.join(mine, "PY-REJECTED.json"), *self.files)
        self.assertEqual(verified.returncode, 0, show(verified))
        verified = cpp("verify", "--public-key", public_key,
                       os.path.join(mine, "PY-ACCEPTED.json"), *self.files[:4])
        self.assertEqual(verified.returncode, 0, show(verified))

        # The C++ follower writes the same files with the same content.
        reference = cpp("follow", *self.conn, "--out", theirs, "--until-idle", "3")
        self.assertEqual(reference.returncode, 0, show(reference))
        self.assertEqual(sorted(os.listdir(theirs)), sorted(os.listdir(mine)))
        for name in os.listdir(mine):
            if name.endswith(".json"):
                self.assertEqual(read_json(os.path.join(mine, name)),
                                 read_json(os.path.join(theirs, name)), name)

        # Again into the same folder: nothing new, nothing rewritten.
        before = snapshot(mine)
        again = py(*self.conn, "follow", "--out", mine, "--until-idle", "2")
        self.assertEqual(again.returncode, 0, show(again))
        self.assertIn("0 manifests written; cursor at %d" % max(sequences.values()), again.stdout)
        self.assertEqual(snapshot(mine), before)

        # A new batch: only its manifest is written, under its escaped id.
        self.scan("PY third/3", self.files[:4], expect=0)
        third = py(*self.conn, "follow", "--out", mine, "--until-idle", "3")
        self.assertEqual(third.returncode, 0, show(third))
        self.assertIn("1 manifests written", third.stdout)
        added = sorted(set(os.listdir(mine)) - set(before))
        self.assertEqual(added, ["PY%20third%2F3.json"])
        manifest = read_json(os.path.join(mine, "PY%20third%2F3.json"))
        self.assertEqual(manifest["batch_id"], "PY third/3")
        self.assertGreater(int(manifest["sequence"]), max(sequences.values()))
        for name in ("PY-ACCEPTED.json", "PY-REJECTED.json"):
            self.assertEqual(snapshot(mine)[name], before[name])
        reference = cpp("follow", *self.conn, "--out", theirs, "--until-idle", "3")
        self.assertEqual(reference.returncode, 0, show(reference))
        self.assertEqual(sorted(os.listdir(theirs)), sorted(os.listdir(mine)))
        self.assertEqual(read_json(os.path.join(theirs, "PY%20third%2F3.json")), manifest)

        # --after replays from a sequence into another folder.
        replay = os.path.join(self.work, "archive-replay")
        result = py(*self.conn, "follow", "--out", replay, "--after",
                    str(sequences["PY-REJECTED"]), "--until-idle", "2")
        self.assertEqual(result.returncode, 0, show(result))
        self.assertNotIn("PY-REJECTED.json", os.listdir(replay))
        self.assertIn("PY-ACCEPTED.json", os.listdir(replay))

    def test_follow_stops_on_sigterm_with_0(self):
        out = os.path.join(self.work, "archive-sigterm")
        with follower(*self.conn, "follow", "--out", out) as process:
            # Once it has caught up (the cursor written), it waits for news.
            deadline = time.monotonic() + CALL_SECONDS
            while not os.path.exists(os.path.join(out, ".scangate-cursor")):
                self.assertLess(time.monotonic(), deadline, "no manifest written")
                if process.poll() is not None:
                    self.fail("the follower left: " + process.stderr.read())
                time.sleep(0.1)
            returncode, stdout, stderr = stop(process)
        self.assertEqual(returncode, 0, stdout + stderr)
        self.assertRegex(stdout, r"\d+ manifests written; cursor at \d+")
        self.assertFalse([n for n in os.listdir(out) if n.endswith(".tmp")])

    def test_follow_follows_again_when_its_server_comes_back(self):
        # A server of its own, stopped while the follower waits for news,
        # then started again at the same address: the follower carries on
        # from its cursor and writes the verdict made after the restart.
        data = os.path.join(self.work, "data-follow")
        server = Server(self.work, "server-follow", ["--plaintext", "--data-dir", data])
        address = server.address
        out = os.path.join(self.work, "archive-again")
        with follower("--plaintext", "--server", address, "follow", "--out", out) as process:
            time.sleep(2)
            self.assertIsNone(process.poll(), "the follower left before the server did")
            server.stop()
            time.sleep(2)
            self.assertIsNone(process.poll(), "the follower gave up when its server went: %s" % (process.communicate() if process.poll() is not None else "",))
            again = Server(self.work, "server-follow-again", ["--plaintext", "--data-dir", data],
                           listen=address)
            scanned = run([built("clients/scangate"), "scan", "--plaintext", "--server", again.address,
                           "--profile", "default", "--batch-id", "after-restart",
                           self.files[1]])
            self.assertIn(scanned.returncode, (0, 1), show(scanned))
            manifest = os.path.join(out, "after-restart.json")
            deadline = time.monotonic() + CALL_SECONDS
            while time.monotonic() < deadline and not os.path.exists(manifest):
                time.sleep(0.2)
            self.assertTrue(os.path.exists(manifest), "no manifest for the batch made after the restart")
            returncode, stdout, stderr = stop(process)
        self.assertEqual(returncode, 0, stdout + stderr)
        self.assertIn("following again", stderr)

    # --- address lists ---------------------------------------------------------

    def test_an_address_list_skips_a_dead_address(self):
        dead_socket, dead = reserved_dead_port()
        with dead_socket:
            for servers in ("127.0.0.1:%d,%s" % (dead, self.server.address),
                            "%s,127.0.0.1:%d" % (self.server.address, dead)):
                for _ in range(3):
                    result = py("--plaintext", "--server", servers, "verdict",
                                "--batch-id", "PY-ACCEPTED", "--json")
                    self.assertEqual(result.returncode, 0, servers + "\n" + show(result))
                    self.assertEqual(json.loads(result.stdout)["decision"], "ACCEPT")
            # Only dead addresses: an error, not a hang.
            result = py("--plaintext", "--server", "127.0.0.1:%d,127.0.0.1:%d" % (dead, dead),
                        "--timeout", "20", "verdict", "--batch-id", "PY-ACCEPTED")
            self.assertEqual(result.returncode, 2, show(result))
            self.assertIn("UNAVAILABLE", result.stderr)

    def test_an_address_list_spreads_calls_round_robin(self):
        # A second server whose ledger lacks the batch: calls that reach it
        # get NOT_FOUND. With round_robin both answer; pick_first would stay
        # on one.
        other = Server(self.work, "server-b", [
            "--plaintext", "--data-dir", os.path.join(self.work, "data-b")])
        wait_serving("--plaintext", "--server", other.address)
        sys.path.insert(0, os.path.dirname(client_path()))
        import scangate_client as client
        client.load_modules(built("clients/python/gen"))
        args = client.build_parser().parse_args(
            ["--plaintext", "--server", "%s,%s" % (self.server.address, other.address),
             "verdict", "--batch-id", "PY-ACCEPTED"])
        self.assertEqual(client.channel_target(args.server),
                         "ipv4:%s,%s" % (self.server.address, other.address))
        seen = {}
        deadline = time.monotonic() + CALL_SECONDS
        with client.open_channel(args) as channel:
            stub = client.pb_grpc.ScangateStub(channel)
            request = client.pb.GetBatchVerdictRequest(batch_id="PY-ACCEPTED")
            while len(seen) < 2 and time.monotonic() < deadline:
                try:
                    stub.GetBatchVerdict(request, timeout=30)
                    seen["OK"] = seen.get("OK", 0) + 1
                except client.grpc.RpcError as e:
                    self.assertEqual(e.code(), client.grpc.StatusCode.NOT_FOUND, e.details())
                    seen["NOT_FOUND"] = seen.get("NOT_FOUND", 0) + 1
        self.assertEqual(sorted(seen), ["NOT_FOUND", "OK"], seen)

    def test_a_name_in_a_list_is_refused(self):
        result = py("--plaintext", "--server", "localhost:1,127.0.0.1:2", "verdict",
                    "--batch-id", "X")
        self.assertEqual(result.returncode, 2, show(result))
        self.assertIn("dns:///", result.stderr)

    # --- health ----------------------------------------------------------------

    def test_health(self):
        for service in ("", "scangate.v1.Scangate"):
            result = py(*self.conn, "health", "--service", service)
            self.assertEqual((result.returncode, result.stdout), (0, "SERVING\n"), show(result))
        result = py(*self.conn, "health", "--service", "no.such.Service")
        self.assertEqual(result.returncode, 2, show(result))
        self.assertIn("NOT_FOUND", result.stderr)
        dead_socket, dead = reserved_dead_port()
        with dead_socket:
            result = py("--plaintext", "--server", "127.0.0.1:%d" % dead, "--timeout", "20",
                        "health", "--live")
        self.assertEqual(result.returncode, 2, show(result))


class StrangeBatchIds(unittest.TestCase):
    """Batch ids that are not file names, through one server: each gets a
    manifest of its own inside the folder, the same file name from the
    Python and the C++ follower, and neither stops on them."""

    IDS = ["a/b", "a_b", "a?b", "../../escape", "/abs-escape", "Akte M\u00fcller 7",
           "?" * 128, "l" * 128]

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="scangate-python-names-")
        batch = os.path.join(cls.work, "batch")
        made = run([built("tests/support/scangate-sample-batch"), batch])
        assert made.returncode == 0, show(made)
        cls.page = os.path.join(batch, sorted(os.listdir(batch))[1])
        cls.server = Server(cls.work, "server-names",
                            ["--plaintext", "--data-dir", os.path.join(cls.work, "data")])
        cls.conn = ("--plaintext", "--server", cls.server.address)
        wait_serving(*cls.conn)
        for batch_id in cls.IDS:
            result = cls.scan(batch_id)
            assert result.returncode in (0, 1), "scan %r: %s" % (batch_id, show(result))

    @classmethod
    def tearDownClass(cls):
        stop_all()
        shutil.rmtree(cls.work, ignore_errors=True)

    @classmethod
    def scan(cls, batch_id):
        return cpp("scan", *cls.conn, "--profile", "default", "--batch-id", batch_id, cls.page)

    def test_an_id_over_the_limit_is_refused_by_the_server(self):
        result = self.scan("x" * 300)
        self.assertEqual(result.returncode, 2, show(result))
        self.assertIn("open.batch_id: 300 bytes, over the limit of 128 bytes", result.stderr)

    def test_the_mapping_is_the_cpp_one(self):
        self.assertEqual(scangate_client.file_name_for("a/b"), "a%2Fb")
        self.assertEqual(scangate_client.file_name_for("a_b"), "a_b")
        self.assertEqual(scangate_client.file_name_for("a?b"), "a%3Fb")
        self.assertEqual(scangate_client.file_name_for("../x"), "%2E.%2Fx")
        self.assertEqual(scangate_client.file_name_for(""), "%")
        self.assertLessEqual(len(scangate_client.file_name_for("\u00e9" * 128)), 200)

    def test_every_id_gets_a_manifest_of_its_own_from_both_followers(self):
        mine = os.path.join(self.work, "archive-python", "feed")
        theirs = os.path.join(self.work, "archive-cpp", "feed")
        result = py(*self.conn, "follow", "--out", mine, "--until-idle", "2")
        self.assertEqual(result.returncode, 0, show(result))
        names = sorted(n for n in os.listdir(mine) if n.endswith(".json"))
        self.assertEqual(len(names), len(self.IDS), names)
        for expected in ("a%2Fb.json", "a_b.json", "a%3Fb.json", "%2E.%2F..%2Fescape.json",
                         "%2Fabs-escape.json", "Akte%20M%C3%BCller%207.json"):
            self.assertIn(expected, names)
        for name in names:
            self.assertLessEqual(len(name.encode()), 255)
            manifest = read_json(os.path.join(mine, name))
            self.assertEqual(scangate_client.manifest_name(manifest["batch_id"]), name)
        self.assertEqual(sorted(os.listdir(os.path.dirname(mine))), ["feed"])
        self.assertFalse(os.path.exists(os.path.join(self.work, "escape.json")))
        # The C++ follower: the same file names, the same content.
        reference = cpp("follow", *self.conn, "--out", theirs, "--until-idle", "2")
        self.assertEqual(reference.returncode, 0, show(reference))
        self.assertEqual(sorted(os.listdir(theirs)), sorted(os.listdir(mine)))
        for name in names:
            self.assertEqual(read_json(os.path.join(mine, name)),
                             read_json(os.path.join(theirs, name)), name)
        # Restarted, each goes on from its cursor.
        self.assertIn(self.scan("after/restart").returncode, (0, 1))
        for follow, out in ((py, mine), (cpp, theirs)):
            again = follow("follow", *self.conn, "--out", out, "--until-idle", "2")
            self.assertEqual(again.returncode, 0, show(again))
            self.assertIn("1 manifests written", again.stdout)
            self.assertTrue(os.path.exists(os.path.join(out, "after%2Frestart.json")))


def openssl(*args):
    result = run(["openssl"] + list(args))
    assert result.returncode == 0, show(result)


class TlsServer(unittest.TestCase):
    """The TLS flags against a server with mutual TLS and a token."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="scangate-python-tls-")
        w = lambda name: os.path.join(cls.work, name)
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", w("ca.key"), "-out", w("ca.pem"), "-days", "2",
                "-subj", "/CN=test-ca", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")

        def issue(name, extensions):
            with open(w(name + ".ext"), "w") as f:
                f.write(extensions)
            openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", w(name + ".key"), "-out", w(name + ".csr"), "-subj", "/CN=" + name)
            openssl("x509", "-req", "-in", w(name + ".csr"), "-CA", w("ca.pem"), "-CAkey",
                    w("ca.key"), "-CAcreateserial", "-out", w(name + ".pem"), "-days", "2",
                    "-extfile", w(name + ".ext"))

        # The name a Kubernetes Service gives; not the address dialled.
        issue("server", "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                        "subjectAltName=DNS:scangate-headless.scangate.svc\n")
        issue("archive-1", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
        digest = hashlib.sha256(BRANCH_TOKEN.encode()).hexdigest()
        with open(w("access.textproto"), "w") as f:
            f.write('clients { name: "archive" roles: ARCHIVE certificate_common_name: "archive-1" }\n'
                    'clients { name: "branch-7" roles: BRANCH token_sha256: "%s" }\n' % digest)
        with open(w("branch.token"), "w") as f:
            f.write(BRANCH_TOKEN + "\n")
        with open(w("wrong.token"), "w") as f:
            f.write("not-the-token\n")
        cls.server = Server(cls.work, "server-tls", [
            "--tls-cert", w("server.pem"), "--tls-key", w("server.key"),
            "--tls-client-ca", w("ca.pem"), "--access", w("access.textproto"),
            "--data-dir", w("data")])
        cls.tls = ("--server", cls.server.address, "--tls-ca", w("ca.pem"),
                   "--tls-server-name", "scangate-headless.scangate.svc")
        cls.w = staticmethod(w)
        wait_serving(*cls.tls)

    @classmethod
    def tearDownClass(cls):
        stop_all()
        shutil.rmtree(cls.work, ignore_errors=True)

    def test_health_needs_the_name_on_the_certificate(self):
        # What the Kubernetes probe runs inside the pod (deploy/kubernetes).
        result = py("health", *self.tls, "--timeout", "20")
        self.assertEqual((result.returncode, result.stdout), (0, "SERVING\n"), show(result))
        result = py("--server", self.server.address, "--tls-ca", self.w("ca.pem"),
                    "--timeout", "20", "health")
        self.assertEqual(result.returncode, 2, show(result))
        self.assertIn("UNAVAILABLE", result.stderr)

    def test_a_token_identifies_a_branch(self):
        result = py(*self.tls, "--token-file", self.w("branch.token"), "verdict",
                    "--batch-id", "PY-NONE")
        # Let in, and told the batch is not there.
        self.assertEqual(result.returncode, 2, show(result))
        self.assertIn("NOT_FOUND: no batch 'PY-NONE'", result.stderr)
        result = py(*self.tls, "--token-file", self.w("wrong.token"), "verdict",
                    "--batch-id", "PY-NONE")
        self.assertEqual(result.returncode, 2, show(result))
        self.assertIn("UNAUTHENTICATED", result.stderr)
        # The archive's certificate is not a branch.
        result = py(*self.tls, "--tls-cert", self.w("archive-1.pem"), "--tls-key",
                    self.w("archive-1.key"), "verdict", "--batch-id", "PY-NONE")
        self.assertEqual(result.returncode, 2, show(result))
        self.assertIn("PERMISSION_DENIED", result.stderr)

    def test_a_client_certificate_identifies_the_archive(self):
        out = os.path.join(self.work, "archive")
        result = py(*self.tls, "--tls-cert", self.w("archive-1.pem"), "--tls-key",
                    self.w("archive-1.key"), "follow", "--out", out, "--until-idle", "2")
        self.assertEqual(result.returncode, 0, show(result))
        self.assertIn("0 manifests written; cursor at 0", result.stdout)
        # Without it the stream is refused and the follower says so.
        result = py(*self.tls, "follow", "--out", out, "--until-idle", "2")
        self.assertEqual(result.returncode, 1, show(result))
        self.assertIn("UNAUTHENTICATED", result.stderr)

    def test_flags_that_contradict(self):
        result = py("--plaintext", "--server", self.server.address, "--token-file",
                    self.w("branch.token"), "verdict", "--batch-id", "X")
        self.assertEqual(result.returncode, 2, show(result))
        self.assertIn("a token is never sent without TLS", result.stderr)
        result = py(*self.tls, "--tls-cert", self.w("archive-1.pem"), "verdict", "--batch-id", "X")
        self.assertEqual(result.returncode, 2, show(result))
        self.assertIn("--tls-cert and --tls-key go together", result.stderr)


def main():
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", default=OPTIONS.source_dir)
    known, rest = parser.parse_known_args()
    OPTIONS.build_dir = os.path.abspath(known.build_dir)
    OPTIONS.source_dir = os.path.abspath(known.source_dir)
    global scangate_client
    sys.path.insert(0, os.path.join(OPTIONS.source_dir, "clients", "python"))
    import scangate_client  # noqa: E402 (needs the source folder first)
    # ctest's timeout ends the test with SIGTERM before SIGKILL: stop the servers.
    signal.signal(signal.SIGTERM, lambda *_: (stop_all(), os._exit(1)))
    try:
        unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
    finally:
        stop_all()


if __name__ == "__main__":
    main()
