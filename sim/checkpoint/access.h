// checkpoint::Access: the one friend of every class whose private state a
// checkpoint saves (each names it with a one-line friend declaration). Each
// member is a template over the archive: `ar & x` saves with an output
// archive and loads with an input archive, so one function does both.
#pragma once

#include <cstring>
#include <type_traits>
#include <vector>

#include <boost/serialization/binary_object.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

namespace hvsim::checkpoint {

// Plain data (ArchState, a PIT channel, a TLB entry): its bytes as they are.
// The format version (format.h) guards the layout.
template <class Ar, class T>
void raw(Ar& ar, T& v) {
  static_assert(std::is_trivially_copyable_v<T>);
  ar& boost::serialization::make_binary_object(&v, sizeof v);
}

// A vector of plain data whose length the configuration decides (a TLB's
// entries, a cache's ways). Loading into a different geometry (the restore
// changed a size parameter) leaves the structure as built: cold. Returns
// false then.
template <class Ar, class T, class A>
bool raw_vector(Ar& ar, std::vector<T, A>& v) {
  static_assert(std::is_trivially_copyable_v<T>);
  uint64_t n = v.size();
  ar & n;
  if constexpr (Ar::is_saving::value) {
    if (n) ar& boost::serialization::make_binary_object(v.data(), n * sizeof(T));
    return true;
  } else {
    std::vector<T, A> tmp(n);
    if (n) ar& boost::serialization::make_binary_object(tmp.data(), n * sizeof(T));
    if (n != v.size()) return false;
    v = std::move(tmp);
    return true;
  }
}

struct Access;  // defined in machine.cc and machine_*.cc

}  // namespace hvsim::checkpoint
