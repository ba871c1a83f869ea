#!/usr/bin/env python3
"""What can be checked of deploy/ without Docker or Kubernetes: the YAML
parses and holds together (flags the server knows, probes on the gRPC
port, a headless Service, scrape annotations on the metrics port, the
profiles ConfigMap complete), the image installs every library the built
binaries link, and the systemd unit passes `systemd-analyze verify`.

    python3 tests/deploy_files_test.py --build-dir BUILD [--source-dir SRC] [unittest args]
"""

import argparse
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
OPTIONS = argparse.Namespace(build_dir=None, source_dir=os.path.dirname(HERE))

# Flags another change adds to scangate-server (the PostgreSQL ledger). Until
# `scangate-server --help` lists one, the deployment may already name it;
# from then on it is checked like every other flag.
PENDING_SERVER_FLAGS = {"--ledger"}


def src(*parts):
    return os.path.join(OPTIONS.source_dir, *parts)


def built(relative):
    return os.path.join(OPTIONS.build_dir, relative)


def flags_in(text):
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text))


_help = {}


def server_flags():
    if "server" not in _help:
        result = subprocess.run([built("server/scangate-server"), "--help"],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        _help["server"] = flags_in(result.stdout + result.stderr)
        assert {"--listen", "--tls-cert", "--profiles"} <= _help["server"], _help["server"]
    return _help["server"]


def client_flags(command):
    if command not in _help:
        result = subprocess.run([sys.executable, src("clients", "python", "scangate_client.py"),
                                 command, "--help"], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        _help[command] = flags_in(result.stdout)
    return _help[command]


def unknown_server_flags(flags):
    known = server_flags()
    return sorted(f for f in flags if f not in known and f not in PENDING_SERVER_FLAGS)


def flag_value(args, flag):
    """The value after `flag` in an argument list ("--flag value")."""
    assert args.count(flag) == 1, "%s given %d times" % (flag, args.count(flag))
    return args[args.index(flag) + 1]


def port_of(address):
    return int(address.rpartition(":")[2])


def under(path, folder):
    return os.path.commonpath([path, folder]) == folder


class Kubernetes(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = src("deploy", "kubernetes")
        cls.docs = {}
        for path in sorted(glob.glob(os.path.join(cls.dir, "*.yaml"))):
            with open(path) as f:
                cls.docs[os.path.basename(path)] = [d for d in yaml.safe_load_all(f) if d]
        cls.objects = [d for name, docs in cls.docs.items() for d in docs
                       if name != "kustomization.yaml"]

    def one(self, kind):
        found = [o for o in self.objects if o["kind"] == kind]
        self.assertEqual(len(found), 1, kind)
        return found[0]

    def container(self):
        containers = self.one("Deployment")["spec"]["template"]["spec"]["containers"]
        self.assertEqual(len(containers), 1)
        return containers[0]

    def port(self, name):
        ports = {p["name"]: p["containerPort"] for p in self.container()["ports"]}
        return ports[name]

    def test_every_file_parses_and_is_listed(self):
        self.assertIn("kustomization.yaml", self.docs)
        for name, docs in self.docs.items():
            self.assertTrue(docs, name)
            for doc in docs:
                self.assertIn("apiVersion", doc, name)
                self.assertIn("kind", doc, name)
        kustomization = self.docs["kustomization.yaml"][0]
        self.assertEqual(kustomization["kind"], "Kustomization")
        self.assertEqual(sorted(kustomization["resources"]),
                         sorted(n for n in self.docs if n != "kustomization.yaml"))
        for doc in self.objects:
            self.assertTrue(doc["metadata"]["name"])

    def test_the_server_knows_every_flag(self):
        args = [str(a) for a in self.container()["args"]]
        flags = [a for a in args if a.startswith("--")]
        self.assertEqual(unknown_server_flags(flags), [],
                         "flags scangate-server --help does not list")
        for flag in flags:
            self.assertEqual(args.count(flag), 1, flag)
        pending = sorted(f for f in flags if f in PENDING_SERVER_FLAGS and f not in server_flags())
        if pending:
            print("\nnote: %s not in scangate-server --help yet; accepted as pending"
                  % ", ".join(pending), file=sys.stderr)

    def test_the_deployment(self):
        deployment = self.one("Deployment")
        self.assertEqual(deployment["spec"]["replicas"], 3)
        pod = deployment["spec"]["template"]
        self.assertEqual(deployment["spec"]["selector"]["matchLabels"].items()
                         - pod["metadata"]["labels"].items(), set())
        container = self.container()
        args = [str(a) for a in container["args"]]
        self.assertEqual(flag_value(args, "--listen"), "0.0.0.0:50051")
        self.assertEqual(self.port("grpc"), 50051)
        self.assertEqual(container["resources"]["limits"]["memory"], "1Gi")
        # The password reaches the DSN through an env var from a Secret.
        dsn = flag_value(args, "--ledger")
        self.assertTrue(dsn.startswith("postgresql://"), dsn)
        env = {e["name"]: e for e in container["env"]}
        for name in re.findall(r"\$\((\w+)\)", " ".join(args)):
            self.assertIn("secretKeyRef", env[name]["valueFrom"], name)
        # Every file a flag names is in a mounted volume; the keys of TLS,
        # access and signing come from Secrets.
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
        for flag in ("--tls-cert", "--tls-key", "--tls-client-ca", "--access", "--signing-key",
                     "--profiles", "--data-dir"):
            path = flag_value(args, flag)
            mount = [m for m in mounts if under(path, m)]
            self.assertEqual(len(mount), 1, "%s %s is in no volume" % (flag, path))
            volume = volumes[mounts[mount[0]]]
            if flag in ("--tls-cert", "--tls-key", "--tls-client-ca", "--access", "--signing-key"):
                secret = volume["secret"]
                items = [i["path"] for i in secret.get("items", [])]
                self.assertTrue(not items or os.path.relpath(path, mount[0]) in items, flag)
        # The signing key's public half is in its Secret too (never written).
        signing = volumes[mounts[[m for m in mounts
                                  if under(flag_value(args, "--signing-key"), m)][0]]]
        self.assertNotIn("items", signing["secret"])
        security = pod["spec"]["securityContext"]
        self.assertTrue(security["runAsNonRoot"])
        self.assertNotEqual(security["runAsUser"], 0)

    def test_probes_ask_health_on_the_grpc_port(self):
        container = self.container()
        service = self.one("Service")
        namespace = self.docs["kustomization.yaml"][0]["namespace"]
        for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
            with self.subTest(probe=kind):
                probe = container[kind]
                if "grpc" in probe:
                    self.assertEqual(probe["grpc"]["port"], self.port("grpc"))
                    continue
                # An exec probe: the image's Python client over TLS.
                command = [str(c) for c in probe["exec"]["command"]]
                self.assertEqual(command[:3], ["python3", "/opt/scangate/python/scangate_client.py",
                                               "health"])
                self.assertEqual(sorted(f for f in command if f.startswith("--")
                                        and f not in client_flags("health")), [])
                self.assertEqual(port_of(flag_value(command, "--server")), self.port("grpc"))
                self.assertEqual(flag_value(command, "--tls-server-name"),
                                 "%s.%s.svc" % (service["metadata"]["name"], namespace))
                ca = flag_value(command, "--tls-ca")
                self.assertTrue(under(ca, os.path.dirname(flag_value(
                    [str(a) for a in container["args"]], "--tls-cert"))), ca)
                # The call's deadline ends before Kubernetes gives up on it.
                self.assertLess(float(flag_value(command, "--timeout")), probe["timeoutSeconds"])
                # Liveness: any answer; readiness: SERVING (out of DNS while draining).
                self.assertEqual("--live" in command, kind == "livenessProbe")

    def test_termination_waits_for_the_drain(self):
        container = self.container()
        args = [str(a) for a in container["args"]]
        drain = int(flag_value(args, "--drain-seconds"))
        pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
        self.assertEqual(pre_stop[0], "sleep")
        grace = self.one("Deployment")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        # preStop, the drain, 1 s for the calls left, and room.
        self.assertGreaterEqual(grace, int(pre_stop[1]) + drain + 1 + 5)

    def test_prometheus_scrapes_the_metrics_port(self):
        pod = self.one("Deployment")["spec"]["template"]
        annotations = pod["metadata"]["annotations"]
        args = [str(a) for a in self.container()["args"]]
        metrics = port_of(flag_value(args, "--metrics-listen"))
        self.assertEqual(annotations["prometheus.io/scrape"], "true")
        self.assertEqual(annotations["prometheus.io/port"], str(metrics))
        self.assertEqual(annotations["prometheus.io/path"], "/metrics")
        self.assertEqual(self.port("metrics"), metrics)

    def test_the_service_is_headless(self):
        service = self.one("Service")
        self.assertEqual(service["spec"]["clusterIP"], "None")
        pod_labels = self.one("Deployment")["spec"]["template"]["metadata"]["labels"]
        self.assertEqual(service["spec"]["selector"].items() - pod_labels.items(), set())
        ports = service["spec"]["ports"]
        self.assertEqual([(p["port"], p["targetPort"]) for p in ports], [(50051, "grpc")])

    def test_the_disruption_budget_covers_the_servers(self):
        pdb = self.one("PodDisruptionBudget")
        self.assertEqual(pdb["spec"]["selector"]["matchLabels"],
                         self.one("Deployment")["spec"]["selector"]["matchLabels"])
        self.assertEqual(pdb["spec"]["maxUnavailable"], 1)

    def test_the_profiles_configmap_holds_every_bundled_file(self):
        generators = self.docs["kustomization.yaml"][0]["configMapGenerator"]
        self.assertEqual(len(generators), 1)
        keys = {}
        for entry in generators[0]["files"]:
            key, _, path = entry.partition("=")
            self.assertNotIn("/", key)
            keys[key] = os.path.normpath(os.path.join(self.dir, path))
            self.assertTrue(os.path.isfile(keys[key]), entry)
        bundled = {os.path.normpath(p) for p in glob.glob(src("profiles", "**", "*"), recursive=True)
                   if os.path.isfile(p)}
        self.assertEqual(set(keys.values()), bundled, "profiles/ and the ConfigMap differ")
        # The volume puts every key back at its place under profiles/.
        volume = [v for v in self.one("Deployment")["spec"]["template"]["spec"]["volumes"]
                  if v.get("configMap", {}).get("name") == generators[0]["name"]]
        self.assertEqual(len(volume), 1)
        items = {i["key"]: i["path"] for i in volume[0]["configMap"]["items"]}
        self.assertEqual(set(items), set(keys))
        for key, path in items.items():
            self.assertEqual(os.path.relpath(keys[key], src("profiles")), path)
        # ... so each profile finds its form (template_image is relative to it).
        for profile in glob.glob(src("profiles", "*.textproto")):
            with open(profile) as f:
                for image in re.findall(r'template_image:\s*"([^"]+)"', f.read()):
                    self.assertIn(image, items.values(), profile)


def dockerfile_stages():
    """The Dockerfile's stages: [(FROM line, [instructions])], lines joined."""
    with open(src("deploy", "Dockerfile")) as f:
        text = re.sub(r"\\\n", " ", f.read())
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append((line, []))
        else:
            stages[-1][1].append(line)
    return stages


def apt_installed(instructions):
    packages = set()
    for line in instructions:
        for command in line.split("&&"):
            words = command.split()
            if "apt-get" in words and "install" in words:
                packages |= {w for w in words[words.index("install") + 1:] if not w.startswith("-")}
    return packages


def setup_build_packages():
    """scripts/setup.sh's PACKAGES up to its tests-only part."""
    with open(src("scripts", "setup.sh")) as f:
        block = re.search(r"PACKAGES=\((.*?)\n\)", f.read(), re.S).group(1)
    block = block.split("# tests only")[0]
    return {w for line in block.splitlines() for w in line.split("#")[0].split()}


class Docker(unittest.TestCase):

    def test_two_stages_from_debian_12(self):
        stages = dockerfile_stages()
        self.assertEqual(len(stages), 2)
        for from_line, _ in stages:
            self.assertEqual(from_line.split()[1], "debian:12")

    def test_the_build_stage_installs_setup_sh_packages(self):
        build = apt_installed(dockerfile_stages()[0][1])
        self.assertEqual(setup_build_packages() - build, set())
        self.assertIn("libpq-dev", build)

    def test_the_runtime_stage_installs_every_linked_library(self):
        runtime = apt_installed(dockerfile_stages()[1][1])
        missing = {}
        for binary in ("server/scangate-server", "clients/scangate"):
            needed = subprocess.run(["objdump", "-p", built(binary)], capture_output=True,
                                    text=True, check=True).stdout
            needed = re.findall(r"^\s*NEEDED\s+(\S+)", needed, re.M)
            ldd = subprocess.run(["ldd", built(binary)], capture_output=True, text=True,
                                 check=True).stdout
            paths = dict(re.findall(r"^\s*(\S+) => (/\S+)", ldd, re.M))
            for library in needed:
                package = owning_package(paths[library])
                if package not in runtime:
                    missing[library] = package
        self.assertEqual(missing, {}, "libraries whose package the runtime stage lacks")
        # The probes run the Python client.
        self.assertLessEqual({"python3-grpcio", "python3-protobuf"}, runtime)

    def test_the_runtime_image(self):
        runtime = dockerfile_stages()[1][1]
        user = [l.split()[1] for l in runtime if l.upper().startswith("USER ")]
        self.assertEqual(len(user), 1)
        uid = user[0].split(":")[0]
        self.assertTrue(uid.isdigit() and int(uid) != 0, user)
        with open(src("deploy", "kubernetes", "deployment.yaml")) as f:
            deployment = next(yaml.safe_load_all(f))
        self.assertEqual(deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"],
                         int(uid))
        exposed = {w for l in runtime if l.upper().startswith("EXPOSE ") for w in l.split()[1:]}
        self.assertEqual(exposed, {"50051", "9464"})
        copies = " ".join(l for l in runtime if l.upper().startswith("COPY "))
        for needed in ("scangate-server", "/src/profiles", "scangate_client.py",
                       "/opt/scangate/python/gen"):
            self.assertIn(needed, copies)

    def test_dockerignore_leaves_out_build_folders(self):
        with open(src(".dockerignore")) as f:
            patterns = {l.strip() for l in f if l.strip() and not l.startswith("#")}
        self.assertLessEqual({"build/", "build-*/", ".git/"}, patterns)


def owning_package(path):
    """The Debian package of a file, whichever of /lib and /usr/lib it is known by."""
    real = os.path.realpath(path)
    for candidate in (path, real, "/usr" + path, real[len("/usr"):] if real.startswith("/usr/") else real):
        result = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if result.returncode == 0:
            return result.stdout.split(":")[0]
    return "(no package owns %s)" % path


def unit_file():
    """The unit's [Service] entries (continuation lines joined)."""
    with open(src("deploy", "systemd", "scangate-server.service")) as f:
        text = re.sub(r"\\\n", " ", f.read())
    entries = {}
    section = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
            continue
        key, _, value = line.partition("=")
        entries.setdefault((section, key), []).append(value)
    return entries


class Systemd(unittest.TestCase):

    def setUp(self):
        self.unit = unit_file()

    def service(self, key):
        values = self.unit[("[Service]", key)]
        return values[-1]

    def exec_start(self):
        return shlex.split(self.service("ExecStart"))

    def test_exec_start_names_flags_the_server_knows(self):
        argv = self.exec_start()
        flags = [a for a in argv if a.startswith("--")]
        self.assertEqual(unknown_server_flags(flags), [])
        self.assertIn("--tls-cert", flags)
        self.assertEqual(flag_value(argv, "--data-dir"), "/var/lib/" + self.service("StateDirectory"))

    def test_stop_and_restart(self):
        self.assertEqual(self.service("KillSignal"), "SIGTERM")
        self.assertEqual(self.service("Restart"), "on-failure")
        defaults = dict(v.split("=", 1) for v in self.unit[("[Service]", "Environment")])
        drain = int(defaults["SCANGATE_DRAIN_SECONDS"])
        self.assertIn("${SCANGATE_DRAIN_SECONDS}", self.exec_start())
        self.assertGreaterEqual(int(self.service("TimeoutStopSec")), drain + 1 + 5)

    def test_hardening(self):
        for key, value in (("ProtectSystem", "strict"), ("PrivateTmp", "yes"),
                           ("NoNewPrivileges", "yes"), ("DynamicUser", "yes"),
                           ("ProtectHome", "yes"), ("CapabilityBoundingSet", "")):
            self.assertEqual(self.service(key), value, key)

    def test_the_example_environment_file(self):
        with open(src("deploy", "systemd", "scangate.default")) as f:
            example = dict(l.strip().split("=", 1) for l in f
                           if l.strip() and not l.startswith("#"))
        defaults = dict(v.split("=", 1) for v in self.unit[("[Service]", "Environment")])
        # The same settings, and the unit's defaults are the example's.
        self.assertEqual(example, defaults)
        exec_start = self.service("ExecStart")
        for name in example:
            self.assertRegex(exec_start, r"\$\{?%s\}?" % name)

    @unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze is not installed")
    def test_systemd_analyze_verify(self):
        with tempfile.TemporaryDirectory() as folder:
            # verify wants ExecStart's program to exist: the built one.
            with open(src("deploy", "systemd", "scangate-server.service")) as f:
                text = f.read().replace("/usr/local/bin/scangate-server",
                                        built("server/scangate-server"))
            unit = os.path.join(folder, "scangate-server.service")
            with open(unit, "w") as f:
                f.write(text)
            result = subprocess.run(["systemd-analyze", "verify", "--man=no", "--generators=no",
                                     unit], capture_output=True, text=True, timeout=120)
            # Unknown keys and bad values are only warnings: any output fails.
            self.assertEqual((result.returncode, result.stdout + result.stderr), (0, ""))
            result = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                                     "--no-pager", unit], capture_output=True, text=True,
                                    timeout=120)
            exposure = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
            self.assertIsNotNone(exposure, result.stdout + result.stderr)
            self.assertLessEqual(float(exposure.group(1)), 2.0, result.stdout)


def main():
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", default=OPTIONS.source_dir)
    known, rest = parser.parse_known_args()
    OPTIONS.build_dir = os.path.abspath(known.build_dir)
    OPTIONS.source_dir = os.path.abspath(known.source_dir)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
