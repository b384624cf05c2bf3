// Migration between two placements (core/include/eplb/migration.hpp), hand-checked.
#include <gtest/gtest.h>

#include "eplb/error.hpp"
#include "eplb/migration.hpp"

namespace eplb {
namespace {

Placement from_rows(std::initializer_list<std::initializer_list<int>> rows, int experts) {
  Placement p;
  p.phy2log.resize(static_cast<Eigen::Index>(rows.size()),
                   static_cast<Eigen::Index>(rows.begin()->size()));
  Eigen::Index r = 0;
  for (const auto& row : rows) {
    Eigen::Index c = 0;
    for (int v : row) p.phy2log(r, c++) = v;
    ++r;
  }
  p.logcnt = count_replicas(p.phy2log, experts);
  return p;
}

TEST(Migration, HandCheckedMovesBetweenKnownPlacements) {
  const Topology topo{4, 1, 1, 2};  // 2 GPUs of 2 slots
  // layer 0: slots 1 (GPU 0) and 3 (GPU 1) change; layer 1 unchanged; layer 2: slots 0, 1 (GPU 0)
  const Placement from = from_rows({{0, 1, 2, 0}, {0, 1, 2, 0}, {0, 1, 2, 0}}, 3);
  const Placement to = from_rows({{0, 2, 2, 1}, {0, 1, 2, 0}, {1, 0, 2, 0}}, 3);
  const Migration m = migration(from, to, topo, 10.0);
  EXPECT_EQ(m.replicas_moved, 4);
  EXPECT_EQ(m.max_moves_per_gpu, 3);  // GPU 0 receives 1 + 0 + 2
  EXPECT_EQ(m.layers_changed, 2);
  EXPECT_EQ(m.bytes_moved, 40.0);
  EXPECT_EQ(replicas_moved(from, to), 4);
  EXPECT_EQ(max_moves_per_gpu(from, to, topo), 3);
  EXPECT_EQ(bytes_moved(from, to, 10.0), 40.0);
  EXPECT_EQ(replicas_moved(from, from), 0);
  EXPECT_EQ(migration(to, to, topo).bytes_moved, 0.0);
}

TEST(Migration, DefaultExpertBytesIsOneDeepSeekV3Fp8Expert) {
  // 3 matrices of 7168 x 2048 FP8 bytes + one float32 scale per 128 x 128 block.
  EXPECT_EQ(kDeepSeekV3ExpertBytes, 44050944.0);
  const Placement a = from_rows({{0, 1, 2, 0}}, 3);
  const Placement b = from_rows({{1, 1, 2, 0}}, 3);
  EXPECT_EQ(bytes_moved(a, b), 44050944.0);
}

TEST(Migration, ShapeMismatchIsAClearError) {
  const Topology topo{4, 1, 1, 2};
  const Placement two_layers = from_rows({{0, 1, 2, 0}, {0, 1, 2, 0}}, 3);
  const Placement one_layer = from_rows({{0, 1, 2, 0}}, 3);
  const Placement more_experts = from_rows({{0, 1, 2, 3}}, 4);
  try {
    check_same_shape(two_layers, one_layer, topo, "--previous old.json");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--previous old.json: has 2 layers"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(check_same_shape(one_layer, more_experts, topo, "x"), InputError);
  EXPECT_THROW(migration(one_layer, one_layer, Topology{8, 1, 1, 2}), InputError);
  EXPECT_THROW(replicas_moved(two_layers, one_layer), InputError);
}

}  // namespace
}  // namespace eplb
