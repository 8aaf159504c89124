// The `hubreg` Python module. See docs/bindings.md.
#include "handle.h"
#include "hubreg/version.h"
#include "py_internal.h"

PYBIND11_MODULE(hubreg, m) {
  m.doc() =
      "hubreg: the registry of hub_alpha apps, organizations, accounts (clients) and users.\n"
      "Timestamps are timezone-aware datetimes in UTC; status and environment are strings.";
  m.attr("__version__") = HUBREG_VERSION_STRING;
  m.attr("have_persistence") = hubreg::bindings::HavePersistence();
  hubreg::python::RegisterErrors(m);
  hubreg::python::RegisterEntities(m);
  hubreg::python::RegisterRegistry(m);
  hubreg::python::RegisterFeed(m);
}
