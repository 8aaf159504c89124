# Tests of the durable store (persist/): round trips, compaction, map growth,
# read-only processes, kill -9 crash safety and damaged data directories.
find_path(CEREAL_INCLUDE_DIR cereal/cereal.hpp REQUIRED)

# The child process the multi-process tests start and kill.
add_executable(crash_writer crash_writer.cpp)
target_include_directories(crash_writer PRIVATE ${PROJECT_SOURCE_DIR}/persist/src
                           ${CEREAL_INCLUDE_DIR})
target_link_libraries(crash_writer PRIVATE hubreg::persist LMDB::lmdb)
hubreg_target_options(crash_writer)

# The steady writer of the soak test and scripts/soak.sh.
add_executable(soak_writer soak_writer.cpp)
target_link_libraries(soak_writer PRIVATE hubreg::persist hubreg::generator)
hubreg_target_options(soak_writer)

# Statistics as data and as Prometheus text (public API only).
hubreg_add_test(metrics_test)
target_link_libraries(metrics_test PRIVATE hubreg::persist)
set_tests_properties(metrics_test PROPERTIES LABELS persist)

# The tests reach into persist/src for the LMDB layout and the fault hook.
foreach(test store_test store_layout_test crash_test store_corruption_test group_commit_test
             store_feed_test feed_crash_test store_verify_test stored_registry_test
             copy_compaction_test lmdb_pages_test)
  hubreg_add_test(${test})
  target_include_directories(${test} PRIVATE ${PROJECT_SOURCE_DIR}/persist/src
                             ${CEREAL_INCLUDE_DIR})
  target_link_libraries(${test} PRIVATE hubreg::persist LMDB::lmdb)
  target_compile_definitions(${test} PRIVATE HUBREG_CRASH_WRITER="$<TARGET_FILE:crash_writer>")
  add_dependencies(${test} crash_writer)
  set_tests_properties(${test} PROPERTIES LABELS persist)
endforeach()

# Damaged LMDB pages, rolled-back journals and unusable data directories, through
# the `hubreg` command.
if(TARGET hubreg)
  foreach(test storage_damage_test data_directory_test)
    hubreg_add_test(${test})
    target_include_directories(${test} PRIVATE ${PROJECT_SOURCE_DIR}/persist/src
                               ${CEREAL_INCLUDE_DIR})
    target_link_libraries(${test} PRIVATE hubreg::persist LMDB::lmdb)
    target_compile_definitions(${test} PRIVATE HUBREG_BIN="$<TARGET_FILE:hubreg>"
                               HUBREG_TEST_DATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/data")
    add_dependencies(${test} hubreg)
    set_tests_properties(${test} PROPERTIES LABELS persist)
  endforeach()
endif()

# The soak test (issue 16): about a minute in a release build, a tenth of the
# batches under sanitizers. Labelled "soak" so it can be run, or left out,
# on its own (ctest -L soak / -LE soak).
hubreg_add_test(soak_test)
target_include_directories(soak_test PRIVATE ${PROJECT_SOURCE_DIR}/persist/src ${CEREAL_INCLUDE_DIR})
target_link_libraries(soak_test PRIVATE hubreg::persist)
target_compile_definitions(soak_test PRIVATE HUBREG_SOAK_WRITER="$<TARGET_FILE:soak_writer>"
                           HUBREG_CRASH_WRITER="$<TARGET_FILE:crash_writer>")
add_dependencies(soak_test soak_writer crash_writer)
set_tests_properties(soak_test PROPERTIES LABELS "persist;soak" TIMEOUT 900)

# Waiting for commits across processes: the commit signal, WaitForCommit and
# background refresh (issue 11). wait_child is the waiting process.
add_executable(wait_child wait_child.cpp)
target_link_libraries(wait_child PRIVATE hubreg::persist)
hubreg_target_options(wait_child)
hubreg_add_test(commit_signal_test)
target_include_directories(commit_signal_test PRIVATE ${PROJECT_SOURCE_DIR}/persist/src
                           ${CEREAL_INCLUDE_DIR} ${LMDB_INCLUDE_DIR})
target_link_libraries(commit_signal_test PRIVATE hubreg::persist)
target_compile_definitions(commit_signal_test PRIVATE
                           HUBREG_WAIT_CHILD="$<TARGET_FILE:wait_child>"
                           HUBREG_CRASH_WRITER="$<TARGET_FILE:crash_writer>")
add_dependencies(commit_signal_test wait_child crash_writer)
set_tests_properties(commit_signal_test PROPERTIES LABELS persist)
