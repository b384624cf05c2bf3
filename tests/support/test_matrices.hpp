// Small helpers shared by tests: matrices from nested braces and the message of an InputError.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "eplb/error.hpp"
#include "eplb/types.hpp"

namespace eplb::test {

// A matrix from nested braces, row by row: matrix<IndexMatrix>({{0, 1}, {1, 0}}).
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

// The InputError message of `f`, or a test failure (and "") if it does not throw one.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no InputError";
  return "";
}

}  // namespace eplb::test
