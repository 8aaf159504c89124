# Tests of bindings/: the C API from a C99 program, the exported symbols of
# libhubreg_c.so, and the Python module with pytest.
if(TARGET hubreg_c)
  add_executable(c_api_test c_api_test.c temp_dir.cpp)
  target_link_libraries(c_api_test PRIVATE hubreg::c Threads::Threads)
  target_compile_definitions(c_api_test PRIVATE HUBREG_EXPECTED_VERSION="${PROJECT_VERSION}")
  set_target_properties(c_api_test PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  target_compile_options(c_api_test PRIVATE -Wall -Wextra -Wpedantic)
  if(HUBREG_WERROR)
    target_compile_options(c_api_test PRIVATE -Werror)
  endif()
  if(HUBREG_SANITIZE)
    target_compile_options(c_api_test PRIVATE -fsanitize=${HUBREG_SANITIZE} -fno-omit-frame-pointer
                                              -fno-sanitize-recover=all)
    target_link_options(c_api_test PRIVATE -fsanitize=${HUBREG_SANITIZE})
  endif()
  add_test(NAME c_api_test COMMAND c_api_test)

  add_test(NAME c_api_exports_only_hubreg_symbols
           COMMAND ${CMAKE_COMMAND} -DNM=${CMAKE_NM} -DLIBRARY=$<TARGET_FILE:hubreg_c>
                   -P ${PROJECT_SOURCE_DIR}/bindings/c/check_exports.cmake)
endif()

# pytest runs the module built in this tree; sanitizer builds skip it (the
# interpreter is not instrumented).
if(TARGET hubreg_python AND NOT HUBREG_SANITIZE)
  add_test(NAME python_bindings_test
           COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider ${CMAKE_CURRENT_SOURCE_DIR}/python)
  set_tests_properties(python_bindings_test PROPERTIES
    ENVIRONMENT "PYTHONPATH=$<TARGET_FILE_DIR:hubreg_python>;PYTHONDONTWRITEBYTECODE=1")
endif()

# `pip install .` into a fresh venv (tests/pip_install_test.sh), from the
# checkout's root and from bindings/python. setup.py takes the module from this
# build (HUBREG_USE_CMAKE_BUILD) instead of compiling the core, persist and the
# module a second time; what a user's `pip install .` compiles is the same
# CMake target. The lock keeps the two from building that target at once.
if(TARGET hubreg_python AND NOT HUBREG_SANITIZE)
  function(hubreg_add_pip_install_test name source_dir)
    add_test(NAME ${name}
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/pip_install_test.sh ${source_dir}
                     ${CMAKE_CURRENT_BINARY_DIR}/${name} ${PROJECT_VERSION})
    set_tests_properties(${name} PROPERTIES
      ENVIRONMENT "HUBREG_USE_CMAKE_BUILD=${CMAKE_BINARY_DIR};PYTHONDONTWRITEBYTECODE=1"
      RESOURCE_LOCK hubreg_python_module LABELS packaging TIMEOUT 300)
  endfunction()
  hubreg_add_pip_install_test(python_pip_install_test ${PROJECT_SOURCE_DIR})
  hubreg_add_pip_install_test(python_pip_install_from_bindings_test
                              ${PROJECT_SOURCE_DIR}/bindings/python)
endif()
