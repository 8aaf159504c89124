// Internal to the benchmark program: one generated registry per size, with
// the query keys the lookup benchmarks draw from. Built on first use and kept
// for the rest of the process (size L takes seconds to build; every engine's
// copy is built from the same rows).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hubreg/registry.h"
#include "suite.h"

namespace hubreg::bench {

// An access check's question: an account and a user that are linked.
struct AccessKey {
  std::string account_external_id;
  std::string user_external_id;
};

// A link's two ids (the same pairs as the access keys).
struct LinkKey {
  Id client_id = kNoId;
  Id user_id = kNoId;
};

// Query keys in a fixed shuffled order, so that consecutive lookups touch
// unrelated memory. Every key exists.
struct QueryKeys {
  std::vector<Id> user_ids;
  std::vector<std::string> user_external_ids;
  std::vector<std::string> user_emails;  // half of them in another case than stored
  std::vector<Id> client_ids;
  std::vector<Id> organization_ids;
  std::vector<AccessKey> access;  // one per link, shuffled
  std::vector<LinkKey> links;     // access's links by id, in the same order
};

struct Dataset {
  Size size;
  RegistryRows rows;
  QueryKeys keys;
  std::unique_ptr<Registry> registry;
};

// The dataset of `size`, built on the first call. Not thread-safe (the
// benchmark runner calls benchmarks from one thread).
const Dataset& GetDataset(Size size);

// Returns once `registry`'s second (standby) copy exists. FromRows builds it
// in the background, and the first write waits for it: a refused write is
// the public way to wait, and leaves the registry unchanged.
void WaitForStandbyCopy(Registry& registry);

// Bytes of the data itself: every field's size, strings by their length.
std::uint64_t RawBytes(const User& user);
std::uint64_t RawBytes(const Client& client);
std::uint64_t RawBytes(const Organization& organization);
std::uint64_t RawBytes(const App& app);
std::uint64_t RawBytes(const ClientUserLink& link);
std::uint64_t RawBytes(const RegistryRows& rows);

// A random permutation of `items` from a fixed seed.
template <typename T>
void Shuffle(std::vector<T>& items, std::uint64_t seed);

// SplitMix64 step, for shuffles and derived keys.
inline std::uint64_t Mix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

template <typename T>
void Shuffle(std::vector<T>& items, std::uint64_t seed) {
  for (std::size_t i = items.size(); i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(Mix(seed) % i);
    std::swap(items[i - 1], items[j]);
  }
}

}  // namespace hubreg::bench
