// complete_utsname: a writer's header utsname filled from the kernel's own.
#include "dumpfmt/kernel/kernel_memory.h"
#include "dumpfmt/kernel/release_scan.h"

namespace dumpfmt {

Status complete_utsname(const PageSource& src, Utsname& uts) {
  std::string* fields[] = {&uts.sysname, &uts.nodename, &uts.release,
                           &uts.version, &uts.machine, &uts.domainname};
  bool missing = false;
  for (const std::string* f : fields) missing = missing || f->empty();
  if (!missing) return ok();
  DUMPFMT_TRY_ASSIGN(auto km, KernelMemory::create(src));
  DUMPFMT_TRY_ASSIGN(Utsname k, read_kernel_utsname(*km));
  const std::string* from[] = {&k.sysname, &k.nodename, &k.release,
                               &k.version, &k.machine, &k.domainname};
  for (size_t i = 0; i < 6; ++i) {
    if (fields[i]->empty()) *fields[i] = *from[i];
  }
  return ok();
}

}  // namespace dumpfmt
