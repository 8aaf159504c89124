# Install rules and the CMake package, so that another project can use
#   find_package(hubreg REQUIRED)
#   target_link_libraries(app PRIVATE hubreg::core hubreg::persist hubreg::c)
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

if(TARGET hubreg_persist)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/persist/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(TARGETS hubreg_persist EXPORT hubregTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  set_target_properties(hubreg_persist PROPERTIES EXPORT_NAME persist)
endif()

install(EXPORT hubregTargets NAMESPACE hubreg:: DESTINATION ${HUBREG_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/hubregConfig.cmake.in
  ${PROJECT_BINARY_DIR}/hubregConfig.cmake INSTALL_DESTINATION ${HUBREG_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/hubregConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/hubregConfig.cmake ${PROJECT_BINARY_DIR}/hubregConfigVersion.cmake
  DESTINATION ${HUBREG_CMAKE_DIR})
