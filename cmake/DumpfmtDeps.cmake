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
if(DUMPFMT_WITH_OPENMP)
  find_package(OpenMP REQUIRED COMPONENTS CXX)
endif()
find_package(Threads REQUIRED)

set(DUMPFMT_HAVE_LZO ${DUMPFMT_WITH_LZO})
set(DUMPFMT_HAVE_SNAPPY ${DUMPFMT_WITH_SNAPPY})
set(DUMPFMT_HAVE_ZSTD ${DUMPFMT_WITH_ZSTD})
set(DUMPFMT_HAVE_LZ4 ${DUMPFMT_WITH_LZ4})
set(DUMPFMT_HAVE_LIBDEFLATE ${DUMPFMT_WITH_LIBDEFLATE})
set(DUMPFMT_HAVE_OPENMP ${DUMPFMT_WITH_OPENMP})
