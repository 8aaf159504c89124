# Tests of the cereal codec and of standalone snapshot files (persist/).
if(TARGET hubreg::persist)
  find_path(CEREAL_INCLUDE_DIR cereal/cereal.hpp REQUIRED)
  hubreg_add_test(codec_test)
  # The codec is internal to persist; its tests reach into persist/src.
  target_include_directories(codec_test PRIVATE ${PROJECT_SOURCE_DIR}/persist/src
                             ${CEREAL_INCLUDE_DIR})
  target_link_libraries(codec_test PRIVATE hubreg::persist)
endif()
