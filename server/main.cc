// scangate-server: checks scanned archive pages as stations stream them.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

#include "server/server_runner.h"
#include "common/signals.h"
#include "common/version.h"
#include "server/transport.h"

namespace {

void Usage(std::ostream& out) {
  out << "usage: scangate-server (--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]\n"
               "                        --access FILE | --plaintext)\n"
               "                       [--listen HOST:PORT] [--data-dir DIR] [--profiles DIR]\n"
               "                       [--ledger postgresql://USER@HOST:PORT/DB]\n"
               "                       [--threads N] [--max-in-flight N] [--drain-seconds S]\n"
               "                       [--metrics-listen IP:PORT [--stations N]\n"
               "                        [--scanner-pages-per-minute N] [--latency-target-ms MS]]\n"
               "                       [--signing-key FILE] [--max-streams N] [--busy-seconds S]\n"
               "                       [--max-open-streams N]\n"
               "                       [--max-queued-pages N] [--max-streams-per-client N]\n"
               "                       [--scan-idle-seconds S] [--memory-budget-mib N]\n"
               "       scangate-server --help | --version\n"
               "  --tls-cert, --tls-key\n"
               "                   PEM certificate chain and private key of the gRPC port\n"
               "  --tls-client-ca  PEM CA of client certificates (mutual TLS): a client may\n"
               "                   present one signed by it; any other fails the handshake\n"
               "  --access         who may do what: scangate.v1.AccessConfig in text format\n"
               "                   (clients by certificate common name or token SHA-256)\n"
               "  --plaintext      no TLS and no access control: development on a loopback\n"
               "                   address only; refused with the TLS flags or --access\n"
               "  --listen         gRPC address (default 127.0.0.1:50051; port 0 picks one)\n"
               "  --data-dir       where the verdict ledger (DATA_DIR/ledger.sqlite3) and the\n"
               "                   signing key live (default ./scangate-data)\n"
               "  --ledger         the verdict ledger instead: postgresql://... (a libpq URI;\n"
               "                   the password from PGPASSWORD or ~/.pgpass) shared by\n"
               "                   several servers, or the path of a SQLite file\n"
               "  --profiles       folder of profile files (*.textproto) besides `default`\n"
               "  --threads        engine worker threads (default: one per core)\n"
               "  --max-in-flight  files judged at once per stream (default 4)\n"
               "  --max-streams    busy Scan streams (opened or sent a page in the last 10 s)\n"
               "                   beyond which a new one is refused with\n"
               "                   RESOURCE_EXHAUSTED (default 10 per engine thread: about\n"
               "                   what a thread judges at 140 pages a minute each; 0: no bound)\n"
               "  --busy-seconds   how long a stream counts as busy after a page (default 10)\n"
               "  --max-open-streams  open Scan streams, busy or idle (default 1024; 0: none)\n"
               "  --max-queued-pages  refuse new Scan streams while the engine holds this\n"
               "                   many pages (default 8 per engine thread; 0: no bound)\n"
               "  --max-streams-per-client  open Scan streams one client may hold (its name\n"
               "                   in --access; without, its connection) (default 8; 0: none)\n"
               "  --scan-idle-seconds  a Scan stream waiting this long for a request with\n"
               "                   nothing in flight is ended DEADLINE_EXCEEDED; its batch\n"
               "                   stays open, resumable (default 300; 0: never)\n"
               "  --memory-budget-mib  pages received and being judged, with their decoded\n"
               "                   pixels estimated from the header, all calls together; a page\n"
               "                   that does not fit waits (the stream is not read) or a\n"
               "                   one-shot check is refused (default 512, for a 1 GiB pod)\n"
               "  --drain-seconds  on SIGTERM, time given to open streams (default 30)\n"
               "  --metrics-listen serve /metrics (Prometheus) and /dashboard there\n"
               "                   (port 0 picks one; default: no metrics)\n"
               "  --stations, --scanner-pages-per-minute\n"
               "                   the dashboard's line rate: stations x pages per minute\n"
               "                   each scanner produces (default 1 x 140)\n"
               "  --latency-target-ms\n"
               "                   the page latency the dashboard holds the server to: green\n"
               "                   within it, amber to twice it, red beyond (default 250)\n"
               "  --signing-key    Ed25519 key (PEM) signing final batch verdicts; created\n"
               "                   if missing, public key beside it as FILE.pub\n"
               "                   (default DATA_DIR/verdict-signing.key)\n"
               "Events (streams opened and closed, batches decided, reloads, access denied,\n"
               "streams refused, the ledger lost and back, errors) are logged one line each on\n"
               "stderr: ts=... level=info|warn|error event=NAME key=value ...\n";
}

}  // namespace

int main(int argc, char** argv) {
  scangate::ServerOptions options;
  options.data_dir = "scangate-data";
  std::string profiles_dir;
  int drain_seconds = 30;
  scangate::TransportFlags transport_flags;
  long max_streams = -1, max_queued_pages = -1;  // -1: scaled to the engine threads
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--listen") options.listen = value();
    else if (arg == "--tls-cert") transport_flags.tls_cert = value();
    else if (arg == "--tls-key") transport_flags.tls_key = value();
    else if (arg == "--tls-client-ca") transport_flags.tls_client_ca = value();
    else if (arg == "--access") transport_flags.access = value();
    else if (arg == "--plaintext") transport_flags.plaintext = true;
    else if (arg == "--profiles") profiles_dir = value();
    else if (arg == "--data-dir") options.data_dir = value();
    else if (arg == "--ledger") options.ledger = value();
    else if (arg == "--threads") options.engine.threads = unsigned(std::stoul(value()));
    else if (arg == "--max-in-flight")
      options.service.max_in_flight_per_stream = std::stoul(value());
    else if (arg == "--drain-seconds") drain_seconds = std::stoi(value());
    else if (arg == "--metrics-listen") options.metrics_listen = value();
    else if (arg == "--signing-key") options.signing_key = value();
    else if (arg == "--max-streams") max_streams = std::stol(value());
    else if (arg == "--max-open-streams")
      options.service.max_open_scan_streams = std::size_t(std::stoul(value()));
    else if (arg == "--busy-seconds")
      options.service.busy_window = std::chrono::milliseconds(long(std::stod(value()) * 1000));
    else if (arg == "--max-queued-pages") max_queued_pages = std::stol(value());
    else if (arg == "--max-streams-per-client")
      options.service.max_scan_streams_per_client = std::size_t(std::stoul(value()));
    else if (arg == "--scan-idle-seconds")
      options.service.scan_idle_timeout =
          std::chrono::milliseconds(long(std::stod(value()) * 1000));
    else if (arg == "--memory-budget-mib")
      options.service.memory_budget_bytes = std::uint64_t(std::stoul(value())) << 20;
    else if (arg == "--stations") options.dashboard.stations = std::stoi(value());
    else if (arg == "--latency-target-ms")
      options.dashboard.latency_target_seconds = std::stod(value()) / 1000.0;
    else if (arg == "--scanner-pages-per-minute")
      options.dashboard.scanner_pages_per_minute = std::stod(value());
    else if (arg == "--help" || arg == "-h") {
      Usage(std::cout);
      return 0;
    } else if (arg == "--version") {
      std::cout << scangate::VersionLine("scangate-server") << "\n";
      return 0;
    } else {
      std::cerr << "unknown argument: " << arg << "\n";
      Usage(std::cerr);
      return 2;
    }
  }

  // Admission scales with the engine. Measured on 2 cores (scangate-bench
  // e2e): 20 stations at 140 images a minute are held at p99 81 ms, 46.6
  // pages/s, near the engine's limit; more busy streams than 10 a thread
  // would only queue pages and make every admitted page wait.
  const long threads = long(options.engine.threads ? options.engine.threads
                                                   : std::max(1u, std::thread::hardware_concurrency()));
  options.service.max_scan_streams = std::size_t(max_streams < 0 ? 10 * threads : max_streams);
  options.service.max_queued_pages =
      std::size_t(max_queued_pages < 0 ? 8 * threads : max_queued_pages);

  scangate::Expected<scangate::Transport> transport =
      scangate::ConfigureTransport(transport_flags, options.listen);
  if (!transport.ok()) {
    std::cerr << "scangate-server: " << transport.error().message << "\n";
    return 2;
  }
  options.credentials = transport.value().credentials;
  options.service.access = std::move(transport.value().access);

  scangate::ProfileStore profiles;
  if (!profiles_dir.empty()) {
    if (scangate::Outcome loaded = profiles.LoadFolder(profiles_dir); !loaded.ok()) {
      std::cerr << "scangate-server: " << loaded.error().message << "\n";
      return 2;
    }
  }

  // Signals are taken by one thread with sigwait, never by a handler that
  // could interrupt gRPC or TBB: block them before any thread starts.
  const sigset_t signals = scangate::BlockTerminationSignals();

  scangate::ServerRunner server(options, std::move(profiles));
  if (scangate::Outcome started = server.Start(); !started.ok()) {
    std::cerr << "scangate-server: " << started.error().message << "\n";
    return 1;
  }
  std::cout << "scangate-server: " << transport.value().description << std::endl;
  if (!server.signing_key_id().empty())
    std::cout << "scangate-server signs verdicts with key " << server.signing_key_id()
              << " (public key " << server.public_key_path() << ")" << std::endl;
  // The metrics line next: "listening on" is the last line of a start.
  if (!options.metrics_listen.empty()) {
    auto colon = options.metrics_listen.rfind(':');
    std::cout << "scangate-server metrics on " << options.metrics_listen.substr(0, colon) << ":"
              << server.metrics_port() << std::endl;
  }
  auto colon = options.listen.rfind(':');
  std::cout << "scangate-server listening on " << options.listen.substr(0, colon) << ":"
            << server.port() << std::endl;

  int sig = 0;
  sigwait(&signals, &sig);
  std::cout << "scangate-server: " << strsignal(sig) << ", draining" << std::endl;
  server.Shutdown(std::chrono::seconds(drain_seconds));
  std::cout << "scangate-server: stopped" << std::endl;
  return 0;
}
