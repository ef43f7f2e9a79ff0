# Warning and sanitizer flags as INTERFACE targets every dumpfmt target links;
# nothing is added to the global CMAKE_*_FLAGS. -Wnull-dereference is left
# out: at -O2 GCC 12 reports false positives on std::span element access,
# which would break -Werror builds.
add_library(dumpfmt_warnings INTERFACE)
target_compile_options(dumpfmt_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused -Woverloaded-virtual
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(DUMPFMT_WERROR)
  target_compile_options(dumpfmt_warnings INTERFACE -Werror)
endif()

add_library(dumpfmt_sanitize INTERFACE)
if(DUMPFMT_SANITIZE)
  string(REPLACE ";" "," _san "${DUMPFMT_SANITIZE}")
  target_compile_options(dumpfmt_sanitize INTERFACE -fsanitize=${_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(dumpfmt_sanitize INTERFACE -fsanitize=${_san})
endif()

add_library(dumpfmt_flags INTERFACE)
target_link_libraries(dumpfmt_flags INTERFACE dumpfmt_warnings dumpfmt_sanitize)
