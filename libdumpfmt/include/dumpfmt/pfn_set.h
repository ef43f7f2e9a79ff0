// PfnSet: a sparse set of page frame numbers. Chunks of 32768 PFNs are either
// absent, full (no bitmap) or a 4 KiB bitmap, so a terabyte of contiguous RAM
// costs a few hundred bytes and a fragmented -d 31 set stays below one bit per
// page of the address space actually described.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace dumpfmt {

using Pfn = uint64_t;

class PfnSet {
 public:
  static constexpr unsigned kChunkShift = 15;
  static constexpr uint64_t kChunkPfns = uint64_t{1} << kChunkShift;
  static constexpr size_t kChunkWords = kChunkPfns / 64;

  PfnSet() = default;
  PfnSet(const PfnSet& o);
  PfnSet& operator=(const PfnSet& o);
  PfnSet(PfnSet&&) noexcept = default;
  PfnSet& operator=(PfnSet&&) noexcept = default;

  void insert(Pfn p) { insert_range(p, p + 1); }
  /// Inserts [first, end).
  void insert_range(Pfn first, Pfn end);
  /// Adds PFN base+i for each set bit i of `word`; base is a multiple of 64.
  /// Building a set from a bitmap this way costs O(1) per word when the words
  /// come in ascending order, however many runs they hold.
  void insert_word(Pfn base, uint64_t word);
  void erase(Pfn p) { erase_range(p, p + 1); }
  /// Erases [first, end).
  void erase_range(Pfn first, Pfn end);
  void clear() { chunks_.clear(); }

  bool contains(Pfn p) const;
  bool empty() const { return chunks_.empty(); }
  uint64_t count() const;
  /// Number of members in [first, end).
  uint64_t count_range(Pfn first, Pfn end) const;
  /// One past the highest member (0 when empty).
  Pfn end_bound() const;
  /// Smallest member >= p.
  std::optional<Pfn> next(Pfn p) const;
  /// The first maximal run of members [first, end) with end > p, clipped to
  /// start at p: a cursor over the runs that needs no list of them (a
  /// fragmented set of a large machine has tens of millions).
  std::optional<std::pair<Pfn, Pfn>> next_run(Pfn p) const;

  /// Calls f(first, end) for each maximal run of consecutive members, in order.
  template <class F>
  void for_each_run(F&& f) const {
    Pfn run_start = 0, run_end = 0;
    bool open = false;
    auto emit = [&](Pfn a, Pfn b) {
      if (open && a == run_end) {
        run_end = b;
      } else {
        if (open) f(run_start, run_end);
        run_start = a;
        run_end = b;
        open = true;
      }
    };
    for (const auto& c : chunks_) {
      Pfn base = c.index << kChunkShift;
      if (!c.bits) {
        emit(base, base + kChunkPfns);
        continue;
      }
      for_each_run_in_bits(c.bits.get(), base, emit);
    }
    if (open) f(run_start, run_end);
  }

  /// Hands out the members in order as pieces of consecutive PFNs, each at
  /// most `max` long and within one run. Members erased behind the cursor do
  /// not disturb it.
  class Cursor {
   public:
    explicit Cursor(const PfnSet& s) : set_(s) {}
    std::optional<std::pair<Pfn, Pfn>> next(uint64_t max) {
      if (at_ == end_) {
        std::optional<std::pair<Pfn, Pfn>> r;
        if (!done_) r = set_.next_run(end_);
        if (!r) {
          done_ = true;
          return std::nullopt;
        }
        at_ = r->first;
        end_ = r->second;
      }
      const Pfn a = at_;
      at_ = end_ - at_ > max ? at_ + max : end_;
      return std::make_pair(a, at_);
    }

   private:
    const PfnSet& set_;
    Pfn at_ = 0, end_ = 0;  // what is left of the current run
    bool done_ = false;
  };

  /// The members in [first, end), as a set of its own (a window of a large
  /// set, at a cost in proportion to the window).
  PfnSet slice(Pfn first, Pfn end) const;

  /// Set union / difference / intersection in place.
  void add(const PfnSet& o);
  void subtract(const PfnSet& o);
  void intersect(const PfnSet& o);

  /// Writes the membership of PFNs [first, first + 8*out.size()) as an
  /// LSB-first bitmap (kdump's bit order). `first` must be a multiple of 8.
  void export_bitmap(Pfn first, std::span<uint8_t> out) const;

  bool operator==(const PfnSet& o) const;

  /// Bytes of heap used (for memory budgeting and tests).
  size_t memory_bytes() const;

 private:
  struct Chunk {
    uint64_t index = 0;                // PFN >> kChunkShift
    std::unique_ptr<uint64_t[]> bits;  // null = full chunk
    uint32_t count = 0;                // members, kept up to date so normalising is O(1)
  };
  template <class Emit>
  static void for_each_run_in_bits(const uint64_t* w, Pfn base, Emit& emit) {
    size_t i = 0;
    while (i < kChunkPfns) {
      size_t wi = i / 64;
      uint64_t word = w[wi] >> (i % 64);
      if (word == 0) {
        i = (wi + 1) * 64;
        continue;
      }
      i += static_cast<size_t>(__builtin_ctzll(word));
      size_t start = i;
      // extend over set bits
      while (i < kChunkPfns) {
        size_t wj = i / 64;
        uint64_t inv = ~w[wj] >> (i % 64);
        if (inv == 0) {
          i = (wj + 1) * 64;
          continue;
        }
        i += static_cast<size_t>(__builtin_ctzll(inv));
        break;
      }
      if (i > kChunkPfns) i = kChunkPfns;
      emit(base + start, base + i);
    }
  }
  static Chunk copy_chunk(const Chunk& c);
  size_t find_chunk(uint64_t index) const;  // lower_bound position
  Chunk& chunk_for_write(uint64_t index);
  static uint64_t popcount(const Chunk& c);
  void normalize(size_t pos);  // full bitmap -> full chunk; empty -> removed

  std::vector<Chunk> chunks_;  // sorted by index
};

}  // namespace dumpfmt
