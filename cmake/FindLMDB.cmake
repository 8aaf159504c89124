# Finds LMDB (Debian: liblmdb-dev) and defines the imported target LMDB::lmdb.
# Used by hubreg's build and, installed beside it, by hubregConfig.cmake.
# Sets LMDB_FOUND and LMDB_VERSION; the cache variables LMDB_INCLUDE_DIR and
# LMDB_LIBRARY may be set to pick a copy by hand.
find_path(LMDB_INCLUDE_DIR lmdb.h)
find_library(LMDB_LIBRARY lmdb)
mark_as_advanced(LMDB_INCLUDE_DIR LMDB_LIBRARY)

if(LMDB_INCLUDE_DIR AND EXISTS "${LMDB_INCLUDE_DIR}/lmdb.h")
  file(STRINGS "${LMDB_INCLUDE_DIR}/lmdb.h" _lmdb_version_lines
       REGEX "^#define[ \t]+MDB_VERSION_(MAJOR|MINOR|PATCH)[ \t]+[0-9]+")
  foreach(_lmdb_part MAJOR MINOR PATCH)
    string(REGEX REPLACE ".*MDB_VERSION_${_lmdb_part}[ \t]+([0-9]+).*" "\\1" _lmdb_${_lmdb_part}
           "${_lmdb_version_lines}")
  endforeach()
  set(LMDB_VERSION "${_lmdb_MAJOR}.${_lmdb_MINOR}.${_lmdb_PATCH}")
  unset(_lmdb_version_lines)
  unset(_lmdb_part)
  unset(_lmdb_MAJOR)
  unset(_lmdb_MINOR)
  unset(_lmdb_PATCH)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(LMDB
  REQUIRED_VARS LMDB_LIBRARY LMDB_INCLUDE_DIR
  VERSION_VAR LMDB_VERSION)

if(LMDB_FOUND AND NOT TARGET LMDB::lmdb)
  add_library(LMDB::lmdb UNKNOWN IMPORTED)
  set_target_properties(LMDB::lmdb PROPERTIES
    IMPORTED_LOCATION "${LMDB_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${LMDB_INCLUDE_DIR}")
endif()
