#include "memory.hpp"

#include <sys/mman.h>

#include <cstdint>

namespace gradus::memory {

void advise_huge(const void* p, std::size_t bytes) {
#ifdef MADV_HUGEPAGE
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  if (p == nullptr || bytes < 2 * kHuge) return;
  const auto b = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t lo = (b + kHuge - 1) & ~(kHuge - 1);
  const std::uintptr_t hi = (b + bytes) & ~(kHuge - 1);
  if (hi > lo) (void)::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

}  // namespace gradus::memory
