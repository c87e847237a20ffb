#include "models/quantized_factors.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace portrait {
namespace {

using Matrix = QuantizedFactors::Matrix;

Matrix RandomFactors(int rows, int cols, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  Matrix m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(rng);
  return m;
}

TEST(QuantizedFactorsTest, Avx2AndPlainGiveTheSameIntegers) {
  // Factor counts that are and are not multiples of 4 and of 8; a row count
  // that is not a multiple of the block; extreme queries.
  for (int cols : {1, 3, 8, 30, 64, 129}) {
    const Matrix factors = RandomFactors(53, cols, cols, 1.0f);
    const QuantizedFactors quantized(factors);
    std::mt19937 rng(cols);
    for (int trial = 0; trial < 5; ++trial) {
      std::vector<int8_t> p(cols);
      for (int8_t& v : p) {
        v = trial == 0   ? 63
            : trial == 1 ? -63
                         : static_cast<int8_t>(rng() % 127) - 63;
      }
      for (auto [begin, end] :
           {std::pair<int, int>{0, 53}, {5, 19}, {8, 16}, {52, 53}}) {
        std::vector<int32_t> simd(end - begin), plain(end - begin);
        quantized.IntegerDots(p.data(), begin, end, true, simd.data());
        quantized.IntegerDots(p.data(), begin, end, false, plain.data());
        EXPECT_EQ(simd, plain)
            << "cols " << cols << " rows " << begin << "-" << end;
      }
    }
  }
}

TEST(QuantizedFactorsTest, IntegerDotsAreTheQuantizedProducts) {
  Matrix factors(2, 4);
  factors << 1.0f, -0.5f, 0.25f, 0.0f,  //
      0.0f, 0.0f, 0.0f, 0.0f;
  const QuantizedFactors quantized(factors);
  // Row 0 quantizes to 127, -64 (63.5 rounds away from zero), 32, 0.
  const int8_t p[4] = {1, 2, -3, 63};
  int32_t out[2];
  quantized.IntegerDots(p, 0, 2, true, out);
  EXPECT_EQ(out[0], 127 - 2 * 64 - 3 * 32);
  EXPECT_EQ(out[1], 0);
}

TEST(QuantizedFactorsTest, BoundsContainTheFloatScore) {
  for (int cols : {4, 32, 64, 128}) {
    for (float scale : {1e-3f, 1.0f, 50.0f}) {
      const Matrix factors = RandomFactors(300, cols, cols + 7, scale);
      const QuantizedFactors quantized(factors);
      const Matrix users = RandomFactors(20, cols, cols + 11, 1.0f / scale);
      std::vector<float> lower(300), upper(300);
      double width = 0, spread = 0;
      for (int u = 0; u < users.rows(); ++u) {
        const Eigen::VectorXf user = users.row(u).transpose();
        quantized.Bounds(user, 0, 300, lower.data(), upper.data());
        for (int r = 0; r < 300; ++r) {
          const float score = factors.row(r).dot(user);
          const double exact =
              factors.row(r).cast<double>().dot(user.cast<double>());
          EXPECT_LE(lower[r], score);
          EXPECT_GE(upper[r], score);
          EXPECT_LE(lower[r], exact);
          EXPECT_GE(upper[r], exact);
          width += upper[r] - lower[r];
          spread += std::abs(exact);
        }
      }
      // Tight enough to be useful: intervals narrower than the scores.
      EXPECT_LT(width, spread) << "cols " << cols << " scale " << scale;
    }
  }
}

TEST(QuantizedFactorsTest, ZeroQueryAndZeroRowsGiveZeroWidth) {
  Matrix factors = RandomFactors(10, 8, 3, 1.0f);
  factors.row(4).setZero();
  const QuantizedFactors quantized(factors);
  std::vector<float> lower(10), upper(10);
  quantized.Bounds(Eigen::VectorXf::Zero(8), 0, 10, lower.data(), upper.data());
  for (int r = 0; r < 10; ++r) {
    EXPECT_EQ(lower[r], 0);
    EXPECT_EQ(upper[r], 0);
  }
  quantized.Bounds(Eigen::VectorXf::Ones(8), 0, 10, lower.data(), upper.data());
  EXPECT_EQ(lower[4], 0);
  EXPECT_EQ(upper[4], 0);
}

}  // namespace
}  // namespace portrait
