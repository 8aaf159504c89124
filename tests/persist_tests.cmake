# Tests of the durable store (persist/): round trips, compaction, map growth,
# read-only processes, kill -9 crash safety and damaged data directories.
find_path(CEREAL_INCLUDE_DIR cereal/cereal.hpp REQUIRED)
find_path(LMDB_INCLUDE_DIR lmdb.h REQUIRED)
find_library(LMDB_LIBRARY lmdb REQUIRED)

# The child process the multi-process tests start and kill.
add_executable(crash_writer crash_writer.cpp)
target_include_directories(crash_writer PRIVATE ${LMDB_INCLUDE_DIR})
target_link_libraries(crash_writer PRIVATE hubreg::persist ${LMDB_LIBRARY})
hubreg_target_options(crash_writer)

# The tests reach into persist/src for the LMDB layout and the fault hook.
foreach(test store_test crash_test store_corruption_test group_commit_test)
  hubreg_add_test(${test})
  target_include_directories(${test} PRIVATE ${PROJECT_SOURCE_DIR}/persist/src
                             ${CEREAL_INCLUDE_DIR} ${LMDB_INCLUDE_DIR})
  target_link_libraries(${test} PRIVATE hubreg::persist ${LMDB_LIBRARY})
  target_compile_definitions(${test} PRIVATE HUBREG_CRASH_WRITER="$<TARGET_FILE:crash_writer>")
  add_dependencies(${test} crash_writer)
  set_tests_properties(${test} PROPERTIES LABELS persist)
endforeach()
