// DeepSeek's greedy balanced packing (COMPOSITION.md section 3.1) as a Packer. Labels ignored.
#include "components.hpp"

namespace eplb::detail {
namespace {

class GreedyPacker final : public Packer {
 public:
  void pack(std::span<const double> w, int m, std::span<const int> /*labels*/,
            Packing& out) const override {
    greedy_pack(w, m, out);
  }
  void pack_many(std::span<const PackJob> jobs, int m) const override { greedy_pack_many(jobs, m); }
};

}  // namespace

std::unique_ptr<Packer> make_greedy_packer() { return std::make_unique<GreedyPacker>(); }

}  // namespace eplb::detail
