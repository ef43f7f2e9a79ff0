// Open files of every task (init_task.tasks -> files_struct -> fdtable), and
// the pipe buffers reached through them (fs/pipe.c: pipe_inode_info.bufs[]
// is a ring of ring_size slots, live from tail to head).
#include <set>

#include "dumpfmt/bytes.h"
#include "dumpfmt_filters/scrub.h"

namespace dumpfmt::filters {

namespace {

constexpr uint64_t kMaxTasks = uint64_t{1} << 22;
constexpr uint32_t kMaxFds = 1u << 20;  // NR_OPEN
constexpr uint32_t kMaxPipeSlots = 1u << 16;

}  // namespace

Status for_each_open_file(
    const ScrubKernel& k,
    const std::function<Status(uint64_t file, uint64_t f_op, uint64_t private_data)>& f) {
  DUMPFMT_TRY(k.need_btf("the open-file walk"));
  DUMPFMT_TRY_ASSIGN(uint64_t init_task, k.symbol("init_task"));
  DUMPFMT_TRY_ASSIGN(uint64_t tasks_off, k.offset("task_struct", "tasks"));
  DUMPFMT_TRY_ASSIGN(uint64_t files_off, k.offset("task_struct", "files"));
  DUMPFMT_TRY_ASSIGN(uint64_t fdt_off, k.offset("files_struct", "fdt"));
  DUMPFMT_TRY_ASSIGN(uint64_t max_off, k.offset("fdtable", "max_fds"));
  DUMPFMT_TRY_ASSIGN(uint64_t fd_off, k.offset("fdtable", "fd"));
  DUMPFMT_TRY_ASSIGN(uint64_t fop_off, k.offset("file", "f_op"));
  DUMPFMT_TRY_ASSIGN(uint64_t priv_off, k.offset("file", "private_data"));

  std::vector<uint64_t> tasks{init_task};
  DUMPFMT_TRY(k.walk_list(init_task + tasks_off, kMaxTasks, [&](uint64_t node) -> Status {
    tasks.push_back(node - tasks_off);
    return ok();
  }));
  std::set<uint64_t> seen_files_struct, seen_file;
  for (uint64_t t : tasks) {
    DUMPFMT_TRY_ASSIGN(uint64_t files, k.ptr(t + files_off));
    if (files == 0 || !seen_files_struct.insert(files).second) continue;
    DUMPFMT_TRY_ASSIGN(uint64_t fdt, k.ptr(files + fdt_off));
    if (fdt == 0) continue;
    DUMPFMT_TRY_ASSIGN(uint32_t max_fds, k.u32(fdt + max_off));
    DUMPFMT_TRY_ASSIGN(uint64_t fd_arr, k.ptr(fdt + fd_off));
    if (max_fds > kMaxFds) {
      return make_error(Errc::corrupt,
                        strfmt("fdtable at %s: max_fds %u", hex(fdt).c_str(), max_fds));
    }
    DUMPFMT_TRY_ASSIGN(auto fds, k.ptr_array(fd_arr, max_fds));
    for (uint64_t file : fds) {
      if (file == 0 || !seen_file.insert(file).second) continue;
      DUMPFMT_TRY_ASSIGN(uint64_t fop, k.ptr(file + fop_off));
      DUMPFMT_TRY_ASSIGN(uint64_t priv, k.ptr(file + priv_off));
      DUMPFMT_TRY(f(file, fop, priv));
    }
  }
  return ok();
}

Result<ClassReport> erase_pipe_buffers(const ScrubKernel& k, EraseSet& out) {
  ClassReport rep;
  rep.cls = "pipe";
  DUMPFMT_TRY(k.need_btf("the pipe walk"));
  DUMPFMT_TRY_ASSIGN(uint64_t pipe_fops, k.symbol("pipefifo_fops"));
  DUMPFMT_TRY_ASSIGN(uint64_t bufs_off, k.offset("pipe_inode_info", "bufs"));
  DUMPFMT_TRY_ASSIGN(uint64_t ring_off, k.offset("pipe_inode_info", "ring_size"));
  DUMPFMT_TRY_ASSIGN(uint64_t head_off, k.offset("pipe_inode_info", "head"));
  DUMPFMT_TRY_ASSIGN(uint64_t tail_off, k.offset("pipe_inode_info", "tail"));
  DUMPFMT_TRY_ASSIGN(uint64_t tmp_off, k.offset("pipe_inode_info", "tmp_page"));
  DUMPFMT_TRY_ASSIGN(uint64_t pb_size, k.size("pipe_buffer"));
  DUMPFMT_TRY_ASSIGN(uint64_t pb_page, k.offset("pipe_buffer", "page"));
  DUMPFMT_TRY_ASSIGN(uint64_t pb_off, k.offset("pipe_buffer", "offset"));
  DUMPFMT_TRY_ASSIGN(uint64_t pb_len, k.offset("pipe_buffer", "len"));
  const uint32_t ps = k.page_size();
  std::set<uint64_t> seen;
  auto erase_page_range = [&](uint64_t page, uint64_t off, uint64_t len, const std::string& what) {
    auto pfn = k.page_to_pfn(page);
    if (!pfn || off >= ps) return;
    len = std::min<uint64_t>(len, ps - off);
    out.add_phys(*pfn * ps + off, len, "pipe", what);
    rep.bytes += len;
  };
  DUMPFMT_TRY(for_each_open_file(k, [&](uint64_t, uint64_t fop, uint64_t pipe) -> Status {
    if (fop != pipe_fops || pipe == 0 || !seen.insert(pipe).second) return ok();
    DUMPFMT_TRY_ASSIGN(uint64_t bufs, k.ptr(pipe + bufs_off));
    DUMPFMT_TRY_ASSIGN(uint32_t ring, k.u32(pipe + ring_off));
    DUMPFMT_TRY_ASSIGN(uint32_t head, k.u32(pipe + head_off));
    DUMPFMT_TRY_ASSIGN(uint32_t tail, k.u32(pipe + tail_off));
    DUMPFMT_TRY_ASSIGN(uint64_t tmp, k.ptr(pipe + tmp_off));
    const std::string what = "pipe_inode_info(" + hex(pipe) + ")";
    if (ring == 0 || ring > kMaxPipeSlots || (ring & (ring - 1)) != 0 || head - tail > ring) {
      rep.note(strfmt("pipe at %s: ring_size %u, head %u, tail %u are not plausible",
                      hex(pipe).c_str(), ring, head, tail));
      return ok();
    }
    bool any = false;
    for (uint32_t i = tail; i != head; ++i) {
      const uint64_t b = bufs + (i & (ring - 1)) * pb_size;
      DUMPFMT_TRY_ASSIGN(uint64_t page, k.ptr(b + pb_page));
      DUMPFMT_TRY_ASSIGN(uint32_t off, k.u32(b + pb_off));
      DUMPFMT_TRY_ASSIGN(uint32_t len, k.u32(b + pb_len));
      if (page == 0 || len == 0) continue;
      erase_page_range(page, off, len, what + ".bufs");
      any = true;
    }
    // The spare page keeps whatever the last buffer held.
    if (tmp) {
      erase_page_range(tmp, 0, ps, what + ".tmp_page");
      any = true;
    }
    if (any) rep.objects++;
    return ok();
  }));
  return rep;
}

}  // namespace dumpfmt::filters
