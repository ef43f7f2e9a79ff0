// TTY and console buffers: the text users typed and programs printed, as the
// kernel still holds it (drivers/tty/tty_buffer.c flip buffers, n_tty.c
// read/echo rings, tty_io.c write_buf, serial_core.c transmit rings, vt.c
// screen buffers).
#include <set>

#include "dumpfmt/bytes.h"
#include "dumpfmt_filters/scrub.h"

namespace dumpfmt::filters {

namespace {

constexpr uint32_t kMaxTtysPerDriver = 1u << 16;
constexpr uint64_t kMaxDrivers = 4096;
constexpr uint64_t kMaxBuffers = 1u << 16;  // flip buffers per port
constexpr int64_t kMaxFlipSize = 1 << 20;   // tty_buffer.size
constexpr int64_t kMaxWriteBuf = 1 << 20;   // tty.write_cnt
constexpr uint64_t kMaxNrConsoles = 63;     // MAX_NR_CONSOLES
constexpr uint64_t kMaxScreenBuf = 64u << 20;
constexpr int kNTty = 0;  // N_TTY

struct TtyLayout {
  uint64_t port, ldisc, disc_data, write_buf, write_cnt, link, ops, driver_data, name;
  uint64_t port_buf, bh_head, bh_sentinel, bh_free;
  uint64_t tb_next, tb_free, tb_size, tb_data;
  uint64_t ld_ops, ldops_num;
  uint64_t read_buf, read_buf_size, echo_buf, echo_buf_size;
  uint64_t us_size, us_xmit_buf;
};

Result<TtyLayout> tty_layout(const ScrubKernel& k) {
  TtyLayout l{};
  DUMPFMT_TRY_ASSIGN(l.port, k.offset("tty_struct", "port"));
  DUMPFMT_TRY_ASSIGN(l.ldisc, k.offset("tty_struct", "ldisc"));
  DUMPFMT_TRY_ASSIGN(l.disc_data, k.offset("tty_struct", "disc_data"));
  DUMPFMT_TRY_ASSIGN(l.write_buf, k.offset("tty_struct", "write_buf"));
  DUMPFMT_TRY_ASSIGN(l.write_cnt, k.offset("tty_struct", "write_cnt"));
  DUMPFMT_TRY_ASSIGN(l.link, k.offset("tty_struct", "link"));
  DUMPFMT_TRY_ASSIGN(l.ops, k.offset("tty_struct", "ops"));
  DUMPFMT_TRY_ASSIGN(l.driver_data, k.offset("tty_struct", "driver_data"));
  DUMPFMT_TRY_ASSIGN(l.name, k.offset("tty_struct", "name"));
  DUMPFMT_TRY_ASSIGN(l.port_buf, k.offset("tty_port", "buf"));
  DUMPFMT_TRY_ASSIGN(l.bh_head, k.offset("tty_bufhead", "head"));
  DUMPFMT_TRY_ASSIGN(l.bh_sentinel, k.offset("tty_bufhead", "sentinel"));
  DUMPFMT_TRY_ASSIGN(l.bh_free, k.offset("tty_bufhead", "free"));
  DUMPFMT_TRY_ASSIGN(l.tb_next, k.offset("tty_buffer", "next"));
  DUMPFMT_TRY_ASSIGN(l.tb_free, k.offset("tty_buffer", "free"));
  DUMPFMT_TRY_ASSIGN(l.tb_size, k.offset("tty_buffer", "size"));
  DUMPFMT_TRY_ASSIGN(l.tb_data, k.offset("tty_buffer", "data"));
  DUMPFMT_TRY_ASSIGN(l.ld_ops, k.offset("tty_ldisc", "ops"));
  DUMPFMT_TRY_ASSIGN(l.ldops_num, k.offset("tty_ldisc_ops", "num"));
  DUMPFMT_TRY_ASSIGN(l.read_buf, k.offset("n_tty_data", "read_buf"));
  DUMPFMT_TRY_ASSIGN(l.echo_buf, k.offset("n_tty_data", "echo_buf"));
  DUMPFMT_TRY_ASSIGN(auto rb, k.member("n_tty_data", "read_buf"));
  DUMPFMT_TRY_ASSIGN(auto eb, k.member("n_tty_data", "echo_buf"));
  DUMPFMT_TRY_ASSIGN(l.read_buf_size, k.btf()->size_of(rb.type));
  DUMPFMT_TRY_ASSIGN(l.echo_buf_size, k.btf()->size_of(eb.type));
  // Serial core: absent in kernels without it; then us_size stays 0.
  if (auto s = k.size("uart_state")) {
    l.us_size = *s;
    DUMPFMT_TRY_ASSIGN(uint64_t xmit, k.offset("uart_state", "xmit"));
    DUMPFMT_TRY_ASSIGN(uint64_t buf, k.offset("circ_buf", "buf"));
    l.us_xmit_buf = xmit + buf;
  }
  return l;
}

class TtyEraser {
 public:
  TtyEraser(const ScrubKernel& k, const TtyLayout& l, EraseSet& out, ClassReport& rep)
      : k_(k), l_(l), out_(out), rep_(rep) {}

  void erase(uint64_t vaddr, uint64_t len, const std::string& what) {
    if (vaddr == 0 || len == 0) return;
    if (auto st = out_.add_virt(k_.mem(), vaddr, len, "tty", what); !st) {
      note(what + ": " + st.error().message);
      return;
    }
    rep_.objects++;
    rep_.bytes += len;
  }
  void note(std::string s) { rep_.note(std::move(s)); }

  // A serial port's transmit ring: one page (UART_XMIT_SIZE).
  Status uart_state(uint64_t state, const std::string& name) {
    if (l_.us_size == 0 || state == 0 || !seen_states_.insert(state).second) return ok();
    DUMPFMT_TRY_ASSIGN(uint64_t buf, k_.ptr(state + l_.us_xmit_buf));
    erase(buf, k_.page_size(), "uart_state(" + name + ").xmit.buf");
    return ok();
  }

  Status flip_buffers(uint64_t port, const std::string& name) {
    if (port == 0 || !seen_ports_.insert(port).second) return ok();
    const uint64_t bh = port + l_.port_buf;
    const uint64_t sentinel = bh + l_.bh_sentinel;
    auto one = [&](uint64_t b) -> Status {
      if (b == sentinel) return ok();
      DUMPFMT_TRY_ASSIGN(uint32_t size, k_.u32(b + l_.tb_size));
      const int64_t sz = static_cast<int32_t>(size);
      if (sz <= 0 || sz > kMaxFlipSize) return ok();
      // Characters, then as many flag bytes (tty_buffer_alloc: 2 * size).
      erase(b + l_.tb_data, 2 * static_cast<uint64_t>(sz), "tty(" + name + ").port.buf");
      return ok();
    };
    DUMPFMT_TRY_ASSIGN(uint64_t b, k_.ptr(bh + l_.bh_head));
    for (uint64_t n = 0; b != 0; ++n) {
      if (n >= kMaxBuffers) return make_error(Errc::corrupt, "tty " + name + ": buffer cycle");
      DUMPFMT_TRY(one(b));
      DUMPFMT_TRY_ASSIGN(b, k_.ptr(b + l_.tb_next));
    }
    // Freed buffers kept for reuse (an llist through tty_buffer.free).
    DUMPFMT_TRY_ASSIGN(uint64_t f, k_.ptr(bh + l_.bh_free));
    for (uint64_t n = 0; f != 0; ++n) {
      if (n >= kMaxBuffers) return make_error(Errc::corrupt, "tty " + name + ": free list cycle");
      DUMPFMT_TRY(one(f - l_.tb_free));
      DUMPFMT_TRY_ASSIGN(f, k_.ptr(f));
    }
    return ok();
  }

  Status tty(uint64_t t, std::optional<uint64_t> uart_ops) {
    char raw[64] = {};
    DUMPFMT_TRY(k_.mem().read_virt(t + l_.name, std::as_writable_bytes(std::span(raw))));
    std::string name(raw, strnlen(raw, sizeof raw));
    if (name.empty() || name.find_first_of(" ()\n") != std::string::npos) name = hex(t);
    DUMPFMT_TRY_ASSIGN(uint64_t port, k_.ptr(t + l_.port));
    DUMPFMT_TRY(flip_buffers(port, name));
    DUMPFMT_TRY_ASSIGN(uint64_t ldisc, k_.ptr(t + l_.ldisc));
    if (ldisc) {
      DUMPFMT_TRY_ASSIGN(uint64_t ops, k_.ptr(ldisc + l_.ld_ops));
      DUMPFMT_TRY_ASSIGN(uint32_t num, k_.u32(ops + l_.ldops_num));
      DUMPFMT_TRY_ASSIGN(uint64_t dd, k_.ptr(t + l_.disc_data));
      if (static_cast<int>(num) == kNTty && dd) {
        erase(dd + l_.read_buf, l_.read_buf_size, "tty(" + name + ").disc_data.read_buf");
        erase(dd + l_.echo_buf, l_.echo_buf_size, "tty(" + name + ").disc_data.echo_buf");
      }
    }
    DUMPFMT_TRY_ASSIGN(uint64_t wb, k_.ptr(t + l_.write_buf));
    DUMPFMT_TRY_ASSIGN(uint32_t wc, k_.u32(t + l_.write_cnt));
    const int64_t cnt = static_cast<int32_t>(wc);
    if (wb && cnt > 0 && cnt <= kMaxWriteBuf) {
      erase(wb, static_cast<uint64_t>(cnt), "tty(" + name + ").write_buf");
    }
    DUMPFMT_TRY_ASSIGN(uint64_t ops, k_.ptr(t + l_.ops));
    if (uart_ops && ops == *uart_ops) {
      DUMPFMT_TRY_ASSIGN(uint64_t state, k_.ptr(t + l_.driver_data));
      DUMPFMT_TRY(uart_state(state, name));
    }
    return ok();
  }

 private:
  const ScrubKernel& k_;
  const TtyLayout& l_;
  EraseSet& out_;
  ClassReport& rep_;
  std::set<uint64_t> seen_ports_, seen_states_;
};

}  // namespace

Result<ClassReport> erase_tty_buffers(const ScrubKernel& k, EraseSet& out) {
  ClassReport rep;
  rep.cls = "tty";
  DUMPFMT_TRY(k.need_btf("the TTY walk"));
  DUMPFMT_TRY_ASSIGN(TtyLayout l, tty_layout(k));
  TtyEraser er(k, l, out, rep);
  std::optional<uint64_t> uart_ops;
  if (auto u = k.symbol("uart_ops")) uart_ops = *u;

  // 1. Every driver's table of open TTYs; serial drivers' ports (open or not).
  std::set<uint64_t> ttys;
  DUMPFMT_TRY_ASSIGN(uint64_t drivers, k.symbol("tty_drivers"));
  DUMPFMT_TRY_ASSIGN(uint64_t d_list, k.offset("tty_driver", "tty_drivers"));
  DUMPFMT_TRY_ASSIGN(uint64_t d_ttys, k.offset("tty_driver", "ttys"));
  DUMPFMT_TRY_ASSIGN(uint64_t d_num, k.offset("tty_driver", "num"));
  DUMPFMT_TRY_ASSIGN(uint64_t d_ops, k.offset("tty_driver", "ops"));
  DUMPFMT_TRY_ASSIGN(uint64_t d_state, k.offset("tty_driver", "driver_state"));
  DUMPFMT_TRY_ASSIGN(uint64_t d_name, k.offset("tty_driver", "name"));
  auto walked = k.walk_list(drivers, kMaxDrivers, [&](uint64_t node) -> Status {
    const uint64_t d = node - d_list;
    DUMPFMT_TRY_ASSIGN(uint64_t arr, k.ptr(d + d_ttys));
    DUMPFMT_TRY_ASSIGN(uint32_t num, k.u32(d + d_num));
    if (arr && num > 0 && num <= kMaxTtysPerDriver) {
      DUMPFMT_TRY_ASSIGN(auto tab, k.ptr_array(arr, num));
      for (uint64_t t : tab) {
        if (t) ttys.insert(t);
      }
    }
    DUMPFMT_TRY_ASSIGN(uint64_t ops, k.ptr(d + d_ops));
    if (uart_ops && ops == *uart_ops && l.us_size) {
      DUMPFMT_TRY_ASSIGN(uint64_t ud, k.ptr(d + d_state));
      DUMPFMT_TRY_ASSIGN(uint64_t st_off, k.offset("uart_driver", "state"));
      DUMPFMT_TRY_ASSIGN(uint64_t nr_off, k.offset("uart_driver", "nr"));
      DUMPFMT_TRY_ASSIGN(uint64_t states, k.ptr(ud + st_off));
      DUMPFMT_TRY_ASSIGN(uint32_t nr, k.u32(ud + nr_off));
      std::string base = "?";
      if (auto np = k.ptr(d + d_name); np && *np) base = k.cstring(*np, 32).value_or("?");
      for (uint32_t i = 0; states && i < std::min(nr, kMaxTtysPerDriver); ++i) {
        DUMPFMT_TRY(er.uart_state(states + i * l.us_size, base + std::to_string(i)));
      }
    }
    return ok();
  });
  DUMPFMT_TRY(walked);

  // 2. TTYs open as files (ptys and /dev/console included).
  std::set<uint64_t> tty_fops;
  for (const char* s : {"tty_fops", "console_fops", "hung_up_tty_fops", "ptmx_fops"}) {
    if (auto a = k.symbol(s)) tty_fops.insert(*a);
  }
  DUMPFMT_TRY_ASSIGN(uint64_t priv_tty, k.offset("tty_file_private", "tty"));
  auto files = for_each_open_file(k, [&](uint64_t, uint64_t fop, uint64_t priv) -> Status {
    if (!tty_fops.count(fop) || priv == 0) return ok();
    DUMPFMT_TRY_ASSIGN(uint64_t t, k.ptr(priv + priv_tty));
    if (t) ttys.insert(t);
    return ok();
  });
  if (!files) er.note("open files: " + files.error().message);

  // 3. The other ends of pty pairs.
  std::vector<uint64_t> todo(ttys.begin(), ttys.end());
  while (!todo.empty()) {
    uint64_t t = todo.back();
    todo.pop_back();
    DUMPFMT_TRY_ASSIGN(uint64_t link, k.ptr(t + l.link));
    if (link && ttys.insert(link).second) todo.push_back(link);
  }
  for (uint64_t t : ttys) {
    if (auto st = er.tty(t, uart_ops); !st) er.note("tty at " + hex(t) + ": " + st.error().message);
  }

  // 4. Virtual consoles' screen buffers.
  if (auto vc = k.symbol("vc_cons")) {
    DUMPFMT_TRY_ASSIGN(uint64_t vc_size, k.size("vc"));
    DUMPFMT_TRY_ASSIGN(uint64_t vc_d, k.offset("vc", "d"));
    DUMPFMT_TRY_ASSIGN(uint64_t sb, k.offset("vc_data", "vc_screenbuf"));
    DUMPFMT_TRY_ASSIGN(uint64_t sbs, k.offset("vc_data", "vc_screenbuf_size"));
    for (uint64_t i = 0; vc_size && i < kMaxNrConsoles; ++i) {
      DUMPFMT_TRY_ASSIGN(uint64_t d, k.ptr(*vc + i * vc_size + vc_d));
      if (!d) continue;
      DUMPFMT_TRY_ASSIGN(uint64_t buf, k.ptr(d + sb));
      DUMPFMT_TRY_ASSIGN(uint32_t size, k.u32(d + sbs));
      if (size <= kMaxScreenBuf)
        er.erase(buf, size,
                 strfmt("vc_cons[%llu].d.vc_screenbuf", static_cast<unsigned long long>(i)));
    }
  }
  return rep;
}

}  // namespace dumpfmt::filters
