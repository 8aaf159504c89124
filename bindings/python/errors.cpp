// Python exceptions per error kind. Each also derives from the built-in
// exception a Python programmer would catch for it (LookupError, ValueError,
// OSError, ...), so generic handlers keep working.
#include <array>

#include "py_internal.h"

namespace hubreg::python {
namespace {

// Indexed by ErrorCode; [0] is the base class hubreg.Error. Created once at
// import and kept for the life of the process (the module holds them too).
std::array<PyObject*, 11> exception_classes{};

PyObject* MakeClass(py::module_& m, const char* name, const char* doc, PyObject* bases) {
  std::string qualified = std::string("hubreg.") + name;
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases, nullptr);
  if (cls == nullptr) throw py::error_already_set();
  m.add_object(name, py::handle(cls));
  return cls;
}

}  // namespace

void RegisterErrors(py::module_& m) {
  PyObject* base = MakeClass(m, "Error", "Base class of every hubreg error.", PyExc_Exception);
  exception_classes[0] = base;
  struct Kind {
    ErrorCode code;
    const char* name;
    PyObject* builtin;
    const char* doc;
  };
  const Kind kinds[] = {
      {ErrorCode::kNotFound, "NotFoundError", PyExc_LookupError, "The row or file does not exist."},
      {ErrorCode::kDuplicate, "DuplicateError", PyExc_ValueError,
       "A unique key would be used twice."},
      {ErrorCode::kForeignKey, "ForeignKeyError", PyExc_ValueError,
       "A reference points at a row that does not exist."},
      {ErrorCode::kInUse, "InUseError", PyExc_ValueError,
       "A row cannot be deleted while others refer to it."},
      {ErrorCode::kInvalidArgument, "InvalidArgumentError", PyExc_ValueError,
       "A value is malformed or out of range, or the call is not allowed now."},
      {ErrorCode::kCorruption, "CorruptionError", nullptr, "Stored bytes are damaged."},
      {ErrorCode::kIo, "IOError", PyExc_OSError, "The operating system or LMDB refused."},
      {ErrorCode::kVersion, "VersionError", nullptr,
       "A format or schema version this build cannot read."},
      {ErrorCode::kReadOnly, "ReadOnlyError", nullptr, "A write through a read-only registry."},
      {ErrorCode::kResyncRequired, "ResyncRequiredError", nullptr,
       "A change feed cursor is older than what is kept: start again from a state."},
  };
  for (const Kind& kind : kinds) {
    py::tuple bases = kind.builtin != nullptr
                          ? py::make_tuple(py::handle(base), py::handle(kind.builtin))
                          : py::make_tuple(py::handle(base));
    exception_classes[static_cast<std::size_t>(kind.code)] =
        MakeClass(m, kind.name, kind.doc, bases.ptr());
  }
}

void Raise(const Status& status) {
  auto index = static_cast<std::size_t>(status.code());
  PyObject* cls = index < exception_classes.size() && exception_classes[index] != nullptr
                      ? exception_classes[index]
                      : exception_classes[0];
  PyErr_SetString(cls, status.message().c_str());
  throw py::error_already_set();
}

void RaiseInvalidArgument(const std::string& message) { Raise(Status::InvalidArgument(message)); }

}  // namespace hubreg::python
