// See station_loop.h.
#include "tests/support/station_loop.h"

#include <filesystem>
#include <fstream>

#include "tests/support/process.h"
#include "tests/support/synthetic_page.h"

namespace scangate::testing {

void WriteTextPages(const std::string& dir, int pages) {
  std::filesystem::create_directories(dir);
  // A few distinct pages, written again under new names (encoding is the
  // slow part): mostly clean, one skewed, one blurred, as at a counter.
  std::vector<std::string> encoded;
  for (int i = 0; i < 6; ++i) {
    synth::PageSpec spec;
    spec.dpi = 200;
    spec.seed = std::uint32_t(700 + i);
    cv::Mat page = synth::TextPage(spec);
    if (i == 4) page = synth::Rotate(page, 3);
    if (i == 5) page = synth::GaussianBlur(page, 3);
    encoded.push_back(synth::EncodeJpeg(page, 85, spec.dpi));
  }
  for (int i = 0; i < pages; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/page-%03d.jpg", i);
    std::ofstream(dir + name, std::ios::binary) << encoded[std::size_t(i) % encoded.size()];
  }
}

StationLoop::StationLoop(std::string server_address, std::string batch_dir, std::string profile) {
  thread_ = std::thread([this, server_address, batch_dir, profile] {
    while (!stopping_) {
      CommandResult result = Run({Built("clients/scangate"), "scan", "--plaintext", "--server", server_address,
                                  "--profile", profile, "--station", "test-station", batch_dir});
      // 0 accepted, 1 rejected: either way the batch went through.
      if (result.exit_code > 1) {
        batches_ = -1;
        return;
      }
      ++batches_;
    }
  });
}

StationLoop::~StationLoop() { Stop(); }

void StationLoop::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace scangate::testing
