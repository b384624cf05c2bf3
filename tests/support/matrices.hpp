// Matrices from nested braces, row by row, for hand-typed test cases.
#pragma once

#include <initializer_list>

#include "eplb/types.hpp"

namespace eplb::test {

template <class Matrix>
Matrix matrix(std::initializer_list<std::initializer_list<typename Matrix::Scalar>> values) {
  Matrix m(static_cast<Eigen::Index>(values.size()),
           static_cast<Eigen::Index>(values.begin()->size()));
  Eigen::Index r = 0;
  for (const auto& row : values) {
    Eigen::Index c = 0;
    for (const auto v : row) m(r, c++) = v;
    ++r;
  }
  return m;
}

inline IndexMatrix rows(std::initializer_list<std::initializer_list<int>> values) {
  return matrix<IndexMatrix>(values);
}

inline LoadMatrix loads(std::initializer_list<std::initializer_list<double>> values) {
  return matrix<LoadMatrix>(values);
}

}  // namespace eplb::test
