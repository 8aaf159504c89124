# The code blocks of README.md and docs/*.md marked `<!-- test: ... -->` are
# compiled and run against this build, installed into a scratch prefix
# (tests/doc_examples_test.py; the convention is in docs/doc_examples.md).
# The pages run the command, the C API and the Python module, so a build
# without one of them, or with sanitizers (no module), skips it.
if(HUBREG_INSTALL AND TARGET hubreg AND TARGET hubreg_python AND TARGET hubreg_c AND NOT HUBREG_SANITIZE)
  add_test(NAME doc_examples_test
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/doc_examples_test.py
                   --source ${PROJECT_SOURCE_DIR} --build ${PROJECT_BINARY_DIR}
                   --work ${CMAKE_CURRENT_BINARY_DIR}/doc_examples
                   --cxx ${CMAKE_CXX_COMPILER} --cc ${CMAKE_C_COMPILER} --cmake ${CMAKE_COMMAND})
  set_tests_properties(doc_examples_test PROPERTIES LABELS docs TIMEOUT 600)
  # The driver itself: wrong pages fail with their page and line.
  add_test(NAME doc_examples_selftest
           COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider
                   ${CMAKE_CURRENT_SOURCE_DIR}/doc_examples_selftest.py)
  set_tests_properties(doc_examples_selftest PROPERTIES LABELS docs
    ENVIRONMENT "DOC_EXAMPLES_BUILD=${PROJECT_BINARY_DIR};PYTHONDONTWRITEBYTECODE=1")
endif()
