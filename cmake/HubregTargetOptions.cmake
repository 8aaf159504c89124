# Compiler settings for hubreg's own targets. Nothing here touches global flags,
# so a project that embeds hubreg keeps its own.
function(hubreg_target_options target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic>
    $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wpedantic>)
  if(HUBREG_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(HUBREG_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${HUBREG_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(${target} PUBLIC -fsanitize=${HUBREG_SANITIZE})
  endif()
endfunction()
