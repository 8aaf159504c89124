# `cpack -G DEB` in a build directory makes hubreg_<version>-<release>_<arch>.deb:
# everything `cmake --install` puts under /usr (the hubreg command, libhubreg_c,
# the Python module, the static libraries, headers, CMake package and
# hubreg.pc). dpkg-shlibdeps (Debian's dpkg-dev) works out the run-time
# dependencies (liblmdb0, libpq5, libstdc++6, ...) from the binaries; building
# against the static libraries also needs the development packages recommended.
set(HUBREG_PACKAGE_MAINTAINER "hubreg maintainers <hubreg@example.invalid>"
    CACHE STRING "The Maintainer of the .deb made by cpack")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME hubreg)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${HUBREG_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "hub_alpha's client registry in memory, durable in LMDB")
set(CPACK_PACKAGE_DESCRIPTION
    "hubreg holds hub_alpha's client registry in the memory of the processes that need it, \
answers lookups from hashed indexes and keeps the registry safe on disk in LMDB. This package \
has the hubreg command, the C API (libhubreg_c), the Python module and, for building against \
hubreg, the C++ libraries with their headers, CMake package and pkg-config file.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Debian ships binaries without their debugging information.
set(CPACK_STRIP_FILES ON)
set(CPACK_HUBREG_STRIP ${CMAKE_STRIP})
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/HubregStripArchives.cmake)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# A shlibs file for libhubreg_c.so.0, and the ldconfig trigger.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libboost-dev (>= 1.74), liblmdb-dev, libpq-dev, pkg-config")
if(TARGET hubreg_python)
  set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3")
endif()
include(CPack)
