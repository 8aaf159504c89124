# Tests of the cereal codec, standalone snapshot files, restoring them, and
# the private-file writer and input reader they use (persist/). The codec and
# file format are internal to persist; their tests reach into persist/src.
find_path(CEREAL_INCLUDE_DIR cereal/cereal.hpp REQUIRED)
foreach(test codec_test files_test snapshot_file_test snapshot_restore_test)
  hubreg_add_test(${test})
  target_include_directories(${test} PRIVATE ${PROJECT_SOURCE_DIR}/persist/src
                             ${CEREAL_INCLUDE_DIR})
  target_link_libraries(${test} PRIVATE hubreg::persist)
  target_compile_definitions(${test} PRIVATE
                             HUBREG_TEST_DATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/data")
endforeach()
