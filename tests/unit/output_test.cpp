// Output sinks: temp-file-then-rename, no file left on failure, pipe rules.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "dumpfmt/output.h"

using namespace dumpfmt;
namespace fs = std::filesystem;

namespace {

std::span<const std::byte> b(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

fs::path temp_dir() {
  fs::path d = fs::temp_directory_path() / ("dumpfmt-out-" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

}  // namespace

TEST(FileSink, WritesUnderTempNameAndRenamesOnCommit) {
  fs::path dir = temp_dir();
  fs::path out = dir / "dump.kdump";
  auto sink = create_output(out.string());
  ASSERT_TRUE(sink.has_value()) << sink.error().message;
  ASSERT_TRUE((*sink)->write_at(4, b("world")).has_value());
  ASSERT_TRUE((*sink)->write_at(0, b("hell")).has_value());
  ASSERT_TRUE((*sink)->write_at(9, b("!")).has_value());
  EXPECT_FALSE(fs::exists(out)) << "final name must not appear before commit";
  ASSERT_TRUE((*sink)->commit().has_value());
  EXPECT_EQ(slurp(out), "hellworld!");
  sink->reset();
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 1);
  fs::remove_all(dir);
}

TEST(FileSink, UncommittedOutputLeavesNothing) {
  fs::path dir = temp_dir();
  {
    auto sink = create_output((dir / "x").string());
    ASSERT_TRUE(sink.has_value());
    ASSERT_TRUE((*sink)->write_at(0, b(std::string(10 << 20, 'a'))).has_value());
  }
  EXPECT_TRUE(fs::is_empty(dir));
  fs::remove_all(dir);
}

TEST(FileSink, MissingDirectoryIsAClearError) {
  auto sink = create_output("/nonexistent-dir-dumpfmt/out");
  ASSERT_FALSE(sink.has_value());
  EXPECT_NE(sink.error().message.find("/nonexistent-dir-dumpfmt/out"), std::string::npos);
}

TEST(PipeSink, SequentialOnlyAndGapsAreZeros) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  fs::path fifo_dir = temp_dir();
  // A FIFO path is written in place, non-seekable.
  fs::path fifo = fifo_dir / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    std::ifstream in(fifo, std::ios::binary);
    std::string got{std::istreambuf_iterator<char>(in), {}};
    std::_Exit(got == std::string("ab\0\0cd", 6) ? 0 : 1);
  }
  auto sink = create_output(fifo.string());
  ASSERT_TRUE(sink.has_value()) << sink.error().message;
  EXPECT_FALSE((*sink)->seekable());
  ASSERT_TRUE((*sink)->write_at(0, b("ab")).has_value());
  ASSERT_TRUE((*sink)->write_at(4, b("cd")).has_value());
  auto back = (*sink)->write_at(1, b("x"));
  ASSERT_FALSE(back.has_value());
  EXPECT_NE(back.error().message.find("-F"), std::string::npos);
  ASSERT_TRUE((*sink)->commit().has_value());
  sink->reset();
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ::close(fds[0]);
  ::close(fds[1]);
  fs::remove_all(fifo_dir);
}

TEST(MemorySink, GrowsAndOverwrites) {
  MemorySink m;
  ASSERT_TRUE(m.write_at(3, b("xyz")).has_value());
  ASSERT_TRUE(m.write_at(0, b("abcd")).has_value());
  EXPECT_EQ(m.bytes_as_string(), std::string("abcdyz"));
  EXPECT_FALSE(m.write_at(~uint64_t{0} - 1, b("zz")).has_value());
}
