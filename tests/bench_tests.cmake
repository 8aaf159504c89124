# Tests of the benchmark side: the shared synthetic-registry generator.
if(TARGET hubreg::generator)
  hubreg_add_test(generator_test)
  target_link_libraries(generator_test PRIVATE hubreg::generator)
endif()
