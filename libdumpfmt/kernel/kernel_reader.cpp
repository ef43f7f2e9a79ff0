// KernelReader's typed reads, built once on read_virt() for every
// implementation.
#include "dumpfmt/kernel/kernel_reader.h"

#include <algorithm>

namespace dumpfmt {

namespace {
template <class T>
Result<T> read_int(const KernelReader& mem, uint64_t vaddr) {
  std::byte b[sizeof(T)];
  DUMPFMT_TRY(mem.read_virt(vaddr, b));
  return load<T>(b, mem.endian());
}
}  // namespace

Result<uint8_t> KernelReader::read_u8(uint64_t vaddr) const {
  return read_int<uint8_t>(*this, vaddr);
}
Result<uint16_t> KernelReader::read_u16(uint64_t vaddr) const {
  return read_int<uint16_t>(*this, vaddr);
}
Result<uint32_t> KernelReader::read_u32(uint64_t vaddr) const {
  return read_int<uint32_t>(*this, vaddr);
}
Result<uint64_t> KernelReader::read_u64(uint64_t vaddr) const {
  return read_int<uint64_t>(*this, vaddr);
}
Result<uint64_t> KernelReader::read_ulong(uint64_t vaddr) const {
  if (word_size() == 4) {
    DUMPFMT_TRY_ASSIGN(uint32_t v, read_u32(vaddr));
    return uint64_t{v};
  }
  return read_u64(vaddr);
}

Result<std::string> KernelReader::read_cstring(uint64_t vaddr, size_t max_len) const {
  std::string s;
  const uint32_t ps = page_size();
  while (s.size() < max_len) {
    uint64_t v = vaddr + s.size();
    size_t n = std::min<size_t>(max_len - s.size(), ps - v % ps);
    std::string buf(n, '\0');
    DUMPFMT_TRY(read_virt(v, std::span<std::byte>(reinterpret_cast<std::byte*>(buf.data()), n)));
    size_t nul = buf.find('\0');
    if (nul != std::string::npos) return s.append(buf, 0, nul);
    s += buf;
  }
  return s;
}

}  // namespace dumpfmt
