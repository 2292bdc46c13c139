#pragma once

// What the benchmark programs share: timing, the "RESULT name value unit" lines bench/*.sh
// collect, and a process's CPU time and RSS read from /proc.
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace ldgs::bench {

using Clock = std::chrono::steady_clock;

inline double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

inline void Result(const std::string& name, double value, const std::string& unit) {
  std::printf("RESULT %s %.3f %s\n", name.c_str(), value, unit.c_str());
  std::fflush(stdout);
}

struct ProcessUse {
  double cpu_s = 0;
  double rss_mb = 0;
  double peak_rss_mb = 0;
};

inline ProcessUse UseOf(pid_t pid) {
  ProcessUse use;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the ")" that ends the command name: utime is the 12th, stime the 13th.
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 1; fields >> field; ++i) {
    if (i == 12) utime = std::stoull(field);
    if (i == 13) stime = std::stoull(field);
  }
  use.cpu_s = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) use.rss_mb = std::stod(line.substr(6)) / 1024;
    if (line.rfind("VmHWM:", 0) == 0) use.peak_rss_mb = std::stod(line.substr(6)) / 1024;
  }
  return use;
}

}  // namespace ldgs::bench
