# Compiler settings for hubreg's own targets. Nothing here touches global flags,
# so a project that embeds hubreg keeps its own, and nothing here reaches an
# installed target: warnings, -Werror and sanitizers are hubreg's business.
function(hubreg_target_options target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic>
    $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wpedantic>)
  # GCC 12 at -O3 reports -Wrestrict inside libstdc++ for plain string
  # concatenation ("x" + std::string), a known false positive (GCC bug 105329,
  # fixed in GCC 13); Debian 12's compiler is GCC 12.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wno-restrict>)
    # With a precompiled header, the same compiler at -O1 and above also
    # reports -Warray-bounds, -Wstringop-overflow and -Wstringop-overread inside
    # libstdc++ for concatenated temporary strings (the short-string buffer
    # "overflowed") in files that compile cleanly without one; rewriting one
    # such line moved the report to the next string. Off in those builds only:
    # the clang fuzz build keeps its own checks, and AddressSanitizer checks
    # bounds at run time.
    if(HUBREG_PRECOMPILE_HEADERS)
      target_compile_options(${target} PRIVATE
        $<$<COMPILE_LANGUAGE:CXX>:-Wno-array-bounds -Wno-stringop-overflow -Wno-stringop-overread>)
    endif()
  endif()
  if(HUBREG_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(HUBREG_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${HUBREG_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    # Whatever links an instrumented static library in this build needs the
    # runtime too; an installed hubreg asks nothing of its users (the export
    # drops BUILD_INTERFACE), so a sanitized install is linked by a consumer
    # that chooses the same sanitizers.
    target_link_options(${target} PUBLIC $<BUILD_INTERFACE:-fsanitize=${HUBREG_SANITIZE}>)
  endif()
endfunction()

# Precompiles, for `target`, the standard headers every library uses and the
# headers given (as <...>, found through the target's include directories),
# when HUBREG_PRECOMPILE_HEADERS is on (GCC). The core's public headers
# instantiate Boost.MultiIndex: parsed again in every file, they cost seconds
# each, and compiling is most of what CI spends.
function(hubreg_precompile_headers target)
  if(HUBREG_PRECOMPILE_HEADERS)
    target_precompile_headers(${target} PRIVATE <algorithm> <optional> <string> <string_view>
                              <utility> <vector> ${ARGN})
  endif()
endfunction()
