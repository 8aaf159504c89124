// A synthetic hub_alpha registry for demos, tests and benchmarks: realistic
// shapes (stage and prod apps, organizations owned by users, accounts spread
// unevenly over organizations, a few users linked to hundreds of accounts and
// most to a handful, a small share disabled), reproducible from a seed.
//
//   hubreg::RegistryRows rows = hubreg::gen::Generate(hubreg::gen::SizeS());
//   auto registry = hubreg::Registry::FromRows(std::move(rows), /*sequence=*/1);
#pragma once

#include <cstddef>
#include <cstdint>

#include "hubreg/registry.h"

namespace hubreg::gen {

// How many rows of each table to generate.
struct GeneratorOptions {
  std::size_t apps = 2;  // alternately stage and prod
  std::size_t organizations = 0;
  std::size_t clients = 0;  // "accounts"
  std::size_t users = 0;
  std::size_t links = 0;  // client_user rows
  std::uint64_t seed = 42;
  bool operator==(const GeneratorOptions&) const = default;
};

// The benchmark sizes of issue 6. L: 1,000,000 users, 100,000 accounts, 5,000
// organizations, 3,000,000 links; M and S keep those ratios at 100,000 and
// 10,000 users.
GeneratorOptions SizeS();
GeneratorOptions SizeM();
GeneratorOptions SizeL();
// `hubreg demo`'s default: 2 apps, 1,000 organizations, 50,000 accounts,
// 500,000 users, 2,000,000 links.
GeneratorOptions DemoSize();

// Generates a registry that passes Registry::FromRows. The same options
// (seed included) always give the same rows, on every platform and standard
// library. Ids run from 1 in each table; next ids are left at 0 (derived).
//
// Shapes that cannot be honoured are clamped rather than refused: without
// apps or users there are no organizations (an organization needs an app and
// an owner); without organizations accounts are v1.0 rows (organization 0);
// links are capped at users x clients.
//
// Cost: about a second of one core for SizeL().
RegistryRows Generate(const GeneratorOptions& options);

}  // namespace hubreg::gen
