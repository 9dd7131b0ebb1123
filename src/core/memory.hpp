// Large buffers in transparent huge pages. Private to the library.
//
// On virtual machines the first touch of fresh memory can cost more than the
// work done with it; 2 MiB pages cut the number of faults 512-fold.
#pragma once

#include <cstddef>
#include <vector>

namespace gradus::memory {

/// Asks the kernel for transparent huge pages over [p, p + bytes) (only whole
/// 2 MiB pages inside the range; small ranges are left alone). Must be called
/// before the memory is first touched to have an effect. Never fails.
void advise_huge(const void* p, std::size_t bytes);

/// Sizes `v` to n value-initialised elements in fresh memory advised for huge pages.
template <class T>
void size_huge(std::vector<T>& v, std::size_t n) {
  std::vector<T>().swap(v);
  v.reserve(n);
  advise_huge(v.data(), n * sizeof(T));
  v.resize(n);
}

}  // namespace gradus::memory
