#include "golden.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace eplb::test {
namespace {

template <class Matrix>
Matrix to_matrix(const nlohmann::json& rows) {
  Matrix m(static_cast<Eigen::Index>(rows.size()),
           rows.empty() ? 0 : static_cast<Eigen::Index>(rows[0].size()));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (std::size_t j = 0; j < rows[i].size(); ++j) {
      m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) =
          rows[i][j].get<typename Matrix::Scalar>();
    }
  }
  return m;
}

}  // namespace

std::vector<GoldenInstance> load_golden(const std::string& variant) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(EPLB_TEST_DATA) / "golden" / variant;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw std::runtime_error("no golden files in " + dir.string());
  std::vector<GoldenInstance> out;
  for (const fs::path& file : files) {
    std::ifstream in(file);
    const nlohmann::json doc = nlohmann::json::parse(in);
    for (const auto& inst : doc.at("instances")) {
      GoldenInstance g;
      g.set = doc.at("set").get<std::string>();
      g.id = inst.at("id").get<std::string>();
      const auto& c = inst.at("config");
      g.topology = {c.at("num_replicas").get<int>(), c.at("num_groups").get<int>(),
                    c.at("num_nodes").get<int>(), c.at("num_gpus").get<int>()};
      g.policy = c.at("policy").get<std::string>();
      g.ties = inst.at("ties").get<bool>();
      g.weight = to_matrix<LoadMatrix>(inst.at("weight"));
      const auto& e = inst.at("expected");
      if (e.contains("phy2log")) g.phy2log = to_matrix<IndexMatrix>(e.at("phy2log"));
      if (e.contains("logcnt")) g.logcnt = to_matrix<IndexMatrix>(e.at("logcnt"));
      if (e.contains("tiebreak_reference")) {
        g.ref_phy2log = to_matrix<IndexMatrix>(e.at("tiebreak_reference").at("phy2log"));
        g.ref_logcnt = to_matrix<IndexMatrix>(e.at("tiebreak_reference").at("logcnt"));
      }
      g.balancedness_per_layer = e.at("balancedness_per_layer").get<std::vector<double>>();
      out.push_back(std::move(g));
    }
  }
  return out;
}

std::vector<double> golden_balancedness(const LoadMatrix& w, const IndexMatrix& phy2log,
                                        const IndexMatrix& logcnt, int num_gpus) {
  const auto R = static_cast<int>(phy2log.cols());
  const int spg = R / num_gpus;
  std::vector<double> out;
  for (Eigen::Index l = 0; l < w.rows(); ++l) {
    double sum = 0.0, max = 0.0;
    for (int q = 0; q < num_gpus; ++q) {
      double g = 0.0;
      for (int s = q * spg; s < (q + 1) * spg; ++s) {
        const int e = phy2log(l, s);
        g += w(l, e) / logcnt(l, e);
      }
      sum += g;
      max = std::max(max, g);
    }
    out.push_back(max == 0.0 ? 1.0 : (sum / num_gpus) / max);
  }
  return out;
}

}  // namespace eplb::test
