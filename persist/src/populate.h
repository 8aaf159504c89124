// Internal: asking the kernel to back fresh memory in one call.
#pragma once

#include <cstddef>

namespace hubreg::persist {

// Backs the whole pages inside `bytes` of freshly allocated memory at
// `memory` now, in one madvise(MADV_POPULATE_WRITE) call (Linux 5.14+),
// instead of one page fault per 4 KiB as the memory is first written. Loading
// a size-L snapshot writes about 400 MB of fresh memory (the payload copy,
// the decoded rows), and on a virtual machine a page fault costs several
// microseconds. Best effort: ranges under 64 KiB and older kernels are left
// to fault as usual.
void PopulateForWriting(void* memory, std::size_t bytes) noexcept;

}  // namespace hubreg::persist
