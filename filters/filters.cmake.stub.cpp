// Anchor so the filters library has an object before the first filter lands.
namespace dumpfmt::filters {
int library_anchor() { return 0; }
}  // namespace dumpfmt::filters
