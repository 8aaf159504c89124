// Internal: one of the registry's two copies of its state, with the counters
// of the readers currently using it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <thread>

#include "hubreg/detail/tables.h"
#include "hubreg/registry.h"

namespace hubreg {

inline constexpr std::size_t kReaderSlots = 16;

// A reader counter on its own cache line, so readers on different threads
// do not contend for one line.
struct alignas(64) ReaderSlot {
  std::atomic<std::int64_t> count{0};
};

struct Registry::Instance {
  detail::Tables tables;
  std::uint64_t sequence = 0;  // written only while no reader is registered here
  std::array<ReaderSlot, kReaderSlots> readers;

  void WaitForReaders() const {
    for (unsigned spins = 0;; ++spins) {
      std::int64_t registered = 0;
      for (const ReaderSlot& slot : readers)
        registered += slot.count.load(std::memory_order_seq_cst);
      if (registered == 0) return;
      if (spins > 64) std::this_thread::yield();
    }
  }
};

}  // namespace hubreg
