# Puts a hubreg build where a user would find it, then builds and runs
# consumers against it: a C++ project (find_package: core, persist, sync), a
# C-only project (find_package: the C API) and the same C program built with
# `cc $(pkg-config --cflags --libs hubreg)`.
#   cmake -DHUBREG_BUILD_DIR=... -DCONSUMER_SOURCE_DIR=... -DWORK_DIR=...
#         [-DMODE=install|deb] [-DC_COMPILER=cc] [-DCXX_COMPILER=c++]
#         [-DSANITIZE=address,undefined] -P run.cmake
# MODE install (the default) runs `cmake --install` into a scratch prefix;
# MODE deb runs `cpack -G DEB`, checks the package's metadata and unpacks it
# with `dpkg -x` into a scratch root (nothing is installed on the machine).
# SANITIZE: the sanitizers the hubreg build was instrumented with; the
# consumers choose the same ones (an installed hubreg asks for none).
if(NOT MODE)
  set(MODE install)
endif()
if(NOT C_COMPILER)
  set(C_COMPILER cc)
endif()
if(NOT CXX_COMPILER)
  set(CXX_COMPILER c++)
endif()

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE output
                  ERROR_VARIABLE output)
  if(result)
    message(FATAL_ERROR "${what} failed (${result}):\n${output}")
  endif()
  set(run_output "${output}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

if(MODE STREQUAL "install")
  set(prefix ${WORK_DIR}/prefix)
  run("cmake --install" ${CMAKE_COMMAND} --install ${HUBREG_BUILD_DIR} --prefix ${prefix})
elseif(MODE STREQUAL "deb")
  run("cpack -G DEB" ${CMAKE_CPACK_COMMAND} -G DEB --config ${HUBREG_BUILD_DIR}/CPackConfig.cmake
      -B ${WORK_DIR}/deb)
  file(GLOB packages ${WORK_DIR}/deb/*.deb)
  list(LENGTH packages count)
  if(NOT count EQUAL 1)
    message(FATAL_ERROR "cpack made ${count} .deb files, not one: ${packages}")
  endif()
  run("dpkg-deb --field" dpkg-deb --field ${packages} Package Version Maintainer Depends)
  message(STATUS "${packages}:\n${run_output}")
  foreach(field "Package: hubreg" "Version: " "Maintainer: " "Depends: ")
    if(NOT run_output MATCHES "(^|\n)${field}")
      message(FATAL_ERROR "the package has no '${field}' field")
    endif()
  endforeach()
  foreach(dependency liblmdb0 libpq5 libstdc\\+\\+6)
    if(NOT run_output MATCHES "\nDepends: [^\n]*${dependency}")
      message(FATAL_ERROR "the package does not depend on ${dependency}")
    endif()
  endforeach()
  run("dpkg -x" dpkg -x ${packages} ${WORK_DIR}/root)
  set(prefix ${WORK_DIR}/root/usr)
else()
  message(FATAL_ERROR "MODE is install or deb, not '${MODE}'")
endif()

# Nothing of hubreg's own build settings may reach a user of the package.
file(GLOB_RECURSE exports ${prefix}/lib*/cmake/hubreg/*.cmake)
list(FILTER exports EXCLUDE REGEX "/(hubregConfig|hubregConfigVersion|FindLMDB)\\.cmake$")
list(LENGTH exports count)
if(count LESS 2)
  message(FATAL_ERROR "no exported targets under ${prefix}: ${exports}")
endif()
foreach(export IN LISTS exports)
  file(READ ${export} text)
  foreach(flag -fsanitize -Werror -Wall -Wextra -Wpedantic)
    string(FIND "${text}" "${flag}" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "${export} hands ${flag} to every user of hubreg")
    endif()
  endforeach()
endforeach()

set(consumer_flags "")
if(SANITIZE)
  set(consumer_flags "-fsanitize=${SANITIZE}")
endif()
foreach(project "" c)
  run("configuring the consumer ${project}" ${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR}/${project}
      -B ${WORK_DIR}/build/${project} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_C_COMPILER=${C_COMPILER}
      -DCMAKE_CXX_COMPILER=${CXX_COMPILER} "-DCMAKE_C_FLAGS=${consumer_flags}"
      "-DCMAKE_CXX_FLAGS=${consumer_flags}" "-DCMAKE_EXE_LINKER_FLAGS=${consumer_flags}")
  run("building the consumer ${project}" ${CMAKE_COMMAND} --build ${WORK_DIR}/build/${project})
endforeach()
run("the C++ consumer" ${WORK_DIR}/build/consumer ${WORK_DIR}/data)
message(STATUS "${run_output}")
run("the C consumer" ${WORK_DIR}/build/c/consumer_c)
message(STATUS "${run_output}")

# The C library through pkg-config, as a Makefile would use it.
file(GLOB_RECURSE pc_files ${prefix}/hubreg.pc)
if(NOT pc_files)
  message(FATAL_ERROR "no hubreg.pc under ${prefix}")
endif()
get_filename_component(pc_dir "${pc_files}" DIRECTORY)
set(ENV{PKG_CONFIG_PATH} ${pc_dir})
run("pkg-config hubreg" pkg-config --cflags --libs hubreg)
string(STRIP "${run_output}" pkg_flags)
separate_arguments(pkg_flags UNIX_COMMAND "${pkg_flags}")
run("pkg-config --variable=libdir" pkg-config --variable=libdir hubreg)
string(STRIP "${run_output}" libdir)
separate_arguments(sanitize_flags UNIX_COMMAND "${consumer_flags}")
run("cc $(pkg-config --cflags --libs hubreg)" ${C_COMPILER} -std=c99 -Wall -Werror
    ${sanitize_flags} -o ${WORK_DIR}/consumer_pkgconfig ${CONSUMER_SOURCE_DIR}/c/main.c ${pkg_flags})
run("the C consumer built with pkg-config" ${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${libdir}
    ${WORK_DIR}/consumer_pkgconfig)
message(STATUS "pkg-config: ${run_output}")
