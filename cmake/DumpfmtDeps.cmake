# Third-party libraries, all from Debian's -dev packages. With
# DUMPFMT_STATIC_TOOLS the static archives (.a) are preferred.
find_package(PkgConfig REQUIRED)
if(DUMPFMT_STATIC_TOOLS)
  set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
endif()

# dumpfmt_find_lib(<name> <header> <libname>): imported target dumpfmt::<name>.
function(dumpfmt_find_lib name header lib)
  find_path(${name}_INCLUDE_DIR ${header} REQUIRED)
  find_library(${name}_LIBRARY NAMES ${lib} REQUIRED)
  add_library(dumpfmt::${name} UNKNOWN IMPORTED GLOBAL)
  set_target_properties(dumpfmt::${name} PROPERTIES
    IMPORTED_LOCATION "${${name}_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${${name}_INCLUDE_DIR}")
endfunction()

dumpfmt_find_lib(zlib zlib.h z)
if(DUMPFMT_WITH_LIBDEFLATE)
  dumpfmt_find_lib(libdeflate libdeflate.h deflate)
endif()
if(DUMPFMT_WITH_LZO)
  dumpfmt_find_lib(lzo lzo/lzo1x.h lzo2)
endif()
if(DUMPFMT_WITH_SNAPPY)
  dumpfmt_find_lib(snappy snappy-c.h snappy)
  # snappy is C++; a static link needs the C++ runtime, which we link anyway.
endif()
if(DUMPFMT_WITH_ZSTD)
  dumpfmt_find_lib(zstd zstd.h zstd)
endif()
if(DUMPFMT_WITH_LZ4)
  dumpfmt_find_lib(lz4 lz4.h lz4)
endif()
find_package(Threads REQUIRED)

set(DUMPFMT_HAVE_LZO ${DUMPFMT_WITH_LZO})
set(DUMPFMT_HAVE_SNAPPY ${DUMPFMT_WITH_SNAPPY})
set(DUMPFMT_HAVE_ZSTD ${DUMPFMT_WITH_ZSTD})
set(DUMPFMT_HAVE_LZ4 ${DUMPFMT_WITH_LZ4})
set(DUMPFMT_HAVE_LIBDEFLATE ${DUMPFMT_WITH_LIBDEFLATE})

# --- libbpf: kernel BTF for dumpscrub's erase rules (libdumpfmt/kernel/btf.cpp) ---
# Optional: without it Btf::built() is false and BTF-based rules report "not built".
# libbpf parses the BTF; libelf reads a vmlinux's .BTF section. Not used in fully
# static tool builds (libbpf.a and libelf.a drag in more archives than we track).
option(DUMPFMT_WITH_LIBBPF "Parse kernel BTF with libbpf (dumpscrub rules; Debian libbpf-dev)" ON)
set(DUMPFMT_HAVE_LIBBPF OFF)
if(DUMPFMT_WITH_LIBBPF AND NOT DUMPFMT_STATIC_TOOLS)
  find_path(libbpf_INCLUDE_DIR bpf/btf.h)
  find_library(libbpf_LIBRARY NAMES bpf)
  find_path(libelf_INCLUDE_DIR libelf.h)
  find_library(libelf_LIBRARY NAMES elf)
  if(libbpf_INCLUDE_DIR AND libbpf_LIBRARY AND libelf_INCLUDE_DIR AND libelf_LIBRARY)
    add_library(dumpfmt::libbpf UNKNOWN IMPORTED GLOBAL)
    set_target_properties(dumpfmt::libbpf PROPERTIES
      IMPORTED_LOCATION "${libbpf_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${libbpf_INCLUDE_DIR};${libelf_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "${libelf_LIBRARY}")
    set(DUMPFMT_HAVE_LIBBPF ON)
    # libdumpfmt's target exists only after add_subdirectory(libdumpfmt): link it at the
    # end of the top directory.
    function(_dumpfmt_link_libbpf)
      target_link_libraries(dumpfmt PRIVATE $<BUILD_INTERFACE:dumpfmt::libbpf>)
      target_link_libraries(dumpfmt INTERFACE $<BUILD_INTERFACE:dumpfmt::libbpf>
                                              "$<INSTALL_INTERFACE:${libbpf_LIBRARY};${libelf_LIBRARY}>")
      # PUBLIC: tests that build BTF with libbpf's writer check it.
      target_compile_definitions(dumpfmt PUBLIC DUMPFMT_HAVE_LIBBPF=1)
    endfunction()
    cmake_language(DEFER CALL _dumpfmt_link_libbpf)
  else()
    message(STATUS "libbpf-dev/libelf-dev not found: dumpscrub's BTF-based rules not built")
  endif()
endif()
