// enum_lookup()/enum_name() and the tables built on them: every enumerator
// of the library's public enums keeps its value (the check -Wswitch made
// before the switches became tables).
#include "dumpfmt/enum_names.h"

#include <gtest/gtest.h>

#include "dumpfmt/compressed_file.h"
#include "dumpfmt/kernel/kallsyms.h"
#include "dumpfmt/kernel/kernel_memory.h"
#include "dumpfmt/kernel/page_classes.h"
#include "dumpfmt/kernel/printk.h"

namespace dumpfmt {
namespace {

enum class Colour { red = 3, green = 1, blue = 7 };
constexpr EnumName<Colour> kColours[] = {{Colour::green, "green"}, {Colour::red, "red"}};

TEST(EnumName, FindsRowsByValueNotPosition) {
  EXPECT_EQ(enum_name(Colour::red, kColours), "red");
  EXPECT_EQ(enum_name(Colour::green, kColours), "green");
  static_assert(enum_name(Colour::red, kColours) == "red");
}

TEST(EnumName, UnlistedValueGetsTheFallback) {
  EXPECT_EQ(enum_name(Colour::blue, kColours), "?");
  EXPECT_EQ(enum_name(static_cast<Colour>(42), kColours, "none"), "none");
}

TEST(EnumName, LibraryTablesNameEveryEnumerator) {
  EXPECT_EQ(kallsyms_encoding_name(KallsymsEncoding::absolute_percpu), "absolute-percpu");
  EXPECT_EQ(kallsyms_encoding_name(KallsymsEncoding::relative), "relative");
  EXPECT_EQ(kallsyms_encoding_name(KallsymsEncoding::inferred_base), "inferred-base");
  EXPECT_EQ(memory_model_name(MemoryModel::flatmem), "FLATMEM");
  EXPECT_EQ(memory_model_name(MemoryModel::sparsemem), "SPARSEMEM");
  EXPECT_EQ(memory_model_name(MemoryModel::sparsemem_extreme), "SPARSEMEM_EXTREME");
  EXPECT_EQ(memory_model_name(MemoryModel::vmemmap), "SPARSEMEM_VMEMMAP");
  EXPECT_EQ(printk_layout_name(PrintkLayout::lockless), "lockless");
  EXPECT_EQ(printk_layout_name(PrintkLayout::records), "records");
  EXPECT_EQ(printk_layout_name(PrintkLayout::plain), "plain");
  EXPECT_EQ(whole_file_compression_name(WholeFileCompression::none), "none");
  EXPECT_EQ(whole_file_compression_name(WholeFileCompression::gzip), "gzip");
  EXPECT_EQ(whole_file_compression_name(WholeFileCompression::zstd), "zstd");
  EXPECT_EQ(whole_file_compression_name(WholeFileCompression::lz4), "lz4");
}

TEST(EnumLookup, DumpLevelBitOfEveryPageClass) {
  EXPECT_EQ(dump_level_bit(PageClass::kernel), 0u);
  EXPECT_EQ(dump_level_bit(PageClass::zero), kDumpLevelZero);
  EXPECT_EQ(dump_level_bit(PageClass::cache), kDumpLevelCache);
  EXPECT_EQ(dump_level_bit(PageClass::cache_private), kDumpLevelCachePrivate);
  EXPECT_EQ(dump_level_bit(PageClass::user), kDumpLevelUser);
  EXPECT_EQ(dump_level_bit(PageClass::free), kDumpLevelFree);
  EXPECT_EQ(dump_level_bit(PageClass::hwpoison), 0u);
  EXPECT_EQ(dump_level_bit(PageClass::offline), 0u);
}

}  // namespace
}  // namespace dumpfmt
