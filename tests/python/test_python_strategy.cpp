// The `python:` strategy family (python/include/eplb/python_strategy.hpp): a Python
// re-statement of DeepSeek's algorithm plans exactly like `deepseek`, and every way a Python file
// can fail is an error naming the file and the cause, in `eplb plan` and as an error row of
// `eplb run` (with --jobs 2: the interpreter lock serialises the calls).
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "cli_run.hpp"
#include "eplb/error.hpp"
#include "eplb/python_strategy.hpp"
#include "eplb/storage/csv.hpp"
#include "eplb/validator.hpp"
#include "eplb/workload.hpp"

namespace eplb {
namespace {

const std::string kExample = std::string(EPLB_SOURCE_DIR) + "/python/examples/deepseek_numpy.py";

// The family in a registry of its own: the global registry stays as the property tests expect.
Registry<Strategy>::Made make_python(const std::string& spec) {
  Registry<Strategy> registry("strategy");
  registry.add(python_strategy_entry());
  return registry.create(spec);
}

TEST(PythonStrategy, NumpyDeepseekPlansExactlyLikeDeepseek) {
  const auto python = make_python("python:file=" + kExample);
  const auto deepseek = make_strategy("deepseek");
  std::vector<std::pair<LoadMatrix, Topology>> cases;
  cases.emplace_back(make_workload("recorded:name=v3_decode_in1000out1000").steps.front(),
                     Topology{288, 8, 4, 32});
  std::mt19937_64 rng(20251201);
  const Topology shapes[] = {Topology{24, 4, 2, 8}, Topology{20, 4, 4, 4}, Topology{18, 2, 3, 6},
                             Topology{16, 1, 1, 4}};
  for (const Topology& t : shapes) {
    LoadMatrix w(3, 16);
    std::uniform_int_distribution<int> tokens(0, 50);  // small integers: many exact ties
    for (Eigen::Index i = 0; i < w.size(); ++i) w.data()[i] = tokens(rng);
    cases.emplace_back(w, t);
  }
  for (const auto& [w, t] : cases) {
    const Placement a = python.product->plan(w, t);
    const Placement b = deepseek.product->plan(w, t);
    EXPECT_EQ(a.phy2log, b.phy2log) << t.to_string();
    EXPECT_EQ(a.logcnt, b.logcnt) << t.to_string();
    EXPECT_EQ(a.policy, b.policy) << t.to_string();
  }
}

// A strategy file with one way of failing, and what the error must say.
struct BadFile {
  std::string name;
  std::string code;
  std::vector<std::string> needles;
};

const std::string kGood =
    "import numpy as np\n"
    "def plan(w, R):\n"
    "    L, E = w.shape\n"
    "    phy = np.array([[s % E for s in range(R)]] * L)\n"
    "    cnt = np.array([[(R - e + E - 1) // E for e in range(E)]] * L)\n"
    "    l2p = np.full((L, E, int(cnt.max())), -1)\n"
    "    for l in range(L):\n"
    "        for e in range(E):\n"
    "            s = np.flatnonzero(phy[l] == e); l2p[l, e, :len(s)] = s\n"
    "    return phy, l2p, cnt\n";

std::vector<BadFile> bad_files() {
  return {
      {"syntax.py", "def rebalance_experts(:\n", {"syntax.py", "importing", "SyntaxError"}},
      {"imports.py",
       "import no_such_module_eplb\n",
       {"imports.py", "ModuleNotFoundError", "no_such_module_eplb"}},
      {"nofunction.py",
       "def other(): pass\n",
       {"nofunction.py", "no function 'rebalance_experts'"}},
      {"raises.py",
       "def rebalance_experts(w, R, G, N, P):\n    raise ValueError('boom')\n",
       {"raises.py", "ValueError: boom", "raises.py:2"}},
      {"notuple.py",
       "def rebalance_experts(w, R, G, N, P):\n    return 7\n",
       {"notuple.py", "returned int", "(phy2log, log2phy, logcnt)"}},
      {"shape.py",
       kGood + "def rebalance_experts(w, R, G, N, P):\n    p, l, c = plan(w, R)\n"
               "    return p[:, :-1], l, c\n",
       {"shape.py", "phy2log of shape (2, 15), expected (2, 16)"}},
      {"fractional.py",
       kGood + "def rebalance_experts(w, R, G, N, P):\n    p, l, c = plan(w, R)\n"
               "    return p + 0.5, l, c\n",
       {"fractional.py", "non-integer value 0.5 in phy2log"}},
      {"text.py",
       kGood + "def rebalance_experts(w, R, G, N, P):\n    p, l, c = plan(w, R)\n"
               "    return p.astype(str), l, c\n",
       {"text.py", "phy2log with dtype", "expected integers"}},
      {"badid.py",
       kGood + "def rebalance_experts(w, R, G, N, P):\n    p, l, c = plan(w, R)\n"
               "    p[1, 3] = 99\n    return p, l, c\n",
       {"badid.py", "invalid placement", "layer 1", "slot 3"}},
      {"badcount.py",
       kGood + "def rebalance_experts(w, R, G, N, P):\n    p, l, c = plan(w, R)\n"
               "    c[0, 0] += 1\n    return p, l, c\n",
       {"badcount.py", "invalid placement", "logcnt"}},
      {"badlog2phy.py",
       kGood + "def rebalance_experts(w, R, G, N, P):\n    p, l, c = plan(w, R)\n"
               "    l[0, 2, 0] = l[0, 3, 0]\n    return p, l, c\n",
       {"badlog2phy.py", "log2phy inconsistent with phy2log", "log2phy[0][2][0]"}},
  };
}

TEST(PythonStrategy, EveryFailureNamesTheFileAndTheCause) {
  const std::string dir = test::make_temp_dir("python_strategy");
  LoadMatrix w(2, 8);
  w << 1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1;
  const Topology t{16, 1, 1, 4};
  std::vector<BadFile> cases = bad_files();
  cases.push_back({"missing.py", "", {"missing.py", "not found"}});
  for (const BadFile& bad : cases) {
    const std::string path = dir + "/" + bad.name;
    if (!bad.code.empty()) test::write_text(path, bad.code);
    const auto made = make_python("python:file=" + path);
    try {
      (void)made.product->plan(w, t);
      ADD_FAILURE() << bad.name << " was accepted";
    } catch (const Error& e) {
      for (const std::string& needle : bad.needles) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
            << bad.name << ": '" << needle << "' missing from: " << e.what();
      }
    }
  }
  // The helper itself is valid, so each failure above is the one its file introduces.
  test::write_text(dir + "/good.py",
                   kGood + "def rebalance_experts(w, R, G, N, P):\n    return plan(w, R)\n");
  const Placement ok = make_python("python:file=" + dir + "/good.py").product->plan(w, t);
  EXPECT_FALSE(find_violation(ok, t, 2, 8));
  // Group locality is checked when the policy is hierarchical (auto: groups % nodes == 0).
  const Topology hier{16, 4, 2, 4};
  EXPECT_THROW((void)make_python("python:file=" + dir + "/good.py").product->plan(w, hier), Error);
  EXPECT_NO_THROW(
      (void)make_python("python:file=" + dir + "/good.py,policy=global").product->plan(w, hier));
  EXPECT_THROW(make_python("python"), InputError);
  // input=torch hands over a torch tensor where torch is installed, and says so where it is not.
  try {
    const Placement via_torch =
        make_python("python:file=" + dir + "/good.py,input=torch").product->plan(w, t);
    EXPECT_EQ(via_torch.phy2log, ok.phy2log);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("No module named 'torch'"), std::string::npos)
        << e.what();
  }
}

TEST(PythonStrategy, EplbRunWritesErrorRowsAndScoresTheGoodFile) {
  const std::string dir = test::make_temp_dir("python_run");
  std::string strategies = fmt::format("\"deepseek\", \"python:file={}\"", kExample);
  const std::vector<BadFile> cases = bad_files();
  for (const BadFile& bad : cases) {
    test::write_text(dir + "/" + bad.name, bad.code);
    strategies += fmt::format(", \"python:file={}/{}\"", dir, bad.name);
  }
  strategies += fmt::format(", \"python:file={}/missing.py\"", dir);
  test::write_text(dir + "/plan.json",
                   fmt::format(R"({{"strategies": [{}], "workloads": ["zipf:layers=2,experts=8"],
                       "topologies": [{{"replicas": 16, "groups": 1, "nodes": 1, "gpus": 4}}],
                       "timing": {{"warmup": 0, "repeats": 1}}}})",
                               strategies));
  const auto r = test::run_eplb(fmt::format("run {0}/plan.json --out {0}/out --jobs 2", dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const CsvTable table = read_csv(dir + "/out/results.csv");
  const int strategy = table.column("strategy", "results.csv");
  const int status = table.column("status", "results.csv");
  const int error = table.column("error", "results.csv");
  const int balancedness = table.column("balancedness", "results.csv");
  ASSERT_EQ(table.rows.size(), cases.size() + 3);
  std::string deepseek_score, python_score;
  for (const auto& row : table.rows) {
    const std::string& spec = row[static_cast<std::size_t>(strategy)];
    if (spec == "deepseek") deepseek_score = row[static_cast<std::size_t>(balancedness)];
    if (spec.find("deepseek_numpy.py") != std::string::npos) {
      EXPECT_EQ(row[static_cast<std::size_t>(status)], "ok");
      python_score = row[static_cast<std::size_t>(balancedness)];
    }
    for (const BadFile& bad : cases) {
      if (spec.find("/" + bad.name) == std::string::npos) continue;
      EXPECT_EQ(row[static_cast<std::size_t>(status)], "error") << spec;
      EXPECT_EQ(row[static_cast<std::size_t>(balancedness)], "") << spec;
      for (const std::string& needle : bad.needles) {
        EXPECT_NE(row[static_cast<std::size_t>(error)].find(needle), std::string::npos)
            << needle << " missing from " << row[static_cast<std::size_t>(error)];
      }
    }
    if (spec.find("missing.py") != std::string::npos) {
      EXPECT_NE(row[static_cast<std::size_t>(error)].find("not found"), std::string::npos);
    }
  }
  EXPECT_FALSE(deepseek_score.empty());
  EXPECT_EQ(python_score, deepseek_score);
}

TEST(PythonStrategy, ShippedExperimentResolvesInTheEplbBinary) {
  const auto r = test::run_eplb(
      fmt::format("run {}/experiments/python_strategies.json --dry-run", EPLB_SOURCE_DIR));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("= 40 runs"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace eplb
