// Shared by the kernel-structure fuzz targets (printk, kallsyms) and their seed writer: one
// input carries a byte order, a VMCOREINFO text and a kernel memory image at a virtual address,
// read through InputMemory (a KernelReader).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "dumpfmt/bytes.h"
#include "dumpfmt/kernel/kernel_reader.h"
#include "dumpfmt/result.h"

namespace dumpfmt::fuzz {

// Input layout:
//   [0]      flags: bit 0 big-endian, bit 1 32-bit kernel (4-byte unsigned long)
//   [1..8]   base: kernel virtual address of the image (u64, little-endian)
//   [9..]    VMCOREINFO text, up to the first NUL byte
//   [...]    the memory image at base
// Memory past the image reads as zeros up to the next `align` boundary (a dump holds whole
// pages); every other address fails with no_data. fuzz_printk pads to 4 KiB pages; fuzz_kallsyms
// to 256 KiB, as its names reader reads in 256 KiB-aligned chunks (the kernel image is mapped
// in large pages) and a table near the image's end must still be readable.
constexpr uint64_t kPageAlign = 4 << 10;
constexpr uint64_t kKallsymsAlign = 256 << 10;
constexpr size_t kKernelInputHeader = 9;

struct KernelInput {
  Endian endian = Endian::little;
  uint32_t word_size = 8;
  uint64_t base = 0;
  std::string_view vmcoreinfo;
  std::span<const std::byte> image;
  uint64_t window = 0;  // readable bytes from base (the image, then zeros)

  static std::optional<KernelInput> parse(const uint8_t* data, size_t size, uint64_t align) {
    if (size < kKernelInputHeader) return std::nullopt;
    KernelInput in;
    in.endian = (data[0] & 1) ? Endian::big : Endian::little;
    in.word_size = (data[0] & 2) ? 4 : 8;
    in.base = load<uint64_t>(reinterpret_cast<const std::byte*>(data + 1), Endian::little);
    const char* text = reinterpret_cast<const char*>(data + kKernelInputHeader);
    const size_t rest = size - kKernelInputHeader;
    const void* nul = std::memchr(text, 0, rest);
    if (!nul) return std::nullopt;
    const size_t text_len = static_cast<size_t>(static_cast<const char*>(nul) - text);
    in.vmcoreinfo = std::string_view(text, text_len);
    const auto* img = reinterpret_cast<const std::byte*>(text + text_len + 1);
    // An image that would run past the top of the address space is cut there.
    const uint64_t room = ~uint64_t{0} - in.base;
    in.image = std::span(img, static_cast<size_t>(std::min<uint64_t>(rest - text_len - 1, room)));
    const uint64_t end = in.base + in.image.size();
    // Modulo 2^64: an end rounded up to 2^64 gives the window up to the top.
    const uint64_t end_up = end % align ? end + (align - end % align) : end;
    in.window = end_up - in.base;
    return in;
  }

  Status read(uint64_t vaddr, std::span<std::byte> out) const {
    const uint64_t off = vaddr - base;  // addresses below base wrap to >= window
    if (off >= window || out.size() > window - off) {
      return make_error(Errc::no_data, "fuzz memory: " + hex(vaddr) + " (+" +
                                           std::to_string(out.size()) + ") not in the image");
    }
    if (out.empty()) return ok();  // a zero-sized struct: its data() may be null
    const size_t have = off < image.size() ? std::min(image.size() - off, out.size()) : 0;
    if (have) std::memcpy(out.data(), image.data() + off, have);
    std::memset(out.data() + have, 0, out.size() - have);
    return ok();
  }

  /// The bytes a parser can have read from this memory at most.
  uint64_t readable() const { return window; }
};

/// An input's memory as the kernel model reads it (virtual addresses only).
class InputMemory final : public KernelReader {
 public:
  explicit InputMemory(const KernelInput& in) : in_(in) {}
  Endian endian() const override { return in_.endian; }
  uint32_t page_size() const override { return kPageAlign; }
  uint32_t word_size() const override { return in_.word_size; }
  Status read_virt(uint64_t vaddr, std::span<std::byte> out) const override {
    return in_.read(vaddr, out);
  }
  Status read_phys(uint64_t, std::span<std::byte>) const override { return no_phys(); }
  Result<uint64_t> vtop(uint64_t) const override { return no_phys(); }

 private:
  static Error no_phys() {
    return make_error(Errc::unsupported, "fuzz memory has no physical addresses");
  }
  const KernelInput& in_;
};

/// Writes an input in the layout above (the seed writer's half of the format).
inline std::string encode_kernel_input(Endian e, uint32_t word_size, uint64_t base,
                                       std::string_view vmcoreinfo,
                                       std::span<const std::byte> image) {
  std::string out(kKernelInputHeader, '\0');
  out[0] = static_cast<char>((e == Endian::big ? 1 : 0) | (word_size == 4 ? 2 : 0));
  store(reinterpret_cast<std::byte*>(out.data() + 1), base, Endian::little);
  out.append(vmcoreinfo);
  out += '\0';
  out.append(reinterpret_cast<const char*>(image.data()), image.size());
  return out;
}

}  // namespace dumpfmt::fuzz
