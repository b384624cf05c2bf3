// Summary table and plots of protocol rebalance rows; see rebalance_report.hpp.
#include "eplb/reporting/rebalance_report.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "eplb/spec.hpp"
#include "plots/figure_kinds.hpp"

namespace eplb {
namespace {

using figures::gp_lines;
using figures::gp_string;

struct RunTrace {
  std::string run_id, strategy, protocol, topology, workload;
  std::string replicas, groups, nodes, gpus;
  std::vector<int> steps;
  std::vector<double> balancedness;
  std::vector<char> rebalanced;
  long moved = 0;
  long max_per_gpu = 0;
  double bytes = 0.0;
  int rebalances = 0;
  int skipped = 0;  // decisions predicted to gain too little (event "skipped")
  bool error = false;

  double time_avg() const {
    double s = 0.0;
    for (double b : balancedness) s += b;
    return balancedness.empty() ? std::nan("") : s / static_cast<double>(balancedness.size());
  }
};

double to_double(const std::string& s) { return s.empty() ? 0.0 : std::stod(s); }

// Runs in first-appearance order.
std::vector<RunTrace> traces(const CsvTable& t) {
  std::vector<RunTrace> out;
  const int protocol = t.find_column("protocol");
  const int event = t.find_column("event");
  if (protocol < 0 || event < 0) return out;
  auto col = [&](const char* name) { return static_cast<std::size_t>(t.column(name, "results")); };
  const std::size_t id = col("run_id"), strategy = col("strategy"), workload = col("workload"),
                    status = col("status"), bal = col("balancedness"), step = col("score_step"),
                    moved = col("replicas_moved"), per_gpu = col("max_moves_per_gpu"),
                    bytes = col("bytes_moved"), r = col("replicas"), g = col("groups"),
                    n = col("nodes"), p = col("gpus");
  std::map<std::string, std::size_t> index;
  for (const auto& row : t.rows) {
    const std::string& proto = row[static_cast<std::size_t>(protocol)];
    if (proto.rfind("rebalance", 0) != 0) continue;
    auto [it, inserted] = index.emplace(row[id], out.size());
    if (inserted) {
      RunTrace tr;
      tr.run_id = row[id];
      tr.replicas = row[r];
      tr.groups = row[g];
      tr.nodes = row[n];
      tr.gpus = row[p];
      tr.strategy = row[strategy];
      tr.protocol = proto;
      tr.workload = row[workload];
      tr.topology = fmt::format("R={},G={},N={},P={}", row[r], row[g], row[n], row[p]);
      out.push_back(tr);
    }
    RunTrace& tr = out[it->second];
    if (row[status] != "ok") {
      tr.error = true;
      continue;
    }
    tr.steps.push_back(std::stoi(row[step]));
    tr.balancedness.push_back(std::stod(row[bal]));
    const bool rebalance = row[static_cast<std::size_t>(event)] == "rebalance";
    tr.rebalanced.push_back(rebalance ? 1 : 0);
    tr.rebalances += rebalance ? 1 : 0;
    tr.skipped += row[static_cast<std::size_t>(event)] == "skipped" ? 1 : 0;
    tr.moved += std::stol(row[moved]);
    tr.max_per_gpu = std::max(tr.max_per_gpu, std::stol(row[per_gpu]));
    tr.bytes += to_double(row[bytes]);
  }
  return out;
}

struct Point {  // one strategy x grid point on one topology, means over workloads
  std::string topology, strategy, protocol;
  int runs = 0, errors = 0;
  double time_avg = 0.0, rebalances = 0.0, moved = 0.0, bytes = 0.0, steps = 0.0;
  long moved_total = 0, rebalances_total = 0, max_per_gpu = 0;
};

std::vector<Point> points(const std::vector<RunTrace>& runs) {
  std::vector<Point> out;
  std::map<std::string, std::size_t> index;
  for (const RunTrace& r : runs) {
    const std::string key = r.topology + "\n" + r.strategy + "\n" + r.protocol;
    auto [it, inserted] = index.emplace(key, out.size());
    if (inserted) out.push_back(Point{r.topology, r.strategy, r.protocol});
    Point& p = out[it->second];
    if (r.error || r.balancedness.empty()) {
      ++p.errors;
      continue;
    }
    ++p.runs;
    p.time_avg += r.time_avg();
    p.rebalances += r.rebalances;
    p.moved += static_cast<double>(r.moved);
    p.bytes += r.bytes;
    p.steps += static_cast<double>(r.balancedness.size());
    p.moved_total += r.moved;
    p.rebalances_total += r.rebalances;
    p.max_per_gpu = std::max(p.max_per_gpu, r.max_per_gpu);
  }
  for (Point& p : out) {
    if (p.runs == 0) continue;
    const double n = p.runs;
    p.time_avg /= n;
    p.rebalances /= n;
    p.moved /= n;
    p.bytes /= n;
    p.steps /= n;
  }
  return out;
}

std::string short_protocol(const std::string& label) {
  const std::string prefix = "rebalance:";
  return label.rfind(prefix, 0) == 0 ? label.substr(prefix.size()) : label;
}

}  // namespace

CsvTable without_rebalance_rows(const CsvTable& results) {
  const int protocol = results.find_column("protocol");
  if (protocol < 0) return results;
  CsvTable out;
  out.header = results.header;
  for (const auto& row : results.rows) {
    if (row[static_cast<std::size_t>(protocol)].rfind("rebalance", 0) != 0) out.rows.push_back(row);
  }
  return out;
}

std::string rebalance_summary(const CsvTable& results) {
  const std::vector<Point> pts = points(traces(results));
  if (pts.empty()) return {};
  std::string out =
      "\n## Rebalance runs\n\nPer strategy and rebalance grid point, means over workloads: "
      "time-averaged balancedness (mean over scored steps), rebalances per run (initial "
      "placement and skipped decisions excluded), replicas moved per run and per rebalance, "
      "GB moved per run, the largest max_moves_per_gpu of any rebalance.\n";
  std::vector<std::string> topologies;
  for (const Point& p : pts) {
    if (std::find(topologies.begin(), topologies.end(), p.topology) == topologies.end())
      topologies.push_back(p.topology);
  }
  for (const std::string& topo : topologies) {
    double best = -1.0;
    for (const Point& p : pts) {
      if (p.topology == topo && p.runs > 0) best = std::max(best, p.time_avg);
    }
    out += fmt::format(
        "\n### {}\n\n| strategy | rebalance | runs | steps | time-avg bal. | rebalances | moved | "
        "moved / rebalance | GB moved | max moves / GPU |\n|---|---|---:|---:|---:|---:|---:|---:|"
        "---:|---:|\n",
        topo);
    for (const Point& p : pts) {
      if (p.topology != topo) continue;
      const std::string bal = fmt::format("{:.4f}", p.time_avg);
      out +=
          fmt::format("| `{}` | `{}` | {}{} | {:.1f} | {} | {:.2f} | {:.1f} | {} | {:.2f} | {} |\n",
                      p.strategy, short_protocol(p.protocol), p.runs,
                      p.errors > 0 ? fmt::format(" ({} errors)", p.errors) : "", p.steps,
                      p.time_avg == best ? "**" + bal + "**" : bal, p.rebalances, p.moved,
                      p.rebalances_total > 0
                          ? fmt::format("{:.1f}", static_cast<double>(p.moved_total) /
                                                      static_cast<double>(p.rebalances_total))
                          : std::string("-"),
                      p.bytes / 1e9, p.max_per_gpu);
    }
  }
  return out;
}

CsvTable rebalance_runs(const CsvTable& results) {
  CsvTable out;
  const std::vector<RunTrace> runs = traces(results);
  if (runs.empty()) return out;
  out.header = {"run_id",
                "strategy",
                "workload",
                "replicas",
                "groups",
                "nodes",
                "gpus",
                "protocol",
                "status",
                "scored_steps",
                "time_avg_balancedness",
                "rebalances",
                "skipped",
                "replicas_moved",
                "bytes_moved",
                "max_moves_per_gpu"};
  for (const RunTrace& r : runs) {
    const bool ok = !r.error && !r.balancedness.empty();
    // An error run has no metric: empty fields, never a number (as in results.csv).
    auto metric = [&](const std::string& v) { return ok ? v : std::string(); };
    out.rows.push_back({r.run_id, r.strategy, r.workload, r.replicas, r.groups, r.nodes, r.gpus,
                        r.protocol, ok ? "ok" : "error",
                        metric(std::to_string(r.balancedness.size())),
                        metric(format_double(r.time_avg())), metric(std::to_string(r.rebalances)),
                        metric(std::to_string(r.skipped)), metric(std::to_string(r.moved)),
                        metric(format_double(r.bytes)), metric(std::to_string(r.max_per_gpu))});
  }
  return out;
}

std::vector<PlotSpec> rebalance_plots(const CsvTable& results) {
  const std::vector<RunTrace> runs = traces(results);
  const std::vector<Point> pts = points(runs);
  std::vector<PlotSpec> out;
  if (pts.empty()) return out;

  // Pareto, one plot per topology: per strategy two blocks (points, front).
  std::vector<std::string> strategies, topologies;
  for (const Point& p : pts) {
    if (std::find(strategies.begin(), strategies.end(), p.strategy) == strategies.end())
      strategies.push_back(p.strategy);
    if (std::find(topologies.begin(), topologies.end(), p.topology) == topologies.end())
      topologies.push_back(p.topology);
  }
  for (std::size_t t = 0; t < topologies.size(); ++t) {
    PlotSpec pareto;
    pareto.name = fmt::format("rebalance-pareto-{}", t);
    std::string plot = "plot ";
    for (std::size_t s = 0; s < strategies.size(); ++s) {
      std::vector<std::pair<double, double>> xy;
      for (const Point& p : pts) {
        if (p.topology != topologies[t] || p.strategy != strategies[s] || p.runs == 0 ||
            p.steps <= 0.0)
          continue;
        xy.emplace_back(p.moved / p.steps, p.time_avg);
        pareto.data += fmt::format("{:.9g}\t{:.9g}\t{}\n", p.moved / p.steps, p.time_avg,
                                   short_protocol(p.protocol));
      }
      pareto.data += "-1\tNaN\t-\n\n\n";  // a block is never empty
      std::sort(xy.begin(), xy.end(), [](const auto& a, const auto& b) {
        return a.first < b.first || (a.first == b.first && a.second > b.second);
      });
      double best = -1.0;
      for (const auto& [x, y] : xy) {
        if (y <= best) continue;
        best = y;
        pareto.data += fmt::format("{:.9g}\t{:.9g}\n", x, y);
      }
      pareto.data += "-1\tNaN\n\n\n";
      plot += fmt::format(
          "{}DATA index {} using 1:2 with points pt 7 ps 0.8 lc {} title {}, DATA index {} "
          "using 1:2 with steps lc {} dt 2 notitle",
          s == 0 ? "" : ", ", 2 * s, s + 1, gp_string(strategies[s]), 2 * s + 1, s + 1);
    }
    pareto.script =
        "set title " +
        gp_lines(
            {"Rebalancing on " + topologies[t] + ": time-averaged balancedness vs replicas moved",
             "one point per strategy x rebalance grid point, mean over workloads; dashed: "
             "each strategy's Pareto front"}) +
        "\nset xlabel 'replicas moved per scored step'\nset ylabel 'time-averaged "
        "balancedness'\nset key bottom right\nset grid\nset xrange [0:*]\n" +
        plot + "\n";
    out.push_back(pareto);
  }

  // Timelines: the first 4 workloads; per strategy its best grid point there.
  std::vector<std::string> workloads;
  for (const RunTrace& r : runs) {
    if (std::find(workloads.begin(), workloads.end(), r.workload) == workloads.end())
      workloads.push_back(r.workload);
  }
  if (workloads.size() > 4) workloads.resize(4);
  for (std::size_t w = 0; w < workloads.size(); ++w) {
    PlotSpec tl;
    tl.name = fmt::format("rebalance-timeline-{}", w);
    std::string cmd = "plot ";
    int block = 0;
    for (std::size_t s = 0; s < strategies.size(); ++s) {
      const RunTrace* best = nullptr;
      for (const RunTrace& r : runs) {
        if (r.workload != workloads[w] || r.strategy != strategies[s] || r.error ||
            r.balancedness.empty())
          continue;
        if (best == nullptr || r.time_avg() > best->time_avg()) best = &r;
      }
      if (best == nullptr) continue;
      for (std::size_t i = 0; i < best->steps.size(); ++i) {
        tl.data += fmt::format("{}\t{:.9g}\n", best->steps[i], best->balancedness[i]);
      }
      tl.data += "\n\n";
      for (std::size_t i = 0; i < best->steps.size(); ++i) {
        if (best->rebalanced[i]) {
          tl.data += fmt::format("{}\t{:.9g}\n", best->steps[i], best->balancedness[i]);
        }
      }
      tl.data += "-1\tNaN\n\n\n";  // a block is never empty
      cmd += fmt::format(
          "{}DATA index {} using 1:2 with lines lw 2 lc {} title {}, DATA index {} using 1:2 "
          "with points pt 6 ps 1.5 lc {} notitle",
          block == 0 ? "" : ", ", block, s + 1,
          gp_string(strategies[s] + " (" + short_protocol(best->protocol) + ")"), block + 1, s + 1);
      block += 2;
    }
    if (block == 0) continue;
    tl.script = "set title " +
                gp_lines({"Balancedness per step on " + workloads[w],
                          "circles: rebalances; each strategy at its best grid point there"}) +
                "\nset xlabel 'step'\nset ylabel 'balancedness'\nset key bottom right\nset grid\n"
                "set xrange [0:*]\n" +
                cmd + "\n";
    out.push_back(tl);
  }
  return out;
}

}  // namespace eplb
