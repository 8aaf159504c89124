# Run by cpack (CPACK_PRE_BUILD_SCRIPTS) on the staged files: CPACK_STRIP_FILES
# strips executables and shared libraries only, so the static libraries lose
# their debugging information here, as Debian's own -dev packages do.
file(GLOB_RECURSE archives "${CPACK_TEMPORARY_DIRECTORY}/*.a")
foreach(archive IN LISTS archives)
  execute_process(COMMAND ${CPACK_HUBREG_STRIP} --strip-debug ${archive} RESULT_VARIABLE failed)
  if(failed)
    message(FATAL_ERROR "${CPACK_HUBREG_STRIP} --strip-debug ${archive} failed")
  endif()
endforeach()
