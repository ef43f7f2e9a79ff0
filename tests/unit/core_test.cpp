// Core helpers: byte order, ByteReader bounds, ELF note areas, VMCOREINFO lookup, arch tables.
#include <gtest/gtest.h>

#include "dumpfmt/bytes.h"
#include "dumpfmt/dump.h"
#include "dumpfmt/vmcoreinfo.h"

using namespace dumpfmt;

TEST(Bytes, LoadStoreBothOrders) {
  std::byte b[8];
  store<uint32_t>(b, 0x11223344u, Endian::big);
  EXPECT_EQ(static_cast<uint8_t>(b[0]), 0x11);
  EXPECT_EQ(load<uint32_t>(b, Endian::big), 0x11223344u);
  EXPECT_EQ(load<uint32_t>(b, Endian::little), 0x44332211u);
  store<uint64_t>(b, 0x0102030405060708ull, Endian::little);
  EXPECT_EQ(static_cast<uint8_t>(b[0]), 0x08);
}

TEST(Bytes, ByteReaderRefusesOutOfBounds) {
  std::vector<std::byte> d(6);
  ByteReader r(d, Endian::little, 0x1000);
  EXPECT_TRUE(r.read<uint32_t>().has_value());
  auto bad = r.read<uint32_t>();
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Errc::truncated);
  EXPECT_NE(bad.error().message.find("0x1004"), std::string::npos) << bad.error().message;
  EXPECT_FALSE(r.bytes(SIZE_MAX).has_value());
  EXPECT_FALSE(r.peek<uint64_t>(SIZE_MAX - 2).has_value());
}

TEST(Bytes, IsZero) {
  std::vector<std::byte> p(4096);
  EXPECT_TRUE(is_zero(p));
  for (size_t at : {size_t{0}, size_t{63}, size_t{64}, size_t{4095}}) {
    p[at] = std::byte{1};
    EXPECT_FALSE(is_zero(p)) << at;
    p[at] = std::byte{0};
  }
  std::vector<std::byte> odd(70);
  odd[69] = std::byte{1};
  EXPECT_FALSE(is_zero(odd));
}

TEST(Notes, RoundTripAndTerminator) {
  std::vector<Note> notes(3);
  notes[0].name = "CORE";
  notes[0].type = kNtPrstatus;
  notes[0].desc.assign(336, std::byte{7});
  notes[1].name = "VMCOREINFO";
  std::string vi = "OSRELEASE=6.1.0\nPAGESIZE=4096\n";
  for (char c : vi) notes[1].desc.push_back(static_cast<std::byte>(c));
  notes[2].name = "QEMU";
  notes[2].desc.assign(5, std::byte{1});  // unaligned desc size
  for (Endian e : {Endian::little, Endian::big}) {
    auto area = serialize_notes(notes, e);
    EXPECT_EQ(area.size() % 4, 0u);
    area.resize(area.size() + 12);  // the kernel's empty terminator note
    auto back = parse_notes(area, e, 0, "t");
    ASSERT_TRUE(back.has_value()) << back.error().message;
    ASSERT_EQ(back->size(), 3u);
    EXPECT_EQ((*back)[0].name, "CORE");
    EXPECT_EQ((*back)[0].desc, notes[0].desc);
    EXPECT_EQ((*back)[2].desc, notes[2].desc);
    EXPECT_EQ(find_vmcoreinfo(*back), vi);
  }
}

TEST(Notes, OverlongNoteIsCorruptWithOffset) {
  std::vector<std::byte> area(24);
  store<uint32_t>(area.data(), 5, Endian::little);
  store<uint32_t>(area.data() + 4, 0xffffff00u, Endian::little);
  auto r = parse_notes(area, Endian::little, 0x2000, "vmcore");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::corrupt);
  EXPECT_NE(r.error().message.find("vmcore: offset 0x2000"), std::string::npos)
      << r.error().message;
}

TEST(Vmcoreinfo, ValueLookupIsExactKey) {
  std::string t =
      "OSRELEASE=6.1.0-56-cloud-amd64\nSYMBOL(init_uts_ns)=ffffffff9a012340\n"
      "SYMBOL(init_uts_ns_x)=1\nCRASHTIME=1700000000";
  EXPECT_EQ(VmcoreinfoText::parse(t).value("OSRELEASE"), "6.1.0-56-cloud-amd64");
  EXPECT_EQ(VmcoreinfoText::parse(t).value("SYMBOL(init_uts_ns)"), "ffffffff9a012340");
  EXPECT_EQ(VmcoreinfoText::parse(t).value("CRASHTIME"), "1700000000");
  EXPECT_FALSE(VmcoreinfoText::parse(t).value("OSREL").has_value());
  EXPECT_FALSE(VmcoreinfoText::parse(t).value("PAGESIZE").has_value());
}

TEST(Arch, Tables) {
  EXPECT_EQ(arch_from_uts_machine("aarch64"), Arch::arm64);
  EXPECT_EQ(arch_from_uts_machine("i686"), Arch::x86);
  EXPECT_EQ(arch_from_uts_machine(""), Arch::unknown);
  EXPECT_EQ(arch_from_elf_machine(62, true), Arch::x86_64);
  EXPECT_EQ(arch_from_elf_machine(22, true), Arch::s390x);
  EXPECT_EQ(arch_from_elf_machine(3, true), Arch::x86);  // QEMU's ELF64 i386 upgrade
  EXPECT_EQ(elf_machine_of(Arch::arm64), 183);
  EXPECT_EQ(uts_machine_of(Arch::x86_64), "x86_64");
  EXPECT_FALSE(arch_is_64bit(Arch::x86));
}
