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

#include "hubreg/detail/tables.h"
#include "hubreg/model.h"

namespace hubreg {

class Registry;

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

// Rows reached through client_user links, e.g. the clients of a user. Each
// step follows one link and one id index: O(1) per row, nothing copied.
template <typename Target, typename LinkIterator, typename TargetIdIndex,
          Id ClientUserLink::*kTargetId>
class LinkedRange {
 public:
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Target;
    using difference_type = std::ptrdiff_t;
    using pointer = const Target*;
    using reference = const Target&;

    iterator() = default;
    iterator(LinkIterator link, const TargetIdIndex* index) : link_(link), index_(index) {}
    reference operator*() const { return *index_->find((*link_).*kTargetId); }
    pointer operator->() const { return &**this; }
    // The link itself, for its created_at.
    const ClientUserLink& link() const { return *link_; }
    iterator& operator++() {
      ++link_;
      return *this;
    }
    iterator operator++(int) {
      iterator before = *this;
      ++link_;
      return before;
    }
    bool operator==(const iterator& other) const { return link_ == other.link_; }

   private:
    LinkIterator link_{};
    const TargetIdIndex* index_ = nullptr;
  };

  LinkedRange(std::pair<LinkIterator, LinkIterator> links, const TargetIdIndex* index)
      : first_(links.first, index), last_(links.second, index) {}
  iterator begin() const { return first_; }
  iterator end() const { return last_; }
  bool empty() const { return first_ == last_; }
  std::size_t size() const { return static_cast<std::size_t>(std::distance(first_, last_)); }

 private:
  iterator first_;
  iterator last_;
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
  using UserLinks = detail::LinkTable::index<detail::ByUser>::type;
  using ClientLinks = detail::LinkTable::index<detail::ByClient>::type;
  using ClientIds = detail::ClientTable::index<detail::ById>::type;
  using UserIds = detail::UserTable::index<detail::ById>::type;

 public:
  using ClientsOfUserRange =
      LinkedRange<Client, UserLinks::const_iterator, ClientIds, &ClientUserLink::client_id>;
  using UsersOfClientRange =
      LinkedRange<User, ClientLinks::const_iterator, UserIds, &ClientUserLink::user_id>;
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
  const ClientUserLink* FindLink(Id client_id, Id user_id) const;
  bool HasLink(Id client_id, Id user_id) const { return FindLink(client_id, user_id) != nullptr; }

  // The owner of an organization (nullptr if the organization is unknown).
  const User* OwnerOfOrganization(Id organization_id) const;
  OwnedOrganizationRange OrganizationsOwnedBy(Id user_id) const;
  OrganizationRange OrganizationsOfApp(Id app_id) const;
  ClientRange ClientsOfOrganization(Id organization_id) const;  // kNoId: v1.0 clients
  ClientsOfUserRange ClientsOfUser(Id user_id) const;
  UsersOfClientRange UsersOfClient(Id client_id) const;

  // Access check and routing in one call.
  AccessDecision Resolve(const AccessRequest& request) const;

  // Whole tables, for snapshots, exports and verification (unspecified order).
  const detail::AppTable& apps() const { return tables_->apps; }
  const detail::OrganizationTable& organizations() const { return tables_->organizations; }
  const detail::ClientTable& clients() const { return tables_->clients; }
  const detail::UserTable& users() const { return tables_->users; }
  const detail::LinkTable& links() const { return tables_->links; }
  // The next ids the registry would assign, saved by snapshots so that ids
  // of deleted rows are not handed out again after a restart.
  const detail::Tables& tables() const { return *tables_; }

 private:
  friend class Registry;
  View(const detail::Tables* tables, std::uint64_t sequence, void* reader_slot)
      : tables_(tables), sequence_(sequence), reader_slot_(reader_slot) {}
  void Release();

  const detail::Tables* tables_ = nullptr;
  std::uint64_t sequence_ = 0;
  void* reader_slot_ = nullptr;  // the counter this view increments; see registry.cpp
};

}  // namespace hubreg
