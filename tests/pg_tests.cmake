# Tests against a real PostgreSQL 15 (Debian postgresql-15), which each test
# program starts privately (pg_testutil.h). They fail, never skip, when the
# server is missing: scripts/install-deps.sh installs it.
add_library(hubreg_pg_testutil STATIC pg_testutil.cpp)
target_include_directories(hubreg_pg_testutil PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(hubreg_pg_testutil PUBLIC hubreg::core PostgreSQL::PostgreSQL)
target_compile_definitions(hubreg_pg_testutil
  PRIVATE HUBREG_PG_SCHEMA="${CMAKE_CURRENT_SOURCE_DIR}/data/pg/schema.sql")
hubreg_target_options(hubreg_pg_testutil)

hubreg_add_test(pg_testutil_test)
target_link_libraries(pg_testutil_test PRIVATE hubreg_pg_testutil)
set_tests_properties(pg_testutil_test PROPERTIES LABELS pg TIMEOUT 300)

# The sync layer's PostgreSQL pieces, tested on hand-made and on real server
# output; they reach into sync/src for the internal headers.
foreach(name pgoutput_test change_translator_test)
  hubreg_add_test(${name})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/sync/src)
  target_link_libraries(${name} PRIVATE hubreg_pg_testutil hubreg::sync)
  set_tests_properties(${name} PROPERTIES LABELS pg TIMEOUT 300)
endforeach()

# The replication client (sync/src), against the private server.
hubreg_add_test(replication_stream_test)
target_include_directories(replication_stream_test PRIVATE ${PROJECT_SOURCE_DIR}/sync/src)
target_link_libraries(replication_stream_test PRIVATE hubreg_pg_testutil hubreg::sync
                                                      PostgreSQL::PostgreSQL)
set_tests_properties(replication_stream_test PROPERTIES LABELS pg TIMEOUT 300)

# The follower, in this process and as the `hubreg follow` command.
if(TARGET hubreg AND TARGET hubreg_generator)
  hubreg_add_test(follower_test)
  target_include_directories(follower_test PRIVATE ${PROJECT_SOURCE_DIR}/persist/src
                             ${CEREAL_INCLUDE_DIR})
  target_link_libraries(follower_test PRIVATE hubreg_pg_testutil hubreg::sync hubreg::generator
                                              LMDB::lmdb)
  target_compile_definitions(follower_test PRIVATE HUBREG_CLI="$<TARGET_FILE:hubreg>"
                             HUBREG_CRASH_WRITER="$<TARGET_FILE:crash_writer>")
  add_dependencies(follower_test hubreg crash_writer)
  set_tests_properties(follower_test PROPERTIES LABELS pg TIMEOUT 900)
endif()

# The follower's commit path under bursts of large transactions.
hubreg_add_test(follower_burst_test)
target_include_directories(follower_burst_test PRIVATE ${PROJECT_SOURCE_DIR}/sync/src
                           ${PROJECT_SOURCE_DIR}/persist/src ${CEREAL_INCLUDE_DIR})
target_link_libraries(follower_burst_test PRIVATE hubreg_pg_testutil hubreg::sync LMDB::lmdb)
set_tests_properties(follower_burst_test PROPERTIES LABELS pg TIMEOUT 300)
