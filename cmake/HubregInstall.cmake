# Install rules and the CMake package, so that another project can use
#   find_package(hubreg REQUIRED)
#   target_link_libraries(app PRIVATE hubreg::core hubreg::persist hubreg::sync hubreg::c)
# and a pkg-config file for the C library (pkg-config --cflags --libs hubreg).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(HUBREG_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/hubreg)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/core/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/generated/include/hubreg/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/hubreg)
install(TARGETS hubreg_core EXPORT hubregTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
set_target_properties(hubreg_core PROPERTIES EXPORT_NAME core)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/persist/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS hubreg_persist EXPORT hubregTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
set_target_properties(hubreg_persist PROPERTIES EXPORT_NAME persist)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/sync/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS hubreg_sync EXPORT hubregTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
set_target_properties(hubreg_sync PROPERTIES EXPORT_NAME sync)

install(EXPORT hubregTargets NAMESPACE hubreg:: DESTINATION ${HUBREG_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/hubregConfig.cmake.in
  ${PROJECT_BINARY_DIR}/hubregConfig.cmake INSTALL_DESTINATION ${HUBREG_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/hubregConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
# FindLMDB.cmake goes along: the package config finds LMDB::lmdb with it.
install(FILES ${PROJECT_BINARY_DIR}/hubregConfig.cmake ${PROJECT_BINARY_DIR}/hubregConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/FindLMDB.cmake
  DESTINATION ${HUBREG_CMAKE_DIR})

# hubreg.pc for the C library. Its prefix is found from the file's own place
# (pkg-config's ${pcfiledir}), so an installed tree may be moved, or unpacked
# from the .deb into a scratch root, and still be used.
set(HUBREG_PKGCONFIG_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH HUBREG_PC_PREFIX_FROM_PCFILEDIR /${HUBREG_PKGCONFIG_DIR} /)
string(REGEX REPLACE "/$" "" HUBREG_PC_PREFIX_FROM_PCFILEDIR "${HUBREG_PC_PREFIX_FROM_PCFILEDIR}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/hubreg.pc.in ${PROJECT_BINARY_DIR}/hubreg.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/hubreg.pc DESTINATION ${HUBREG_PKGCONFIG_DIR})
