// Views, lookups, link iterators and the access check. These are the hot
// paths: they allocate nothing and cannot throw, and a lookup that finds
// nothing is an answer (HUBREG_NOT_FOUND), so it records no message.
#include <cstring>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "c_api_internal.h"
#include "c_rows.h"

using hubreg::View;

namespace {

std::string_view Text(const char* text) { return text == nullptr ? std::string_view() : text; }

using hubreg::capi::Fill;

// The connection columns of a client: those held in hubreg_client::db.
void FillConnection(const hubreg::Client& row, hubreg_connection* out) {
  hubreg::capi::ForEachCColumn<hubreg::Client>([&](const auto& column, const auto& member) {
    if constexpr (requires { member.inner; }) {
      hubreg::capi::ToC(row.*column.member, out->*member.inner);
    }
  });
}

template <typename Row, typename Out>
hubreg_status Found(const Row* row, Out* out) {
  if (row == nullptr) return HUBREG_NOT_FOUND;
  Fill(*row, out);
  return HUBREG_OK;
}

// A hubreg_iter holds the core's iterator over the clients of a user (or
// the users of a client): two pointers, trivially copyable, so it fits in the
// caller's three words and needs no cleanup.
template <typename Iterator>
void Store(const Iterator& position, hubreg_iter* it) {
  static_assert(std::is_trivially_copyable_v<Iterator>);
  static_assert(sizeof(Iterator) <= sizeof(hubreg_iter));
  static_assert(alignof(Iterator) <= alignof(hubreg_iter));
  std::memcpy(static_cast<void*>(it), &position, sizeof position);
}

template <typename Iterator>
Iterator Load(const hubreg_iter* it) {
  Iterator position;
  std::memcpy(&position, static_cast<const void*>(it), sizeof position);
  return position;
}

template <typename Range, typename Out>
hubreg_status Next(hubreg_iter* it, Out* out) {
  using Iterator = typename Range::iterator;
  Iterator position = Load<Iterator>(it);
  if (position == Iterator()) return HUBREG_NOT_FOUND;
  Fill(*position, out);
  Store(++position, it);
  return HUBREG_OK;
}

// One ended view's memory per thread, reused by the next hubreg_view_begin
// on that thread, so a service that begins and ends a view per request does
// not allocate (measured: about half the cost of a warm lookup).
struct SpareView {
  void* memory = nullptr;
  ~SpareView() { ::operator delete(memory); }
};
thread_local SpareView spare_view;

}  // namespace

extern "C" {

hubreg_status hubreg_view_begin(hubreg_registry* reg, hubreg_view** out) {
  if (out == nullptr) return HUBREG_INVALID_ARGUMENT;
  *out = nullptr;
  if (reg == nullptr) return HUBREG_INVALID_ARGUMENT;
  void* memory = std::exchange(spare_view.memory, nullptr);
  if (memory == nullptr) memory = ::operator new(sizeof(hubreg_view), std::nothrow);
  if (memory == nullptr) return hubreg::capi::Fail(reg, HUBREG_NO_MEMORY, "out of memory");
  auto* view = new (memory) hubreg_view{reg->handle->Read(), reg, std::this_thread::get_id()};
  try {
    reg->handle->ViewBegun();
  } catch (...) {
    view->~hubreg_view();
    ::operator delete(memory);
    return hubreg::capi::Fail(reg, HUBREG_NO_MEMORY, "out of memory");
  }
  *out = view;
  return HUBREG_OK;
}

void hubreg_view_end(hubreg_view* view) {
  if (view == nullptr) return;
  if (view->owner == std::this_thread::get_id()) view->reg->handle->ViewEnded();
  view->~hubreg_view();
  if (spare_view.memory == nullptr) {
    spare_view.memory = view;
  } else {
    ::operator delete(view);
  }
}

void hubreg_view_renew(hubreg_view* view) {
  // Leave the old state before entering the new one, so a writer waiting for
  // it is not held up.
  { hubreg::View old(std::move(view->view)); }
  view->view = view->reg->handle->Read();
}

uint64_t hubreg_view_sequence(const hubreg_view* view) { return view->view.sequence(); }

void hubreg_view_counts(const hubreg_view* view, hubreg_counts* out) {
  const hubreg::TableCounts counts = view->view.counts();
  out->apps = counts.apps;
  out->organizations = counts.organizations;
  out->clients = counts.clients;
  out->users = counts.users;
  out->links = counts.links;
}

hubreg_status hubreg_find_app(const hubreg_view* view, uint64_t id, hubreg_app* out) {
  return Found(view->view.FindApp(id), out);
}

hubreg_status hubreg_find_app_by_key(const hubreg_view* view, const char* app_key,
                                     hubreg_app* out) {
  return Found(view->view.FindAppByKey(Text(app_key)), out);
}

hubreg_status hubreg_find_organization(const hubreg_view* view, uint64_t id,
                                       hubreg_organization* out) {
  return Found(view->view.FindOrganization(id), out);
}

hubreg_status hubreg_find_organization_by_external_id(const hubreg_view* view, uint64_t app_id,
                                                      const char* external_id,
                                                      hubreg_organization* out) {
  return Found(view->view.FindOrganizationByExternalId(app_id, Text(external_id)), out);
}

hubreg_status hubreg_find_client(const hubreg_view* view, uint64_t id, hubreg_client* out) {
  return Found(view->view.FindClient(id), out);
}

hubreg_status hubreg_find_client_by_external_id(const hubreg_view* view, const char* external_id,
                                                hubreg_client* out) {
  return Found(view->view.FindClientByExternalId(Text(external_id)), out);
}

hubreg_status hubreg_find_user(const hubreg_view* view, uint64_t id, hubreg_user* out) {
  return Found(view->view.FindUser(id), out);
}

hubreg_status hubreg_find_user_by_external_id(const hubreg_view* view, const char* external_id,
                                              hubreg_user* out) {
  return Found(view->view.FindUserByExternalId(Text(external_id)), out);
}

hubreg_status hubreg_find_user_by_email(const hubreg_view* view, const char* email,
                                        hubreg_user* out) {
  return Found(view->view.FindUserByEmail(Text(email)), out);
}

hubreg_status hubreg_find_link(const hubreg_view* view, uint64_t client_id, uint64_t user_id,
                               hubreg_link* out) {
  const std::optional<hubreg::ClientUserLink> link = view->view.FindLink(client_id, user_id);
  return Found(link ? &*link : nullptr, out);
}

hubreg_status hubreg_owner_of_organization(const hubreg_view* view, uint64_t organization_id,
                                           hubreg_user* out) {
  return Found(view->view.OwnerOfOrganization(organization_id), out);
}

void hubreg_clients_of_user_begin(const hubreg_view* view, uint64_t user_id, hubreg_iter* it) {
  Store(view->view.ClientsOfUser(user_id).begin(), it);
}

hubreg_status hubreg_clients_of_user_next(hubreg_iter* it, hubreg_client* out) {
  return Next<View::ClientsOfUserRange>(it, out);
}

void hubreg_users_of_client_begin(const hubreg_view* view, uint64_t client_id, hubreg_iter* it) {
  Store(view->view.UsersOfClient(client_id).begin(), it);
}

hubreg_status hubreg_users_of_client_next(hubreg_iter* it, hubreg_user* out) {
  return Next<View::UsersOfClientRange>(it, out);
}

const char* hubreg_verdict_name(hubreg_verdict verdict) {
  const long long value = hubreg::capi::RawEnum(verdict);
  if (value < HUBREG_ALLOWED || value > HUBREG_ACCOUNT_DISABLED) return "unknown verdict";
  // ToString returns views of string literals, so data() is terminated.
  return hubreg::ToString(static_cast<hubreg::AccessVerdict>(value)).data();
}

hubreg_status hubreg_resolve(const hubreg_view* view, const hubreg_access_request* request,
                             hubreg_access_decision* out) {
  if (view == nullptr || request == nullptr || out == nullptr) return HUBREG_INVALID_ARGUMENT;
  hubreg::AccessRequest question;
  question.account_external_id = Text(request->account_external_id);
  question.user_external_id = Text(request->user_external_id);
  if (request->app_key != nullptr) question.app_key = request->app_key;
  if (request->organization_external_id != nullptr) {
    question.organization_external_id = request->organization_external_id;
  }
  const hubreg::AccessDecision decision = view->view.Resolve(question);
  *out = hubreg_access_decision{};
  out->verdict = static_cast<hubreg_verdict>(decision.verdict);
  out->client_id = decision.account != nullptr ? decision.account->id : 0;
  out->user_id = decision.user != nullptr ? decision.user->id : 0;
  if (decision.allowed()) FillConnection(*decision.account, &out->connection);
  return HUBREG_OK;
}

}  // extern "C"

static_assert(HUBREG_ACCOUNT_DISABLED == static_cast<int>(hubreg::AccessVerdict::kAccountDisabled),
              "hubreg_verdict mirrors hubreg::AccessVerdict");
static_assert(HUBREG_PROD == static_cast<int>(hubreg::Environment::kProd));
static_assert(HUBREG_DISABLED == static_cast<int>(hubreg::RecordStatus::kDisabled));
