# Tests of the cereal codec and of standalone snapshot files (persist/).
if(TARGET hubreg::persist)
  find_path(CEREAL_INCLUDE_DIR cereal/cereal.hpp REQUIRED)
  set(_hubreg_snapshot_tests codec_test snapshot_file_test)
  # Restoring needs the LMDB store; until its sources define these, the
  # restore test would not link.
  file(GLOB _hubreg_persist_sources ${PROJECT_SOURCE_DIR}/persist/src/*.cpp)
  set(_hubreg_have_store ON)
  foreach(_call "Store::Open\\(" "Status CreateStoreWithSnapshot\\(")
    set(_defined OFF)
    foreach(_source IN LISTS _hubreg_persist_sources)
      file(STRINGS ${_source} _hits REGEX "${_call}")
      if(_hits)
        set(_defined ON)
      endif()
    endforeach()
    if(NOT _defined)
      set(_hubreg_have_store OFF)
    endif()
  endforeach()
  if(_hubreg_have_store)
    list(APPEND _hubreg_snapshot_tests snapshot_restore_test)
  endif()
  # The codec and file format are internal to persist; their tests reach into
  # persist/src.
  foreach(test IN LISTS _hubreg_snapshot_tests)
    hubreg_add_test(${test})
    target_include_directories(${test} PRIVATE ${PROJECT_SOURCE_DIR}/persist/src
                               ${CEREAL_INCLUDE_DIR})
    target_link_libraries(${test} PRIVATE hubreg::persist)
    target_compile_definitions(${test} PRIVATE
                               HUBREG_TEST_DATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/data")
  endforeach()
endif()
