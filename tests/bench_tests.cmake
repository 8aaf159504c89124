# Tests of the benchmark side: the shared synthetic-registry generator.
hubreg_add_test(generator_test)
target_link_libraries(generator_test PRIVATE hubreg::generator)

# With -DHUBREG_BUILD_BENCH=ON: one short pass of size S over every engine,
# so a broken baseline shows up in ctest (a few seconds; follow/ starts three
# private PostgreSQL servers, about 15 s more).
if(TARGET hubreg_bench)
  add_test(NAME bench_smoke COMMAND hubreg_bench --sizes=S --benchmark_min_time=0.001
    --benchmark_filter=^lookup/user_by_id|^lookup/resolve|^memory/S|^sync/|^follow/|^wake/latency|^oneshot/|^codec/|^compaction/)
  set_tests_properties(bench_smoke PROPERTIES LABELS bench TIMEOUT 300)
endif()
