// `hubreg query ...`: the lookups services make, for people and scripts.
// Answered from the stored rows, without building the registry
// (stored_queries.h).
#include <cstdio>
#include <optional>

#include "command_common.h"
#include "query_output.h"
#include "stored_queries.h"

namespace hubreg::cli {
namespace {

struct QueryArgs {
  std::string key;
  std::string app;
  std::string account;
  std::string user;
  std::string org;
};

std::optional<std::string_view> Optional(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text;
}

int Print(const Context& context, const StatusOr<QueryTable>& table) {
  if (!table.ok()) return Fail(table.status());
  const std::string text = context.json ? RenderJson(*table) : RenderTable(*table);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return kExitOk;
}

// Reads the data directory's rows and runs `query` on them.
template <typename Query>
int RunQuery(const Context& context, Query query) {
  StatusOr<StoredRegistry> stored = ReadStored(context);
  if (!stored.ok()) return Fail(stored.status());
  return Print(context, query(*stored));
}

}  // namespace

void AddQueryCommands(CLI::App& app, Context& context) {
  auto args = std::make_shared<QueryArgs>();
  CLI::App* query = app.add_subcommand("query", "Look up users, clients and organizations");
  query->require_subcommand(1);

  const auto add = [&](const char* name, const char* description, const char* key_name,
                       const char* key_help, bool with_app) {
    CLI::App* sub = query->add_subcommand(name, description);
    sub->add_option(key_name, args->key, key_help)->required();
    if (with_app) {
      sub->add_option("--app", args->app,
                      "App key, when the organization id is used in several apps");
    }
    return sub;
  };

  add("user-clients", "Clients a user is linked to", "USER", "User external id or email", false)
      ->callback([&context, args] {
        context.exit_code = RunQuery(
            context, [&](const StoredRegistry& stored) { return UserClients(stored, args->key); });
      });
  add("client-users", "Users linked to a client", "CLIENT", "Client external id", false)
      ->callback([&context, args] {
        context.exit_code = RunQuery(
            context, [&](const StoredRegistry& stored) { return ClientUsers(stored, args->key); });
      });
  add("org-owner", "The owner of an organization", "ORG", "Organization external id", true)
      ->callback([&context, args] {
        context.exit_code = RunQuery(context, [&](const StoredRegistry& stored) {
          return OrgOwner(stored, args->key, Optional(args->app));
        });
      });
  add("owned-orgs", "Organizations a user owns", "USER", "User external id or email", false)
      ->callback([&context, args] {
        context.exit_code = RunQuery(
            context, [&](const StoredRegistry& stored) { return OwnedOrgs(stored, args->key); });
      });
  add("org-clients", "Clients of an organization", "ORG", "Organization external id", true)
      ->callback([&context, args] {
        context.exit_code = RunQuery(context, [&](const StoredRegistry& stored) {
          return OrgClients(stored, args->key, Optional(args->app));
        });
      });
  query->add_subcommand("no-org-clients", "Clients with no organization (v1.0 accounts)")
      ->callback([&context] {
        context.exit_code =
            RunQuery(context, [](const StoredRegistry& stored) { return NoOrgClients(stored); });
      });

  CLI::App* resolve = query->add_subcommand(
      "resolve", "May USER use ACCOUNT, and where is its database (password never shown)");
  resolve->add_option("--account", args->account, "Client (account) external id")->required();
  resolve->add_option("--user", args->user, "User external id or email")->required();
  resolve->add_option("--org", args->org, "Organization external id the account must belong to");
  resolve->add_option("--app", args->app, "App key the account must belong to");
  resolve->callback([&context, args] {
    context.exit_code = RunQuery(context, [&](const StoredRegistry& stored) {
      const AccessRequest request{args->account, args->user, Optional(args->app),
                                  Optional(args->org)};
      return ResolveUserOrEmail(stored, request);
    });
  });
}

}  // namespace hubreg::cli
