/* e2etool: static helper for the capture-kernel end-to-end test (tests/e2e), one binary with
 * several commands (argv[1], or the name it is called by):
 *   rss LABEL CMD [ARG...]   run CMD, then report its peak RSS (wait4 ru_maxrss), exit status
 *                            and wall time on one "E2E: RSS ..." line (appended to $E2E_REPORT,
 *                            else stderr); exits with CMD's status
 *   teecount FILE            copy stdin to stdout and to FILE (e.g. a raw disk), report the
 *                            byte count as "E2E: TEE FILE bytes=N"
 *   fillanon MB              MB of anonymous memory filled with the user marker, mlocked,
 *                            kept until killed (prints "fillanon ready" once filled)
 *   fillfile PATH MB         a file of MB filled with the cache marker (tmpfs: page cache)
 *   marker user|cache        print a marker (for the host scan; never run in the guest)
 * The markers are stored XOR-encoded so that this binary, which lives in the guest's memory
 * as part of the initramfs, never holds one in clear. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KEY 0x5a
/* "DUMPFMT-E2E-USER-MARK:" and "DUMPFMT-E2E-CACHE-MARK:", each byte XOR KEY */
static const unsigned char kUser[] = {0x1e, 0x0f, 0x17, 0x0a, 0x1c, 0x17, 0x0e, 0x77,
                                      0x1f, 0x68, 0x1f, 0x77, 0x0f, 0x09, 0x1f, 0x08,
                                      0x77, 0x17, 0x1b, 0x08, 0x11, 0x60};
static const unsigned char kCache[] = {0x1e, 0x0f, 0x17, 0x0a, 0x1c, 0x17, 0x0e, 0x77,
                                       0x1f, 0x68, 0x1f, 0x77, 0x19, 0x1b, 0x19, 0x12,
                                       0x1f, 0x77, 0x17, 0x1b, 0x08, 0x11, 0x60};

static void decode(const unsigned char* enc, size_t n, char* out) {
  for (size_t i = 0; i < n; i++) out[i] = (char)(enc[i] ^ KEY);
  out[n] = 0;
}

static void die(const char* what) {
  fprintf(stderr, "e2etool: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* Every 64-byte line of the buffer holds the marker followed by a line counter, so each page
 * has many hits and no two pages are equal (no page is a zero page or a duplicate). */
static void fill(char* p, size_t len, const char* marker) {
  size_t m = strlen(marker);
  for (size_t off = 0; off + 64 <= len; off += 64) {
    memcpy(p + off, marker, m);
    snprintf(p + off + m, 64 - m, "%016zx", off / 64);
  }
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char* fmt, ...) {
  const char* path = getenv("E2E_REPORT");
  FILE* f = path ? fopen(path, "a") : NULL;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(f ? f : stderr, fmt, ap);
  va_end(ap);
  if (f) fclose(f);
}

static int cmd_rss(int argc, char** argv) {
  if (argc < 3) return 2;
  const char* label = argv[1];
  double t0 = now();
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    fprintf(stderr, "e2etool: exec %s: %s\n", argv[2], strerror(errno));
    _exit(127);
  }
  int status;
  struct rusage ru;
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) die("wait4");
  }
  int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  /* ru_maxrss of a waited-for child is its own high-water RSS in KiB (VmHWM at exit) */
  report("E2E: RSS %s maxrss_kb=%ld rc=%d secs=%.1f\n", label, ru.ru_maxrss, rc, now() - t0);
  return rc;
}

static int cmd_teecount(int argc, char** argv) {
  if (argc != 2) return 2;
  int fd = open(argv[1], O_WRONLY | O_CREAT, 0644);
  if (fd < 0) die(argv[1]);
  static char buf[1 << 16];
  unsigned long long total = 0;
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("read");
    if (n == 0) break;
    for (int out = 0; out < 2; out++) {
      int to = out ? fd : 1;
      for (ssize_t done = 0; done < n;) {
        ssize_t w = write(to, buf + done, (size_t)(n - done));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) die(out ? argv[1] : "stdout");
        done += w;
      }
    }
    total += (unsigned long long)n;
  }
  if (fsync(fd) != 0 || close(fd) != 0) die(argv[1]);
  report("E2E: TEE %s bytes=%llu\n", argv[1], total);
  return 0;
}

static int cmd_fillanon(int argc, char** argv) {
  if (argc != 2) return 2;
  size_t len = (size_t)atol(argv[1]) << 20;
  char marker[sizeof kUser + 1];
  decode(kUser, sizeof kUser, marker);
  char* p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) die("mmap");
  fill(p, len, marker);
  explicit_bzero(marker, sizeof marker);
  if (mlock(p, len) != 0) fprintf(stderr, "e2etool: mlock: %s (continuing)\n", strerror(errno));
  printf("fillanon ready: %s MiB\n", argv[1]);
  fflush(stdout);
  for (;;) pause();
}

static int cmd_fillfile(int argc, char** argv) {
  if (argc != 3) return 2;
  size_t len = (size_t)atol(argv[2]) << 20;
  char marker[sizeof kCache + 1];
  decode(kCache, sizeof kCache, marker);
  /* A small buffer, wiped before exit: this process's pages go back to the free lists, and a
   * marker copy there would survive dump level 31 (pages on per-CPU free lists are not seen
   * as free) and be counted as a cache page left in the dump. */
  static char buf[1 << 16];
  size_t m = strlen(marker);
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) die(argv[1]);
  for (size_t done = 0; done < len; done += sizeof buf) {
    for (size_t off = 0; off < sizeof buf; off += 64) {
      memcpy(buf + off, marker, m);
      snprintf(buf + off + m, 64 - m, "%016zx", (done + off) / 64);
    }
    for (size_t w = 0; w < sizeof buf;) {
      ssize_t n = write(fd, buf + w, sizeof buf - w);
      if (n < 0) die("write");
      w += (size_t)n;
    }
  }
  if (close(fd) != 0) die(argv[1]);
  explicit_bzero(buf, sizeof buf);
  explicit_bzero(marker, sizeof marker);
  printf("fillfile ready: %s %s MiB\n", argv[1], argv[2]);
  return 0;
}

static int cmd_marker(int argc, char** argv) {
  if (argc != 2) return 2;
  char m[sizeof kCache + 1];
  if (strcmp(argv[1], "user") == 0) {
    decode(kUser, sizeof kUser, m);
  } else if (strcmp(argv[1], "cache") == 0) {
    decode(kCache, sizeof kCache, m);
  } else {
    return 2;
  }
  printf("%s\n", m);
  return 0;
}

int main(int argc, char** argv) {
  const char* name = strrchr(argv[0], '/');
  name = name ? name + 1 : argv[0];
  if (strcmp(name, "e2etool") == 0) {
    if (argc < 2) {
      fprintf(stderr, "usage: e2etool rss|teecount|fillanon|fillfile|marker ARGS\n");
      return 2;
    }
    argc--;
    argv++;
    name = argv[0];
  }
  int rc = 2;
  if (strcmp(name, "rss") == 0)
    rc = cmd_rss(argc, argv);
  else if (strcmp(name, "teecount") == 0)
    rc = cmd_teecount(argc, argv);
  else if (strcmp(name, "fillanon") == 0)
    rc = cmd_fillanon(argc, argv);
  else if (strcmp(name, "fillfile") == 0)
    rc = cmd_fillfile(argc, argv);
  else if (strcmp(name, "marker") == 0)
    rc = cmd_marker(argc, argv);
  if (rc == 2) fprintf(stderr, "e2etool %s: bad arguments\n", name);
  return rc;
}
