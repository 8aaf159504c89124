// A test's stand-in for the ChangeBatch Registry::Apply gives the feed: a
// Recorder applies mutations one at a time and records every row each one
// touched, with its value before and after, in the order Apply lists them
// (cascaded link erases right before the erase of their user or account).
// Handles users, accounts and links, the rows access depends on.
#pragma once

#include <doctest/doctest.h>

#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "hubreg/change.h"
#include "hubreg/registry.h"

namespace hubreg::test {

template <typename Row>
inline std::optional<Row> Copy(const Row* row) {
  return row ? std::optional<Row>(*row) : std::nullopt;
}

// One row a mutation touches.
struct Key {
  enum Table { kUser, kClient, kLink } table;
  Id id;         // user or client id; the link's user id
  Id client_id;  // links only
};

// The rows `mutation` touches, cascaded link erases before the erase of
// their user or account (the order Apply's ChangeBatch lists them in).
inline std::vector<Key> TouchedKeys(const View& view, const Mutation& mutation) {
  std::vector<Key> keys;
  std::visit(
      [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, InsertRow<User>> || std::is_same_v<M, UpdateRow<User>>) {
          keys.push_back({Key::kUser, m.row.id, kNoId});
        } else if constexpr (std::is_same_v<M, InsertRow<Client>> ||
                             std::is_same_v<M, UpdateRow<Client>>) {
          keys.push_back({Key::kClient, m.row.id, kNoId});
        } else if constexpr (std::is_same_v<M, EraseRow<User>>) {
          for (auto it = view.ClientsOfUser(m.id).begin(); it != view.ClientsOfUser(m.id).end();
               ++it) {
            keys.push_back({Key::kLink, m.id, it.link().client_id});
          }
          keys.push_back({Key::kUser, m.id, kNoId});
        } else if constexpr (std::is_same_v<M, EraseRow<Client>>) {
          for (auto it = view.UsersOfClient(m.id).begin(); it != view.UsersOfClient(m.id).end();
               ++it) {
            keys.push_back({Key::kLink, it.link().user_id, m.id});
          }
          keys.push_back({Key::kClient, m.id, kNoId});
        } else if constexpr (std::is_same_v<M, InsertRow<ClientUserLink>>) {
          keys.push_back({Key::kLink, m.row.user_id, m.row.client_id});
        } else if constexpr (std::is_same_v<M, EraseLink>) {
          keys.push_back({Key::kLink, m.user_id, m.client_id});
        } else {
          FAIL("the recorder handles users, accounts and links only");
        }
      },
      mutation);
  return keys;
}

// The row behind `key` in `view`, as the after side of a change.
inline Change ChangeOf(const Key& key, const View& view) {
  switch (key.table) {
    case Key::kUser:
      return RowChange<User>{std::nullopt, Copy(view.FindUser(key.id))};
    case Key::kClient:
      return RowChange<Client>{std::nullopt, Copy(view.FindClient(key.id))};
    case Key::kLink:
      break;
  }
  return RowChange<ClientUserLink>{std::nullopt, view.FindLink(key.client_id, key.id)};
}

// Applies mutations to a registry one at a time and records each row each
// one changed, with its value before and after, as Registry::Apply's
// ChangeBatch does for a whole batch (whose state at the end is the same).
class Recorder {
 public:
  explicit Recorder(Registry& registry) : registry_(registry) {}

  // Applies `mutation`; false (and nothing recorded) if the registry refuses it.
  bool Apply(const Mutation& mutation) {
    std::vector<Key> keys;
    std::vector<Change> changes;  // the rows' values now, in `after` until moved
    {
      const View view = registry_.Read();
      keys = TouchedKeys(view, mutation);
      for (const Key& key : keys) changes.push_back(ChangeOf(key, view));
    }
    if (!registry_.Apply(Batch({mutation})).ok()) return false;
    const View view = registry_.Read();
    for (std::size_t i = 0; i < keys.size(); ++i) {
      std::visit(
          [&](auto& change) {
            change.before = std::move(change.after);
            change.after = std::get<std::decay_t<decltype(change)>>(ChangeOf(keys[i], view)).after;
          },
          changes[i]);
      batch_.changes.push_back(std::move(changes[i]));
    }
    applied_.push_back(mutation);
    return true;
  }

  // The recorded batch (its row changes only); starts a new batch.
  ChangeBatch Finish() {
    applied_.clear();
    return std::exchange(batch_, {});
  }

  // The mutations applied since the last Finish, as one batch.
  Batch Applied() const { return Batch(applied_); }

 private:
  Registry& registry_;
  ChangeBatch batch_;
  std::vector<Mutation> applied_;
};

}  // namespace hubreg::test
