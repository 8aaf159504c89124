#include "hubreg/generator.h"

namespace hubreg::gen {
namespace {

// Size L's ratios: per 1,000 users, 100 accounts, 5 organizations, 3,000 links.
GeneratorOptions ScaledFromUsers(std::size_t users) {
  GeneratorOptions options;
  options.users = users;
  options.clients = users / 10;
  options.organizations = users / 200;
  options.links = users * 3;
  return options;
}

}  // namespace

GeneratorOptions SizeS() { return ScaledFromUsers(10'000); }
GeneratorOptions SizeM() { return ScaledFromUsers(100'000); }
GeneratorOptions SizeL() { return ScaledFromUsers(1'000'000); }

GeneratorOptions DemoSize() {
  GeneratorOptions options;
  options.organizations = 1'000;
  options.clients = 50'000;
  options.users = 500'000;
  options.links = 2'000'000;
  return options;
}

}  // namespace hubreg::gen
