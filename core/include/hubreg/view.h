// A consistent, read-only view of the registry at one sequence number.
//
// Obtain one with Registry::Read(). Every lookup through the same View sees
// the same state, however the registry changes meanwhile; pointers and
// references it returns stay valid until the View is destroyed. Views are
// cheap (no copying, no locks) and meant to be short-lived: a writer waits for
// the views of the state it is about to overwrite. A View is used by one
// thread at a time; any number of threads may hold Views at once.
#pragma once

#include <cstddef>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hubreg/detail/tables.h"
#include "hubreg/model.h"

namespace hubreg {

class Registry;
namespace detail {
struct ViewAccess;
}  // namespace detail

// Rows of one table in index order, e.g. the clients of an organization.
template <typename Iterator>
class RowRange {
 public:
  RowRange(Iterator first, Iterator last) : first_(first), last_(last) {}
  Iterator begin() const { return first_; }
  Iterator end() const { return last_; }
  bool empty() const { return first_ == last_; }
  std::size_t size() const { return static_cast<std::size_t>(std::distance(first_, last_)); }

 private:
  Iterator first_;
  Iterator last_;
};

// The member types of a forward iterator over const Row.
template <typename Row>
struct ForwardIteratorOf {
  using iterator_category = std::forward_iterator_tag;
  using value_type = Row;
  using difference_type = std::ptrdiff_t;
  using pointer = const Row*;
  using reference = const Row&;
};

// Every row of one table, in no particular order (View::Rows). A forward
// range of const Row&; nothing is copied, and what it walks is the core's
// business: callers see only the iterator's operations.
template <typename Row>
class TableRange {
  using Table = typename detail::TableOf<Row>::type;

 public:
  class iterator : public ForwardIteratorOf<Row> {
   public:
    using typename ForwardIteratorOf<Row>::pointer;
    using typename ForwardIteratorOf<Row>::reference;

    iterator() = default;
    reference operator*() const { return *position_; }
    pointer operator->() const { return &**this; }
    iterator& operator++() {
      ++position_;
      return *this;
    }
    iterator operator++(int) {
      iterator before = *this;
      ++position_;
      return before;
    }
    bool operator==(const iterator& other) const { return position_ == other.position_; }

   private:
    friend class TableRange;
    explicit iterator(typename Table::const_iterator position) : position_(position) {}
    typename Table::const_iterator position_{};
  };

  iterator begin() const { return iterator(table_->begin()); }
  iterator end() const { return iterator(table_->end()); }
  bool empty() const { return table_->empty(); }
  std::size_t size() const { return table_->size(); }

 private:
  friend class View;
  explicit TableRange(const detail::Tables* tables) : table_(&detail::TableOf<Row>::In(*tables)) {}
  const Table* table_;
};

// Every link, in no particular order. Links are not stored as rows (they are
// arrays in their users' and accounts' nodes, see docs/design.md), so the
// iterator yields each ClientUserLink by value: 24 bytes, built as it steps.
template <>
class TableRange<ClientUserLink> {
  using Users = detail::UserTable::const_iterator;

 public:
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = ClientUserLink;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = ClientUserLink;

    iterator() = default;
    ClientUserLink operator*() const {
      const detail::AccountLink& entry = user_->accounts[position_];
      return {entry.client->id, user_->id, entry.created_at};
    }
    iterator& operator++() {
      ++position_;
      SkipEmpty();
      return *this;
    }
    iterator operator++(int) {
      iterator before = *this;
      ++*this;
      return before;
    }
    bool operator==(const iterator& other) const {
      return user_ == other.user_ && position_ == other.position_;
    }

   private:
    friend class TableRange;
    iterator(Users user, Users end) : user_(user), end_(end) { SkipEmpty(); }
    // Moves to the next user with a link left, or to the end.
    void SkipEmpty() {
      while (user_ != end_ && position_ == user_->accounts.size()) {
        ++user_;
        position_ = 0;
      }
    }
    Users user_{};
    Users end_{};
    std::size_t position_ = 0;
  };

  iterator begin() const { return iterator(tables_->users.begin(), tables_->users.end()); }
  iterator end() const { return iterator(tables_->users.end(), tables_->users.end()); }
  bool empty() const { return size() == 0; }
  std::size_t size() const { return tables_->link_count; }

 private:
  friend class View;
  explicit TableRange(const detail::Tables* tables) : tables_(tables) {}
  const detail::Tables* tables_;
};

// Rows reached through client_user links: the clients of a user (Owner
// detail::StoredUser, Target Client) or the users of a client (Owner
// detail::StoredClient, Target User). The links are a sorted array in the
// owner's node, each entry holding the linked row's address: O(1) per row,
// no index lookup, nothing copied. The iterator is two words and trivially
// copyable, so a caller that cannot keep a range (the C API) may keep an
// iterator between calls; it is valid while the View is.
template <typename Target, typename Owner>
class LinkedRange {
  using Side = detail::LinkSide<Owner>;

 public:
  class iterator : public ForwardIteratorOf<Target> {
   public:
    using typename ForwardIteratorOf<Target>::pointer;
    using typename ForwardIteratorOf<Target>::reference;

    iterator() = default;  // equal to every past-the-end iterator
    reference operator*() const { return Side::TargetAt(*owner_, position_); }
    pointer operator->() const { return &**this; }
    // The link itself, for its created_at.
    ClientUserLink link() const { return Side::LinkAt(*owner_, position_); }
    iterator& operator++() {
      if (++position_ == Side::Count(*owner_)) *this = iterator();
      return *this;
    }
    iterator operator++(int) {
      iterator before = *this;
      ++*this;
      return before;
    }
    bool operator==(const iterator& other) const {
      return owner_ == other.owner_ && position_ == other.position_;
    }

   private:
    friend class LinkedRange;
    explicit iterator(const Owner* owner) : owner_(owner) {}
    const Owner* owner_ = nullptr;  // nullptr: past the end
    std::size_t position_ = 0;
  };

  // `owner` nullptr: an empty range.
  explicit LinkedRange(const Owner* owner)
      : first_(owner != nullptr && Side::Count(*owner) != 0 ? iterator(owner) : iterator()),
        size_(owner != nullptr ? Side::Count(*owner) : 0) {}
  iterator begin() const { return first_; }
  iterator end() const { return iterator(); }
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

 private:
  iterator first_;
  std::size_t size_;
};

// The next id the registry assigns per table when an insert leaves the id at
// 0. Never decreases, so the id of a deleted row is not handed out again;
// snapshots save them for that reason.
struct NextIds {
  Id app = 1;
  Id organization = 1;
  Id client = 1;
  Id user = 1;
  bool operator==(const NextIds&) const = default;
};

// Why an access check failed; kAllowed when it did not.
enum class AccessVerdict : std::uint8_t {
  kAllowed,
  kUnknownUser,
  kUnknownAccount,
  kUnknownApp,           // an app key was given and matches no app
  kUnknownOrganization,  // an organization was given and matches none (in that app)
  kWrongOrganization,    // the account belongs to another organization or app
  kNoLink,               // the user is not linked to the account
  kUserDisabled,
  kAccountDisabled,
};
std::string_view ToString(AccessVerdict verdict);  // "allowed", "unknown user", ...

// The question services ask on every request.
struct AccessRequest {
  std::string_view account_external_id;
  std::string_view user_external_id;
  std::optional<std::string_view> app_key = std::nullopt;                   // checked when given
  std::optional<std::string_view> organization_external_id = std::nullopt;  // checked when given
};

// The answer. When allowed, `account` holds the connection details
// (db_host, db_port, db_name, db_user, db_password). Pointers are valid while
// the View that produced the decision lives; they are set whenever the row
// was found, even on refusal, so callers can log which rows were involved.
struct AccessDecision {
  AccessVerdict verdict = AccessVerdict::kUnknownAccount;
  const Client* account = nullptr;
  const User* user = nullptr;
  bool allowed() const { return verdict == AccessVerdict::kAllowed; }
  explicit operator bool() const { return allowed(); }
};

// Row counts of one state.
struct TableCounts {
  std::size_t apps = 0;
  std::size_t organizations = 0;
  std::size_t clients = 0;
  std::size_t users = 0;
  std::size_t links = 0;
  bool operator==(const TableCounts&) const = default;
};

class View {
 public:
  using ClientsOfUserRange = LinkedRange<Client, detail::StoredUser>;
  using UsersOfClientRange = LinkedRange<User, detail::StoredClient>;
  using OrganizationRange =
      RowRange<detail::OrganizationTable::index<detail::ByApp>::type::const_iterator>;
  using OwnedOrganizationRange =
      RowRange<detail::OrganizationTable::index<detail::ByOwner>::type::const_iterator>;
  using ClientRange =
      RowRange<detail::ClientTable::index<detail::ByOrganization>::type::const_iterator>;

  View(View&& other) noexcept;
  View& operator=(View&& other) noexcept;
  View(const View&) = delete;
  View& operator=(const View&) = delete;
  ~View();

  // The sequence number of the last batch this state includes (0: empty).
  std::uint64_t sequence() const { return sequence_; }
  TableCounts counts() const;

  // Point lookups; nullptr when there is no such row.
  const App* FindApp(Id id) const;
  const App* FindAppByKey(std::string_view app_key) const;
  const Organization* FindOrganization(Id id) const;
  const Organization* FindOrganizationByExternalId(Id app_id, std::string_view external_id) const;
  const Client* FindClient(Id id) const;
  const Client* FindClientByExternalId(std::string_view external_id) const;
  const User* FindUser(Id id) const;
  const User* FindUserByExternalId(std::string_view external_id) const;
  const User* FindUserByEmail(std::string_view email) const;  // ASCII case-insensitive
  // Links are not stored as rows: the link is returned by value.
  std::optional<ClientUserLink> FindLink(Id client_id, Id user_id) const;
  bool HasLink(Id client_id, Id user_id) const;

  // The owner of an organization (nullptr if the organization is unknown).
  const User* OwnerOfOrganization(Id organization_id) const;
  OwnedOrganizationRange OrganizationsOwnedBy(Id user_id) const;
  OrganizationRange OrganizationsOfApp(Id app_id) const;
  ClientRange ClientsOfOrganization(Id organization_id) const;  // kNoId: v1.0 clients
  ClientsOfUserRange ClientsOfUser(Id user_id) const;
  UsersOfClientRange UsersOfClient(Id client_id) const;
  // The same for a row this View handed out (FindUser, Rows<User>,
  // SortedById<User>): no lookup, e.g. to walk every user's accounts.
  // REQUIRES: `user` is such a row, not a copy of one.
  ClientsOfUserRange ClientsOfUser(const User& user) const;

  // Access check and routing in one call.
  AccessDecision Resolve(const AccessRequest& request) const;

  // Every row of one table (App, Organization, Client, User or
  // ClientUserLink), in no particular order: for snapshots, exports,
  // verification and reconciliation.
  template <typename Row>
  TableRange<Row> Rows() const {
    return TableRange<Row>(tables_);
  }
  // The rows of one table (App, Organization, Client or User) sorted by id:
  // pointers into this state, valid while the View is. O(n) when the ids are
  // dense (the largest at most twice the row count, as ids the registry
  // assigns are), else O(n log n).
  template <typename Row>
  std::vector<const Row*> SortedById() const;
  NextIds next_ids() const {
    return {tables_->next_app_id, tables_->next_organization_id, tables_->next_client_id,
            tables_->next_user_id};
  }

 private:
  friend class Registry;
  friend struct detail::ViewAccess;  // core/src/view_access.h
  View(const detail::Tables* tables, std::uint64_t sequence, void* reader_slot)
      : tables_(tables), sequence_(sequence), reader_slot_(reader_slot) {}
  void Release();

  const detail::Tables* tables_ = nullptr;
  std::uint64_t sequence_ = 0;
  void* reader_slot_ = nullptr;  // the counter this view increments; see registry.cpp
};

}  // namespace hubreg
