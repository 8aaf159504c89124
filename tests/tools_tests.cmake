# Tests of the `hubreg` command (tools/): the library behind it, then the
# built binary end to end.
if(TARGET hubreg_cli_lib)
  foreach(name csv_reader_test timestamp_text_test row_parser_test importer_test input_files_test
               query_output_test progress_test secret_messages_test
               change_json_test)
    hubreg_add_test(${name})
    target_link_libraries(${name} PRIVATE hubreg_cli_lib)
    target_compile_definitions(${name} PRIVATE
      HUBREG_TEST_DATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/data")
    set_tests_properties(${name} PROPERTIES LABELS tools)
  endforeach()
  # One-shot queries from stored rows, against the built registry.
  hubreg_add_test(stored_queries_test)
  target_link_libraries(stored_queries_test PRIVATE hubreg_cli_lib hubreg::persist)
  set_tests_properties(stored_queries_test PROPERTIES LABELS tools)
endif()

if(TARGET hubreg)
  # The command end to end, hundreds of runs of it: under ASan on a 2-core
  # machine with a load of 14, cli_test took 621 s (its kill -9 case imports
  # 80,000 links five times) and cli_files_test 163 s to over 300 s. The
  # timeout only bounds a hang, as scripts/test.sh's 900 s does.
  set(cli_test_timeout 900)
  add_test(NAME cli_test
    COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider
            ${CMAKE_CURRENT_SOURCE_DIR}/cli_test.py)
  set_tests_properties(cli_test PROPERTIES
    LABELS tools
    TIMEOUT ${cli_test_timeout}
    ENVIRONMENT "HUBREG_BIN=$<TARGET_FILE:hubreg>;HUBREG_TEST_DATA=${CMAKE_CURRENT_SOURCE_DIR}/data;HUBREG_SANITIZE=${HUBREG_SANITIZE}")
  # get, inspect and the one-shot queries (issue 13).
  add_test(NAME cli_oneshot_test
    COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider
            ${CMAKE_CURRENT_SOURCE_DIR}/cli_oneshot_test.py)
  set_tests_properties(cli_oneshot_test PROPERTIES
    LABELS tools
    TIMEOUT ${cli_test_timeout}
    ENVIRONMENT "HUBREG_BIN=$<TARGET_FILE:hubreg>;HUBREG_TEST_DATA=${CMAKE_CURRENT_SOURCE_DIR}/data")
  # How the command creates and reads files: modes, planted links, FIFOs.
  add_test(NAME cli_files_test
    COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider
            ${CMAKE_CURRENT_SOURCE_DIR}/cli_files_test.py)
  set_tests_properties(cli_files_test PROPERTIES
    LABELS tools
    TIMEOUT ${cli_test_timeout}
    ENVIRONMENT "HUBREG_BIN=$<TARGET_FILE:hubreg>;HUBREG_TEST_DATA=${CMAKE_CURRENT_SOURCE_DIR}/data")
endif()
