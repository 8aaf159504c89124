// Fixtures for the store tests: options for a data directory in a temporary
// directory, and child processes (the crash_writer helper) talked to
// through pipes.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "hubreg/store.h"
#include "snapshot_testutil.h"

namespace hubreg::test {

inline StoreOptions StoreAt(const std::string& path) {
  StoreOptions options;
  options.path = path;
  return options;
}

// The options of a follower's store, as `hubreg follow` opens it: automatic
// compactions on the store's own thread, never on the commit thread.
inline StoreOptions FollowerStoreAt(const std::string& path) {
  StoreOptions options = StoreAt(path);
  options.background_compaction = true;
  return options;
}

inline std::unique_ptr<Store> OpenStore(const StoreOptions& options) {
  StatusOr<std::unique_ptr<Store>> store = Store::Open(options);
  REQUIRE_OK(store);
  return std::move(*store);
}

// A child process running `argv`, with its stdin and stdout as pipes.
class Child {
 public:
  static constexpr int kLineTimeoutMs = 120'000;

  explicit Child(const std::vector<std::string>& argv) {
    int in[2], out[2];
    REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(in[0], STDIN_FILENO);
      ::dup2(out[1], STDOUT_FILENO);
      std::vector<char*> args;
      for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    to_child_ = in[1];
    from_child_ = out[0];
  }
  ~Child() {
    if (pid_ > 0) {
      Kill();
      Wait();
    }
    if (to_child_ >= 0) ::close(to_child_);
    if (from_child_ >= 0) ::close(from_child_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  void Send(const std::string& line) {
    std::string text = line + "\n";
    REQUIRE(::write(to_child_, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  }
  // The next line the child wrote; nullopt at EOF or after `timeout_ms`. The
  // default bounds only a child that hangs: a child under the sanitizers on a
  // loaded machine can take many seconds to start and open a store.
  std::optional<std::string> ReadLine(int timeout_ms = kLineTimeoutMs) {
    for (;;) {
      std::size_t newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return line;
      }
      if (!Fill(timeout_ms)) return std::nullopt;
    }
  }
  // Every complete line available within `timeout_ms` (0: what is there now).
  std::vector<std::string> ReadAvailableLines(int timeout_ms) {
    std::vector<std::string> lines;
    while (Fill(timeout_ms)) {
    }
    for (std::size_t newline; (newline = buffer_.find('\n')) != std::string::npos;) {
      lines.push_back(buffer_.substr(0, newline));
      buffer_.erase(0, newline + 1);
    }
    return lines;
  }
  void Kill() {
    if (pid_ > 0) ::kill(pid_, SIGKILL);
  }
  // The wait status.
  int Wait() {
    int status = 0;
    if (pid_ > 0) ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  pid_t pid() const { return pid_; }

 private:
  bool Fill(int timeout_ms) {
    pollfd fd{from_child_, POLLIN, 0};
    if (::poll(&fd, 1, timeout_ms) <= 0) return false;
    char chunk[4096];
    ssize_t n = ::read(from_child_, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  std::string buffer_;
};

}  // namespace hubreg::test
