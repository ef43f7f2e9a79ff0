// PfnSet: chunked sparse bitmap (see pfn_set.h for the representation).
#include "dumpfmt/pfn_set.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace dumpfmt {

namespace {

constexpr uint64_t kAllOnes = ~uint64_t{0};

// Sets or clears bits [a, b) of a chunk bitmap; returns how many changed.
uint32_t apply_bits(uint64_t* w, uint64_t a, uint64_t b, bool set) {
  uint32_t changed = 0;
  while (a < b) {
    uint64_t wi = a / 64;
    uint64_t lo = a % 64;
    uint64_t hi = std::min<uint64_t>(64, lo + (b - a));
    uint64_t mask = (hi - lo == 64) ? kAllOnes : (((uint64_t{1} << (hi - lo)) - 1) << lo);
    if (set) {
      changed += static_cast<uint32_t>(__builtin_popcountll(mask & ~w[wi]));
      w[wi] |= mask;
    } else {
      changed += static_cast<uint32_t>(__builtin_popcountll(mask & w[wi]));
      w[wi] &= ~mask;
    }
    a += hi - lo;
  }
  return changed;
}

uint64_t popcount_words(const uint64_t* w, size_t from, size_t to) {
  uint64_t n = 0;
  for (size_t i = from; i < to; ++i) n += static_cast<uint64_t>(__builtin_popcountll(w[i]));
  return n;
}

}  // namespace

PfnSet::PfnSet(const PfnSet& o) { *this = o; }

PfnSet::Chunk PfnSet::copy_chunk(const Chunk& c) {
  Chunk n;
  n.index = c.index;
  n.count = c.count;
  if (c.bits) {
    n.bits = std::make_unique<uint64_t[]>(kChunkWords);
    std::memcpy(n.bits.get(), c.bits.get(), kChunkWords * 8);
  }
  return n;
}

PfnSet& PfnSet::operator=(const PfnSet& o) {
  if (this == &o) return *this;
  chunks_.clear();
  chunks_.reserve(o.chunks_.size());
  for (const auto& c : o.chunks_) chunks_.push_back(copy_chunk(c));
  return *this;
}

size_t PfnSet::find_chunk(uint64_t index) const {
  // Sets are mostly built in PFN order: adding to the last chunk or after it
  // needs no search (a reader's bitmap of a large machine adds runs one after
  // another, thousands per chunk).
  if (chunks_.empty() || chunks_.back().index < index) return chunks_.size();
  if (chunks_.back().index == index) return chunks_.size() - 1;
  auto it = std::lower_bound(chunks_.begin(), chunks_.end(), index,
                             [](const Chunk& c, uint64_t i) { return c.index < i; });
  return static_cast<size_t>(it - chunks_.begin());
}

PfnSet::Chunk& PfnSet::chunk_for_write(uint64_t index) {
  size_t pos = find_chunk(index);
  if (pos < chunks_.size() && chunks_[pos].index == index) return chunks_[pos];
  Chunk c;
  c.index = index;
  c.bits = std::make_unique<uint64_t[]>(kChunkWords);  // zero-initialised
  return *chunks_.insert(chunks_.begin() + static_cast<ptrdiff_t>(pos), std::move(c));
}

uint64_t PfnSet::popcount(const Chunk& c) { return c.bits ? c.count : kChunkPfns; }

void PfnSet::normalize(size_t pos) {
  Chunk& c = chunks_[pos];
  if (!c.bits) return;
  uint64_t n = c.count;
  if (n == 0) {
    chunks_.erase(chunks_.begin() + static_cast<ptrdiff_t>(pos));
  } else if (n == kChunkPfns) {
    c.bits.reset();
  }
}

void PfnSet::insert_range(Pfn first, Pfn end) {
  if (first < end && !chunks_.empty() && first >> kChunkShift < chunks_.back().index &&
      std::min<uint64_t>((end - 1) >> kChunkShift, chunks_.back().index) - (first >> kChunkShift) >=
          8) {
    // Many chunks below existing ones: inserting them one by one would shift
    // the tail for each (quadratic for an ELF whose segments run downwards).
    // Chunks past the last one are appends and stay on the loop below.
    PfnSet r;
    r.insert_range(first, end);
    add(r);
    return;
  }
  if (first < end && (chunks_.empty() || chunks_.back().index < first >> kChunkShift)) {
    // Appending a long range (a reader's whole-memory map): one allocation,
    // not a vector growing through every doubling. Capped: the loop below
    // still grows the vector beyond, for a caller that means it.
    size_t n = static_cast<size_t>(
        std::min<uint64_t>(((end - 1) >> kChunkShift) - (first >> kChunkShift) + 1, 1u << 20));
    if (chunks_.capacity() - chunks_.size() < n)
      chunks_.reserve(std::max(chunks_.size() + n, 2 * chunks_.size()));  // still geometric
  }
  while (first < end) {
    uint64_t index = first >> kChunkShift;
    Pfn base = index << kChunkShift;
    Pfn stop = std::min<Pfn>(end, base + kChunkPfns);
    if (first == base && stop == base + kChunkPfns) {
      size_t pos = find_chunk(index);
      if (pos < chunks_.size() && chunks_[pos].index == index) {
        chunks_[pos].bits.reset();
      } else {
        Chunk c;
        c.index = index;
        chunks_.insert(chunks_.begin() + static_cast<ptrdiff_t>(pos), std::move(c));
      }
    } else {
      size_t pos = find_chunk(index);
      bool exists = pos < chunks_.size() && chunks_[pos].index == index;
      if (!(exists && !chunks_[pos].bits)) {  // a full chunk already has them
        Chunk& c = chunk_for_write(index);
        c.count += apply_bits(c.bits.get(), first - base, stop - base, true);
        normalize(find_chunk(index));
      }
    }
    if (stop <= first) break;  // overflow guard at the top of the PFN space
    first = stop;
  }
}

void PfnSet::insert_word(Pfn base, uint64_t word) {
  if (word == 0) return;
  uint64_t index = base >> kChunkShift;
  size_t pos = find_chunk(index);
  if (pos < chunks_.size() && chunks_[pos].index == index && !chunks_[pos].bits) return;
  Chunk& c = chunk_for_write(index);
  uint64_t& w = c.bits[(base & (kChunkPfns - 1)) / 64];
  c.count += static_cast<uint32_t>(__builtin_popcountll(word & ~w));
  w |= word;
  if (c.count == kChunkPfns) normalize(find_chunk(index));
}

void PfnSet::erase_range(Pfn first, Pfn end) {
  while (first < end) {
    uint64_t index = first >> kChunkShift;
    Pfn base = index << kChunkShift;
    Pfn stop = std::min<Pfn>(end, base + kChunkPfns);
    size_t pos = find_chunk(index);
    if (pos < chunks_.size() && chunks_[pos].index == index) {
      Chunk& c = chunks_[pos];
      if (first == base && stop == base + kChunkPfns) {
        // Every chunk below end's chunk is wholly inside: one erase for all
        // of them, not a shift of the tail per chunk.
        const uint64_t end_index = end >> kChunkShift;
        chunks_.erase(chunks_.begin() + static_cast<ptrdiff_t>(pos),
                      chunks_.begin() + static_cast<ptrdiff_t>(find_chunk(end_index)));
        first = end_index << kChunkShift;
        continue;
      } else {
        if (!c.bits) {
          c.bits = std::make_unique<uint64_t[]>(kChunkWords);
          std::memset(c.bits.get(), 0xff, kChunkWords * 8);
          c.count = kChunkPfns;
        }
        c.count -= apply_bits(c.bits.get(), first - base, stop - base, false);
        normalize(pos);
      }
    } else if (pos >= chunks_.size()) {
      break;  // nothing at or beyond this chunk
    } else {
      // Skip straight to the next existing chunk.
      Pfn next_base = chunks_[pos].index << kChunkShift;
      if (next_base >= end) break;
      first = next_base;
      continue;
    }
    if (stop <= first) break;
    first = stop;
  }
}

bool PfnSet::contains(Pfn p) const {
  uint64_t index = p >> kChunkShift;
  size_t pos = find_chunk(index);
  if (pos >= chunks_.size() || chunks_[pos].index != index) return false;
  const Chunk& c = chunks_[pos];
  if (!c.bits) return true;
  uint64_t off = p & (kChunkPfns - 1);
  return (c.bits[off / 64] >> (off % 64)) & 1;
}

uint64_t PfnSet::count() const {
  uint64_t n = 0;
  for (const auto& c : chunks_) n += popcount(c);
  return n;
}

uint64_t PfnSet::count_range(Pfn first, Pfn end) const {
  if (first >= end) return 0;
  uint64_t n = 0;
  size_t pos = find_chunk(first >> kChunkShift);
  for (; pos < chunks_.size(); ++pos) {
    const Chunk& c = chunks_[pos];
    Pfn base = c.index << kChunkShift;
    if (base >= end) break;
    Pfn a = std::max(first, base) - base;
    Pfn b = std::min<Pfn>(end - base, kChunkPfns);
    if (a >= b) continue;
    if (!c.bits) {
      n += b - a;
      continue;
    }
    // Whole words in the middle, masked words at the ends.
    uint64_t wa = a / 64, wb = (b - 1) / 64;
    for (uint64_t wi = wa; wi <= wb; ++wi) {
      uint64_t w = c.bits[wi];
      uint64_t lo = (wi == wa) ? a % 64 : 0;
      uint64_t hi = (wi == wb) ? (b - 1) % 64 + 1 : 64;
      uint64_t mask = (hi - lo == 64) ? kAllOnes : (((uint64_t{1} << (hi - lo)) - 1) << lo);
      n += static_cast<uint64_t>(__builtin_popcountll(w & mask));
    }
  }
  return n;
}

Pfn PfnSet::end_bound() const {
  if (chunks_.empty()) return 0;
  const Chunk& c = chunks_.back();
  Pfn base = c.index << kChunkShift;
  if (!c.bits) return base + kChunkPfns;
  for (size_t wi = kChunkWords; wi-- > 0;) {
    if (c.bits[wi])
      return base + wi * 64 + (64 - static_cast<unsigned>(__builtin_clzll(c.bits[wi])));
  }
  return base;  // unreachable: empty chunks are removed
}

std::optional<Pfn> PfnSet::next(Pfn p) const {
  for (size_t pos = find_chunk(p >> kChunkShift); pos < chunks_.size(); ++pos) {
    const Chunk& c = chunks_[pos];
    Pfn base = c.index << kChunkShift;
    Pfn from = p > base ? p - base : 0;
    if (!c.bits) return base + from;
    for (uint64_t i = from; i < kChunkPfns;) {
      uint64_t w = c.bits[i / 64] >> (i % 64);
      if (w) return base + i + static_cast<uint64_t>(__builtin_ctzll(w));
      i = (i / 64 + 1) * 64;
    }
  }
  return std::nullopt;
}

std::optional<std::pair<Pfn, Pfn>> PfnSet::next_run(Pfn p) const {
  auto first = next(p);
  if (!first) return std::nullopt;
  // Extend from *first across set bits, full chunks and adjacent chunks.
  Pfn end = *first;
  for (size_t pos = find_chunk(end >> kChunkShift); pos < chunks_.size(); ++pos) {
    const Chunk& c = chunks_[pos];
    const Pfn base = c.index << kChunkShift;
    if (base > end) break;  // a missing chunk ends the run
    if (c.bits) {
      for (uint64_t i = end - base; i < kChunkPfns;) {
        uint64_t inv = ~c.bits[i / 64] >> (i % 64);
        if (inv) {
          i += static_cast<uint64_t>(__builtin_ctzll(inv));
          if (i < kChunkPfns) return std::make_pair(*first, base + i);
          break;
        }
        i = (i / 64 + 1) * 64;
      }
    }
    end = base + kChunkPfns;
  }
  return std::make_pair(*first, end);
}

PfnSet PfnSet::slice(Pfn first, Pfn end) const {
  PfnSet r;
  if (first >= end) return r;
  for (size_t pos = find_chunk(first >> kChunkShift);
       pos < chunks_.size() && chunks_[pos].index <= (end - 1) >> kChunkShift; ++pos) {
    r.chunks_.push_back(copy_chunk(chunks_[pos]));
  }
  // Only the first and last chunk can stick out of the window.
  r.erase_range(0, first);
  r.erase_range(end, ~Pfn{0});
  return r;
}

void PfnSet::add(const PfnSet& o) {
  if (&o == this) return;
  // A merge of the two sorted chunk lists. Inserting o's runs one at a time
  // would shift all of this set's later chunks for each new one: quadratic
  // for sets built out of order, such as the map of an ELF's segments.
  std::vector<Chunk> out;
  out.reserve(chunks_.size() + o.chunks_.size());
  size_t i = 0, j = 0;
  while (i < chunks_.size() || j < o.chunks_.size()) {
    if (j == o.chunks_.size() || (i < chunks_.size() && chunks_[i].index < o.chunks_[j].index)) {
      out.push_back(std::move(chunks_[i++]));
    } else if (i == chunks_.size() || o.chunks_[j].index < chunks_[i].index) {
      out.push_back(copy_chunk(o.chunks_[j++]));
    } else {
      Chunk c = std::move(chunks_[i++]);
      const Chunk& d = o.chunks_[j++];
      if (c.bits && !d.bits) {
        c.bits.reset();
      } else if (c.bits) {
        for (size_t k = 0; k < kChunkWords; ++k) c.bits[k] |= d.bits[k];
        c.count = static_cast<uint32_t>(popcount_words(c.bits.get(), 0, kChunkWords));
        if (c.count == kChunkPfns) c.bits.reset();
      }
      out.push_back(std::move(c));
    }
  }
  chunks_ = std::move(out);
}

void PfnSet::subtract(const PfnSet& o) {
  if (&o == this) return clear();
  // Chunk against chunk, like add(): erasing o's runs one at a time costs a
  // search each, and a fragmented set has a run every few PFNs.
  std::vector<Chunk> out;
  out.reserve(chunks_.size());
  size_t j = 0;
  for (Chunk& c : chunks_) {
    while (j < o.chunks_.size() && o.chunks_[j].index < c.index) ++j;
    if (j == o.chunks_.size() || o.chunks_[j].index != c.index) {
      out.push_back(std::move(c));
      continue;
    }
    const Chunk& d = o.chunks_[j];
    if (!d.bits) continue;  // o has all of it
    if (!c.bits) {
      c.bits = std::make_unique<uint64_t[]>(kChunkWords);
      for (size_t k = 0; k < kChunkWords; ++k) c.bits[k] = ~d.bits[k];
    } else {
      for (size_t k = 0; k < kChunkWords; ++k) c.bits[k] &= ~d.bits[k];
    }
    c.count = static_cast<uint32_t>(popcount_words(c.bits.get(), 0, kChunkWords));
    if (c.count != 0) out.push_back(std::move(c));
  }
  chunks_ = std::move(out);
}

void PfnSet::intersect(const PfnSet& o) {
  PfnSet result;
  for (const auto& c : chunks_) {
    size_t pos = o.find_chunk(c.index);
    if (pos >= o.chunks_.size() || o.chunks_[pos].index != c.index) continue;
    const Chunk& d = o.chunks_[pos];
    Chunk n;
    n.index = c.index;
    if (c.bits || d.bits) {
      n.bits = std::make_unique<uint64_t[]>(kChunkWords);
      for (size_t i = 0; i < kChunkWords; ++i) {
        uint64_t a = c.bits ? c.bits[i] : kAllOnes;
        uint64_t b = d.bits ? d.bits[i] : kAllOnes;
        n.bits[i] = a & b;
      }
      n.count = static_cast<uint32_t>(popcount_words(n.bits.get(), 0, kChunkWords));
    }
    result.chunks_.push_back(std::move(n));
    result.normalize(result.chunks_.size() - 1);
  }
  *this = std::move(result);
}

void PfnSet::export_bitmap(Pfn first, std::span<uint8_t> out) const {
  std::memset(out.data(), 0, out.size());
  Pfn end = first + out.size() * 8;
  for (size_t pos = find_chunk(first >> kChunkShift); pos < chunks_.size(); ++pos) {
    const Chunk& c = chunks_[pos];
    Pfn base = c.index << kChunkShift;
    if (base >= end) break;
    Pfn a = std::max(first, base), b = std::min(end, base + kChunkPfns);
    if (!c.bits) {
      for (Pfn p = a; p < b;) {
        // Fill whole bytes fast when aligned.
        if ((p - first) % 8 == 0 && b - p >= 8) {
          size_t nbytes = static_cast<size_t>((b - p) / 8);
          std::memset(out.data() + (p - first) / 8, 0xff, nbytes);
          p += nbytes * 8;
        } else {
          out[(p - first) / 8] |= static_cast<uint8_t>(1u << ((p - first) % 8));
          ++p;
        }
      }
      continue;
    }
    // Chunk bases are multiples of 32768 and `first` a multiple of 8, so
    // chunk-relative byte positions map 1:1 onto output bytes (little-endian words).
    const auto* bytes = reinterpret_cast<const uint8_t*>(c.bits.get());
    static_assert(std::endian::native == std::endian::little, "bitmap export assumes LE host");
    size_t src = static_cast<size_t>((a - base) / 8);
    size_t dst = static_cast<size_t>((a - first) / 8);
    size_t n = static_cast<size_t>((b - a) / 8);
    std::memcpy(out.data() + dst, bytes + src, n);
  }
}

bool PfnSet::operator==(const PfnSet& o) const {
  if (chunks_.size() != o.chunks_.size()) return false;
  for (size_t i = 0; i < chunks_.size(); ++i) {
    const Chunk& a = chunks_[i];
    const Chunk& b = o.chunks_[i];
    if (a.index != b.index || !a.bits != !b.bits) return false;
    if (a.bits && std::memcmp(a.bits.get(), b.bits.get(), kChunkWords * 8) != 0) return false;
  }
  return true;
}

size_t PfnSet::memory_bytes() const {
  size_t n = chunks_.capacity() * sizeof(Chunk);
  for (const auto& c : chunks_) {
    if (c.bits) n += kChunkWords * 8;
  }
  return n;
}

}  // namespace dumpfmt
