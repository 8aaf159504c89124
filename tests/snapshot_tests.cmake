# Tests of the cereal codec and of standalone snapshot files (persist/).
if(TARGET hubreg::persist)
  find_path(CEREAL_INCLUDE_DIR cereal/cereal.hpp REQUIRED)
  # The codec and file format are internal to persist; their tests reach into
  # persist/src.
  foreach(test codec_test snapshot_file_test)
    hubreg_add_test(${test})
    target_include_directories(${test} PRIVATE ${PROJECT_SOURCE_DIR}/persist/src
                               ${CEREAL_INCLUDE_DIR})
    target_link_libraries(${test} PRIVATE hubreg::persist)
    target_compile_definitions(${test} PRIVATE
                               HUBREG_TEST_DATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/data")
  endforeach()
endif()
